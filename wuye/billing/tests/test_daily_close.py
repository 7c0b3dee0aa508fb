"""日结: each cashier's day by method, matched to their receipts, closed once."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from wuye.billing import bill_runs, payments, services
from wuye.billing.daily_close import cashier_days, close_day
from wuye.billing.models import CashierClose, FeeItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def takings(fee_item, finance, estate, site_a):
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=datetime.date(2026, 11, 1))
    cashier = finance["cashier"].user
    take = lambda i, method, amount: payments.take_payment(  # noqa: E731
        site=site_a, actor=cashier, unit=estate["units"][i], method=method, amount=amount
    )
    take(0, "cash", "100")
    take(1, "cash", "50")
    take(2, "qr", "100")
    wrong = take(3, "card", "80")
    payments.void_payment(payment=wrong, actor=finance["sup"].user, reason="刷错卡")
    return cashier


def test_a_cashiers_day_by_method_matched_to_receipts(takings, site_a, finance):
    today = timezone.localdate()
    [day] = cashier_days(site_a, today)
    assert day.by_method == {"cash": D("150.00"), "qr": D("100.00")}
    assert day.total == D("250.00") and len(day.receipts) == 3 and len(day.voided) == 1
    assert day.matches
    close = close_day(site=site_a, actor=takings, cashier_id=takings.pk, day=today)
    assert close.total == D("250.00") and close.totals == {"cash": "150.00", "qr": "100.00"}
    with pytest.raises(ValidationError):
        close_day(site=site_a, actor=takings, cashier_id=takings.pk, day=today)
    assert CashierClose.objects.count() == 1


def test_a_day_in_the_future_or_without_payments_cannot_be_closed(takings, site_a):
    with pytest.raises(ValidationError):
        close_day(
            site=site_a,
            actor=takings,
            cashier_id=takings.pk,
            day=timezone.localdate() + datetime.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        close_day(
            site=site_a,
            actor=takings,
            cashier_id=takings.pk,
            day=timezone.localdate() - datetime.timedelta(days=3),
        )


def test_the_close_page(client_of, takings, clerk_b):
    client = client_of(takings)
    url = reverse("billing:daily_close")
    assert "250.00" in client.get(url).content.decode()
    assert (
        client.post(
            url, {"cashier": takings.pk, "day": timezone.localdate().isoformat()}
        ).status_code
        == 302
    )
    assert CashierClose.objects.count() == 1
    assert client_of(clerk_b).get(url).status_code == 403
    with pytest.raises(PermissionDenied):
        close_day(
            site=takings and CashierClose.objects.get().site,
            actor=clerk_b,
            cashier_id=takings.pk,
            day=timezone.localdate(),
        )


def test_refunds_paid_out_are_taken_off_what_is_handed_over(takings, site_a, finance, estate):
    from wuye.billing import refunds
    from wuye.ledger.models import BillLine

    head = finance["head"].user
    line = BillLine.objects.get(unit=estate["units"][0])
    refunds.refund(site=site_a, actor=head, unit=line.unit, source="line", bill_line=line,
                   amount="30", method="cash", reason="多收")  # fmt: skip
    today = timezone.localdate()
    days = {day.cashier.pk: day for day in cashier_days(site_a, today)}
    assert days[takings.pk].refunded == D("0") and days[takings.pk].net == D("250.00")
    paid_out = days[head.pk]
    assert paid_out.refunded_by_method == {"cash": D("30.00")} and paid_out.net == D("-30.00")
    close = close_day(site=site_a, actor=head, cashier_id=head.pk, day=today)
    assert (close.total, close.refunded, close.refunds) == (D("0"), D("30.00"), {"cash": "30.00"})
