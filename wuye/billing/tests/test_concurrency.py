"""Two cashiers at once, on real PostgreSQL connections: one payment of a line succeeds, one
idempotency key records one payment, receipt numbers stay gap-free, two runs of one period post
each line once."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import at_once, postgres_only
from wuye.billing import bill_runs, payments, services
from wuye.billing.models import BillLine, FeeItem, Payment, Receipt

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
