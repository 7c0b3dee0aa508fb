"""The migration to the receivables ledger keeps every database's money (docs/ledger.md): a
database at the schema before it, with bills, payments (one voided), a refund, relief (one
entry cancelled) and a cancelled line, migrated forward, owes what it owed — each line's paid,
relief and open amounts counted from its movements, its past movements written as ledger
entries — and the arrears and the unit's ledger read the same balance."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from wuye.billing import arrears, payments
from wuye.estate.models import Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import BillLine, LedgerEntry

BEFORE = [("billing", "0009_relief_rule_versions")]
SEP, OCT, NOV = (datetime.date(2026, m, 1) for m in (9, 10, 11))


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


def _old_ledger(apps) -> dict:
    """At the old schema, with its own models: one unit, three lines and their movements."""
    model = apps.get_model
    user = model("auth", "User").objects.create(username="旧收费员")
    company = model("core", "Company").objects.create(name="旧物业")
    site = model("core", "Site").objects.create(company=company, code="old", name="旧小区")
    building = model("estate", "Building").objects.create(site=site, code="1", name="1栋", floors_above=6)  # fmt: skip
    unit = model("estate", "Unit").objects.create(
        site=site, building=building, floor=1, number="0101", code="1-0101",
        floor_area=D("90"), indoor_area=D("80"), state="occupied",
    )  # fmt: skip
    item = model("billing", "FeeItem").objects.create(site=site, code="mgmt", name="物业管理费", kind="management", method="per_unit")  # fmt: skip
    make_line = lambda month, amount, **extra: model("billing", "BillLine").objects.create(  # noqa: E731
        site=site, fee_item=item, target=f"unit:{unit.pk}", unit=unit, period_start=month,
        period_end=month.replace(day=28), amount=D(amount), due_date=month.replace(day=15), **extra,
    )  # fmt: skip
    sep, oct_, nov = make_line(SEP, "100"), make_line(OCT, "50"), make_line(NOV, "40", cancelled_at=timezone.now(), cancel_reason="面积计错")  # fmt: skip
    pay = lambda amount, **extra: model("billing", "Payment").objects.create(  # noqa: E731
        site=site, unit=unit, method="cash", amount=D(amount), cashier=user,
        received_at=timezone.now(), **extra,
    )  # fmt: skip
    allocate = model("billing", "Allocation").objects.create
    allocate(bill_line=sep, payment=pay("30"), amount=D("30"), collected_on=datetime.date(2026, 9, 20))  # fmt: skip
    voided = pay("20", voided_at=timezone.now(), void_reason="收错户", voided_by=user)
    allocate(bill_line=sep, payment=voided, amount=D("20"), collected_on=datetime.date(2026, 9, 21), undone=True)  # fmt: skip
    allocate(bill_line=oct_, payment=pay("50"), amount=D("50"), collected_on=datetime.date(2026, 10, 18))  # fmt: skip
    model("billing", "Refund").objects.create(
        site=site, unit=unit, source="line", amount=D("10"), method="cash", bill_line=sep,
        reason="多收", refunded_by=user, refunded_at=timezone.now(), refunded_on=datetime.date(2026, 9, 25),
    )  # fmt: skip
    relieve = lambda amount, **extra: model("billing", "ReliefEntry").objects.create(  # noqa: E731
        site=site, unit=unit, bill_line=sep, kind=extra.pop("kind"), amount=D(amount),
        granted_by=user, granted_on=datetime.date(2026, 9, 2), reason="空置减免", **extra,
    )  # fmt: skip
    relieve("15", kind="reduction")
    relieve("5", kind="discount", cancelled_at=timezone.now(), cancelled_by=user, cancel_reason="规则设错")  # fmt: skip
    return {"unit": unit.pk, "lines": (sep.pk, oct_.pk, nov.pk)}


@pytest.mark.django_db(transaction=True)
def test_the_ledger_migration_keeps_what_every_line_owes():
    try:
        built = _old_ledger(_migrate(BEFORE))
    finally:
        _migrate(None)  # forward to today's schema, whatever happened
    sep, oct_, nov = (BillLine.objects.get(pk=pk) for pk in built["lines"])
    # September: ¥100 − (30 paid − 10 refunded; the voided 20 undone) − 15 live relief = ¥65.
    assert (sep.paid_amount, sep.relief_amount, sep.open_amount, sep.settled_on) == (D("20.00"), D("15.00"), D("65.00"), None)  # fmt: skip
    assert (oct_.paid_amount, oct_.open_amount, oct_.settled_on) == (D("50.00"), D("0.00"), datetime.date(2026, 10, 18))  # fmt: skip
    assert nov.open_amount == D("0.00")

    def kinds(line):
        return sorted(LedgerEntry.objects.filter(bill_line=line).values_list("kind", "amount"))

    assert kinds(sep) == sorted([
        ("allocation", D("-30.00")), ("allocation", D("-20.00")), ("void", D("20.00")),
        ("refund", D("10.00")), ("relief", D("-15.00")), ("relief", D("-5.00")),
        ("relief_cancelled", D("5.00")),
    ])  # fmt: skip
    assert kinds(nov) == [("cancelled", D("-40.00"))]
    assert sep.amount + sum(amount for _kind, amount in kinds(sep)) == sep.open_amount
    unit = Unit.objects.get(pk=built["unit"])
    assert receivables.differences(unit.site) == []
    assert payments.ledger(unit).balance == D("65.00")
    [row] = [arrears.to_the_fen(r) for r in arrears.by_unit(unit.site, datetime.date(2026, 12, 1))]
    assert row["total"] == D("65.00")
