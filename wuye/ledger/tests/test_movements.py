"""The receivables ledger (docs/ledger.md): every movement against a charge is one ledger entry,
written with the line's paid, relief and open amounts and its settled day in the same
transaction; 0 ≤ open ≤ amount holds in the database; `recount_collections` recounts the open
amounts and `--fix` sets them right."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from tests.errors import codes
from wuye.billing import bill_runs, payments, refunds, relief, services
from wuye.billing.models import ReliefRule
from wuye.billing.tests import test_relief
from wuye.core.models import Site
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine, LedgerEntry

SEP, rule, run = test_relief.SEP, test_relief.rule, test_relief.run
item, now = test_relief.item, test_relief.now  # ¥100.05 a month per unit, on 2026-09-20

pytestmark = pytest.mark.django_db
Kind = LedgerEntry.Kind


def figures_of(line: BillLine) -> tuple:
    line.refresh_from_db()
    return line.paid_amount, line.relief_amount, line.open_amount, line.settled_on


def entries(line: BillLine) -> list[tuple]:
    return list(LedgerEntry.objects.filter(bill_line=line).order_by("pk").values_list("kind", "amount"))  # fmt: skip


def balances(line: BillLine) -> bool:
    """What the line owes is its amount plus its entries (a cancelled one: nothing)."""
    moved = sum((amount for kind, amount in entries(line)), D("0"))
    return line.amount + moved == line.open_amount


@pytest.fixture
def billed(site_a, finance, estate, item):
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    return unit, BillLine.objects.get(unit=unit, period_start=SEP)


def pay(finance, unit, amount, **kwargs):
    return payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                 method="transfer", amount=amount, **kwargs)  # fmt: skip


def test_a_new_line_owes_its_amount_and_is_not_settled(billed):
    _unit, line = billed
    assert figures_of(line) == (D("0.00"), D("0.00"), D("100.05"), None)
    assert entries(line) == []


def test_payments_voids_and_refunds_move_the_line_and_are_each_an_entry(billed, finance):
    unit, line = billed
    first = pay(finance, unit, "40")
    assert figures_of(line) == (D("40.00"), D("0.00"), D("60.05"), None)
    pay(finance, unit, "60.05")
    today = datetime.date(2026, 9, 20)
    assert figures_of(line) == (D("100.05"), D("0.00"), D("0.00"), today)
    payments.void_payment(payment=first, actor=finance["head"].user, reason="收错户")
    assert figures_of(line) == (D("60.05"), D("0.00"), D("40.00"), None)  # open again
    refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit, source="line",
                   bill_line=line, amount="10", method="transfer", reason="多收")  # fmt: skip
    assert figures_of(line) == (D("50.05"), D("0.00"), D("50.00"), None)
    assert entries(line) == [
        (Kind.ALLOCATION, D("-40.00")), (Kind.ALLOCATION, D("-60.05")),
        (Kind.VOID, D("40.00")), (Kind.REFUND, D("10.00")),
    ]  # fmt: skip
    assert balances(line)


def test_relief_granted_and_cancelled_moves_the_line(site_a, finance, estate, item):
    rule(site_a, finance, item, ReliefRule.Kind.DISCOUNT, percent="10")
    run(site_a, finance, SEP)
    line = BillLine.objects.get(unit=estate["units"][0], period_start=SEP)
    assert figures_of(line)[:3] == (D("0.00"), D("10.01"), D("90.04"))
    entry = line.reliefs.get()
    relief.cancel_relief(entry=entry, actor=finance["head"].user, reason="规则设错")
    assert figures_of(line)[:3] == (D("0.00"), D("0.00"), D("100.05"))
    assert entries(line) == [(Kind.RELIEF, D("-10.01")), (Kind.RELIEF_CANCELLED, D("10.01"))]
    assert balances(line)


def test_a_cancelled_line_owes_nothing_and_its_open_amount_is_written_off(billed, finance):
    _unit, line = billed
    services.cancel_bill_line(line=line, actor=finance["head"].user, reason="面积计错")
    assert figures_of(line)[:3] == (D("0.00"), D("0.00"), D("0.00"))
    assert entries(line) == [(Kind.CANCELLED, D("-100.05"))]


def test_a_movement_beyond_the_amount_is_refused_and_writes_nothing(billed, finance):
    unit, line = billed
    pay(finance, unit, "100.05")
    before = (figures_of(line), LedgerEntry.objects.count(), Allocation.objects.count())
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        # A second allocation of the whole amount, as if a payment had not locked the line.
        made = Allocation.objects.create(bill_line=line, from_credit=True, amount=D("0.01"),
                                         collected_on=datetime.date(2026, 9, 20))  # fmt: skip
        receivables.allocated([made.pk])
    assert codes(caught.value) == {"open_out_of_bounds"}
    assert (figures_of(line), LedgerEntry.objects.count(), Allocation.objects.count()) == before


def test_the_database_holds_open_within_the_amount(billed):
    _unit, line = billed
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        BillLine.objects.filter(pk=line.pk).update(paid_amount=D("100.06"))
    assert "bill_line_open_within_amount" in str(caught.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        BillLine.objects.filter(pk=line.pk).update(relief_amount=D("-0.01"))


def test_saving_a_line_read_before_a_payment_keeps_the_payment(billed, finance):
    unit, line = billed
    stale = BillLine.objects.get(pk=line.pk)
    pay(finance, unit, "30")
    stale.note = "核对"
    stale.save()
    assert figures_of(line)[:3] == (D("30.00"), D("0.00"), D("70.05"))


def test_recount_collections_finds_a_drifted_open_amount_and_fix_sets_it(billed, finance):
    unit, line = billed
    pay(finance, unit, "30")
    BillLine.objects.filter(pk=line.pk).update(paid_amount=D("20.00"))  # a bug, say
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("recount_collections", stdout=out)
    assert "1 lines' open amounts differ" in out.getvalue() and "20.00/0.00" in out.getvalue()
    # The site counts once, however many of its lines and figures differ.
    sites = Site.objects.count()
    assert out.getvalue().splitlines()[-1] == f"1 of {sites} sites differ: {unit.site.code}"
    assert receivables.differences(unit.site) == [
        {"line": line.pk, "stored": (D("20.00"), D("0.00")), "recounted": (D("30.00"), D("0.00"))}
    ]
    out = io.StringIO()
    call_command("recount_collections", "--fix", stdout=out)
    assert "1 lines set to their recount" in out.getvalue()
    assert figures_of(line)[:3] == (D("30.00"), D("0.00"), D("70.05"))
    assert receivables.differences(unit.site) == []
    call_command("recount_collections", stdout=io.StringIO())  # agrees now: no exit status 1


def test_reversing_a_run_after_one_of_its_relieved_lines_was_cancelled_cancels_its_relief_too(site_a, finance, estate, item):  # fmt: skip
    rule(site_a, finance, item, ReliefRule.Kind.DISCOUNT, percent="10")
    made = run(site_a, finance, SEP)
    line = BillLine.objects.get(unit=estate["units"][0], period_start=SEP)
    services.cancel_bill_line(line=line, actor=finance["head"].user, reason="面积计错")
    bill_runs.reverse_run(run=made, actor=finance["head"].user, reason="费率设错")
    assert figures_of(line)[:3] == (D("0.00"), D("0.00"), D("0.00"))
    assert receivables.differences(site_a) == []
