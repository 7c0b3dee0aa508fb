"""Two cashiers at once, on real PostgreSQL connections: one payment of a line succeeds, one
idempotency key records one payment, receipt numbers stay gap-free, two runs of one period post
each line once."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import at_once, postgres_only
from wuye.billing import bill_runs, payments, services
from wuye.billing.models import FeeItem, Payment, Receipt
from wuye.ledger.models import BillLine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()


@pytest.fixture
def one_line(fee_item, finance, estate):
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    bill_runs.run_bills(
        site=estate["b1"].site, actor=finance["sup"].user, month=datetime.date(2026, 11, 1)
    )
    return BillLine.objects.get(unit=estate["units"][0])


def _pay(finance, line, **kwargs):
    return payments.take_payment(site=line.site, actor=finance["cashier"].user, unit=line.unit,
                                 method="cash", amount="100", lines=[line.pk], **kwargs)  # fmt: skip


def test_two_cashiers_paying_one_line_at_once_one_succeeds(one_line, finance):
    outcomes = at_once(2, lambda i: _pay(finance, one_line))
    assert sum(isinstance(o, Payment) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert payments.ledger(one_line.unit).balance == D("0.00")


def test_a_retried_payment_with_one_key_records_one(one_line, finance):
    outcomes = at_once(3, lambda i: _pay(finance, one_line, idempotency_key="pos-42"))
    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1 and Payment.objects.count() == 1


def test_receipt_numbers_stay_gap_free_under_load(fee_item, finance, estate):
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    bill_runs.run_bills(
        site=estate["b1"].site, actor=finance["sup"].user, month=datetime.date(2026, 11, 1)
    )
    units = estate["units"][:6]
    at_once(6, lambda i: payments.take_payment(site=units[i].site, actor=finance["cashier"].user,
                                                unit=units[i], method="qr", amount="50"))  # fmt: skip
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_two_runs_of_one_period_at_once_post_each_line_once(fee_item, finance, estate):
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    at_once(2, lambda i: bill_runs.run_bills(site=estate["b1"].site, actor=finance["sup"].user,
                                             month=datetime.date(2026, 11, 1)))  # fmt: skip
    assert BillLine.objects.count() == len(estate["units"])


def test_two_refunds_of_one_deposit_at_once_refund_it_once(one_line, finance, fee_item):
    from wuye.billing import deposits, refunds
    from wuye.billing.models import Refund

    keys = fee_item("keys", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False)
    unit = one_line.unit
    deposit = deposits.take_deposit(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                    fee_item=keys, amount="300", method="cash")  # fmt: skip
    outcomes = at_once(2, lambda i: refunds.refund(
        site=unit.site, actor=finance["head"].user, unit=unit, source="deposit", deposit=deposit,
        amount="300", method="cash", reason="退还钥匙押金"))  # fmt: skip
    assert sum(isinstance(o, Refund) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert deposits.held(deposit) == D("0.00")


def test_two_readers_of_one_meter_at_once_record_one_reading(one_line, finance, fee_item):
    from wuye.billing import meters
    from wuye.billing.models import MeterReading

    water = fee_item("water", FeeItem.Method.METER, kind=FeeItem.Kind.WATER)
    meter = meters.add_meter(site=one_line.site, actor=finance["sup"].user, code="W1", kind="water",
                             fee_item=water, unit=one_line.unit, installed_on=datetime.date(2026, 1, 1))  # fmt: skip
    outcomes = at_once(2, lambda i: meters.record_reading(
        site=meter.site, actor=finance["cashier"].user, meter=meter,
        period=datetime.date(2026, 11, 1), value=str(10 + i)))  # fmt: skip
    assert sum(isinstance(o, MeterReading) for o in outcomes) == 1, outcomes
    assert MeterReading.objects.count() == 1


def test_one_approval_decided_twice_at_once_is_carried_out_once(one_line, finance):
    from django.core.exceptions import PermissionDenied

    from wuye.approvals import services as approvals
    from wuye.approvals.models import ApprovalRequest

    asked = approvals.request_approval(site=one_line.site, actor=finance["cashier"].user,
                                       action="cancel_bill_line", params={"bill_line": one_line.pk},
                                       reason="重复计费")  # fmt: skip
    deciders = [finance["head"].user, finance["pm"].user]
    outcomes = at_once(
        2, lambda i: approvals.decide(request=asked, actor=deciders[i], approve=True)
    )
    assert sum(isinstance(o, ApprovalRequest) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError | PermissionDenied) for o in outcomes) == 1
    one_line.refresh_from_db()
    assert one_line.cancelled_at is not None
