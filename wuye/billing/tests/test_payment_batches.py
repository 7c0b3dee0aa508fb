"""Many payments at once (`payment_batches.take_payments`), and payments dated by the clock."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wuye.billing import figures, payments
from wuye.billing.models import IncomeFigure, Payment, Receipt
from wuye.billing.payment_batches import BatchPayment, take_payments
from wuye.core import clock
from wuye.estate.models import Building, Unit
from wuye.ledger.models import Allocation

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def field_codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def test_a_batch_pays_each_unit_oldest_first_dated_as_received_with_receipts_in_that_order(
    owed, estate, finance
):
    other = estate["units"][1]
    made = take_payments(site=owed.site, actor=finance["sup"].user, batch=[
        BatchPayment(unit=owed, amount=D("150"), method="transfer", received_at=at(11, 25)),
        BatchPayment(unit=owed, amount=D("150"), method="transfer", received_at=at(10, 20)),
        BatchPayment(unit=other, amount=D("100"), method="qr", received_at=at(11, 3)),
    ])  # fmt: skip

    assert [(p.unit_id, p.received_at) for p in made] == [
        (owed.pk, at(10, 20)), (other.pk, at(11, 3)), (owed.pk, at(11, 25)),
    ]  # fmt: skip
    receipts = Receipt.objects.filter(payment__in=made).order_by("sequence")
    assert [(r.payment_id, r.number) for r in receipts] == [
        (made[0].pk, "RC-A-2026-000001"), (made[1].pk, "RC-A-2026-000002"),
        (made[2].pk, "RC-A-2026-000003"),
    ]  # fmt: skip
    first = Allocation.objects.filter(payment=made[0]).order_by("bill_line__period_start")
    assert [(a.bill_line.period_start.month, a.amount, a.collected_on) for a in first] == [
        (9, D("100.00"), datetime.date(2026, 10, 20)), (10, D("50.00"), datetime.date(2026, 10, 20)),
    ]  # fmt: skip
    assert payments.open_lines(owed) == []
    assert figures.differences(owed.site) == []
    october = IncomeFigure.objects.get(month=datetime.date(2026, 10, 1))
    assert (october.method, october.cashier_id, october.received) == (
        "transfer", finance["sup"].user.pk, D("150.00"),
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_batch_outside_any_transaction_is_one_transaction_of_its_own(owed, finance):
    made = take_payments(site=owed.site, actor=finance["sup"].user, batch=[
        BatchPayment(unit=owed, amount=D("300"), method="transfer", received_at=at(11, 10)),
    ])  # fmt: skip
    assert made[0].receipt.number == "RC-A-2026-000001"
    assert payments.ledger(owed).balance == D("0.00")


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(owed, estate, finance, site_b):
    elsewhere = Unit.objects.create(
        site=site_b, building=Building.objects.create(site=site_b, code="9", name="9栋"),
        floor=1, number="0101", code="9-0101", floor_area=D("80"),
    )  # fmt: skip
    future = clock.now() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        take_payments(site=owed.site, actor=finance["sup"].user, batch=[
            BatchPayment(unit=elsewhere, amount=D("10"), method="cash"),
            BatchPayment(unit=owed, amount=D("300.01"), method="cash", received_at=at(11, 1)),
            BatchPayment(unit=owed, amount=D("10"), method="cash", received_at=future),
            BatchPayment(unit=owed, amount=D("0"), method="cash"),
        ])  # fmt: skip
    assert field_codes(refused.value) == {
        "rows.1.unit": ["not_found"], "rows.2.amount": ["more_than_open"],
        "rows.3.received_at": ["future"], "rows.4.amount": ["not_positive"],
    }  # fmt: skip
    assert not Payment.objects.exists() and not Receipt.objects.exists()


def test_a_batch_posted_twice_posts_its_keyed_payments_once(owed, finance):
    batch = [
        BatchPayment(unit=owed, amount=D("100"), method="transfer", received_at=at(11, 5),
                     idempotency_key="bank-2026-11-05-001", reference="托收 001"),
    ]  # fmt: skip
    assert len(take_payments(site=owed.site, actor=finance["sup"].user, batch=batch)) == 1
    assert take_payments(site=owed.site, actor=finance["sup"].user, batch=batch) == []
    assert Payment.objects.count() == 1
    assert payments.ledger(owed).balance == D("200.00")


def test_only_staff_who_take_payments_may_post_a_batch(owed, clerk_a):
    with pytest.raises(PermissionDenied):
        take_payments(site=owed.site, actor=clerk_a, batch=[
            BatchPayment(unit=owed, amount=D("100"), method="cash"),
        ])  # fmt: skip


def test_a_payment_taken_inside_the_clocks_moment_is_received_and_collected_then(owed, finance):
    with clock.as_of(at(10, 8, 15)):
        payment = payments.take_payment(
            site=owed.site, actor=finance["cashier"].user, unit=owed, method="cash", amount="100"
        )
    assert payment.received_at == payment.receipt.issued_at == at(10, 8, 15)
    assert payment.created_at == at(10, 8, 15)
    assert payment.allocations.get().collected_on == datetime.date(2026, 10, 8)
    assert IncomeFigure.objects.get().month == datetime.date(2026, 10, 1)
    assert figures.differences(owed.site) == []
