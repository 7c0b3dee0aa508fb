"""Cashiers of one site at once: the rows the whole site shares (the receipt number, the
collection figures) are taken last and waited for at most `WUYE_LOCK_TIMEOUT_MS`, so payments
of different units all go through with gap-free receipts, two payments of one line leave one
winner and tell the other the line was just paid, and a stuck transaction answers "busy" — a
field error, not a server error (docs/billing.md, Payments at once)."""

import datetime
import threading
import time
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from tests.concurrency import at_once, postgres_only
from tests.errors import codes
from wuye.billing import bill_runs, figures, payments, services
from wuye.billing.models import FeeItem, Payment, Receipt
from wuye.core.models import DocumentSequence
from wuye.ledger.models import BillLine


@pytest.fixture
def billed(fee_item, finance, estate):
    """Every unit billed ¥100 for November 2026."""
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    bill_runs.run_bills(
        site=estate["b1"].site, actor=finance["sup"].user, month=datetime.date(2026, 11, 1)
    )
    return {line.unit_id: line for line in BillLine.objects.select_related("unit", "site")}


def _pay_line(finance, line, **kwargs):
    return payments.take_payment(site=line.site, actor=finance["cashier"].user, unit=line.unit,
                                 method="cash", amount="100", lines=[line.pk], **kwargs)  # fmt: skip


@pytest.mark.django_db
def test_paying_a_line_just_paid_says_so(billed, finance, estate):
    line = billed[estate["units"][0].pk]
    _pay_line(finance, line)
    with pytest.raises(ValidationError) as exc:
        _pay_line(finance, line)
    assert codes(exc.value) == {"nothing_open"}
    assert exc.value.messages == ["这些费用刚刚已被缴清，已无未缴金额。"]
    with pytest.raises(ValidationError) as exc:  # oldest first: nothing left on the unit either
        payments.take_payment(site=line.site, actor=finance["cashier"].user, unit=line.unit,
                              method="cash", amount="100")  # fmt: skip
    assert codes(exc.value) == {"nothing_open"}
    assert Payment.objects.count() == Receipt.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cashiers_paying_one_line_at_once_one_wins_and_the_other_is_told_it_was_just_paid(
    billed, finance, estate
):
    postgres_only()
    line = billed[estate["units"][0].pk]
    outcomes = at_once(2, lambda i: _pay_line(finance, line))
    assert sum(isinstance(o, Payment) for o in outcomes) == 1, outcomes
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1 and codes(refused[0]) == {"nothing_open"}, outcomes
    assert payments.ledger(line.unit).balance == D("0.00")
    assert figures.differences(line.site) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_cashiers_paying_eight_units_at_once_all_succeed_with_gap_free_receipts(
    billed, finance, estate
):
    postgres_only()
    lines = [billed[unit.pk] for unit in estate["units"]]
    assert len(lines) == 8
    outcomes = at_once(8, lambda i: _pay_line(finance, lines[i]))
    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert DocumentSequence.objects.get(kind="receipt").last_number == 8
    assert figures.differences(lines[0].site) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stuck_transaction_holding_the_receipt_numbers_answers_busy(
    billed, finance, estate, settings
):
    postgres_only()
    settings.WUYE_LOCK_TIMEOUT_MS = 300
    first, second = (billed[unit.pk] for unit in estate["units"][:2])
    _pay_line(finance, first)  # the site's receipt sequence exists from now on
    held, release = threading.Event(), threading.Event()

    def stuck():
        from django.db import connection as thread_connection

        try:
            with transaction.atomic():
                list(DocumentSequence.objects.select_for_update().filter(kind="receipt"))
                held.set()
                release.wait(10)
        finally:
            thread_connection.close()

    holder = threading.Thread(target=stuck)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
            _pay_line(finance, second)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert codes(exc.value) == {"busy"}
    assert exc.value.messages == ["系统繁忙，请稍后再试。"]
    assert 0.25 < waited < 3
    assert Payment.objects.count() == 1  # the refused payment left nothing behind
    assert payments.line_outstanding(second) == D("100.00")
    assert _pay_line(finance, second).receipt.sequence == 2  # and goes through once released
