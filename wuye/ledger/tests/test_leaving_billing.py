"""The ledger's models left billing with their tables: a database from before — a bill line,
its allocation and ledger entry, the roles holding the line's permissions, an audit entry —
migrated forward keeps every row, and every role and audit entry still points at the line's
content type (renamed, not replaced)."""

import datetime
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wuye.core.models import AuditEntry
from wuye.ledger.models import Allocation, BillLine, LedgerEntry

BEFORE = [("billing", "0012_approvals_leave_billing"), ("ledger", None)]
SEP = datetime.date(2026, 9, 1)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state([t for t in targets if t[1]]).apps if targets else None


def _old_rows(apps) -> dict:
    model = apps.get_model
    line_type = model("contenttypes", "ContentType").objects.get(app_label="billing", model="billline")  # fmt: skip
    user = model("auth", "User").objects.create(username="旧收费员")
    company = model("core", "Company").objects.create(name="旧物业")
    site = model("core", "Site").objects.create(company=company, code="old", name="旧小区")
    building = model("estate", "Building").objects.create(site=site, code="1", name="1栋", floors_above=6)  # fmt: skip
    unit = model("estate", "Unit").objects.create(
        site=site, building=building, floor=1, number="0101", code="1-0101",
        floor_area=D("90"), indoor_area=D("80"), state="occupied",
    )  # fmt: skip
    item = model("billing", "FeeItem").objects.create(site=site, code="mgmt", name="物业管理费", kind="management", method="floor_area")  # fmt: skip
    line = model("billing", "BillLine").objects.create(
        site=site, fee_item=item, target=f"unit:{unit.pk}", unit=unit, period_start=SEP,
        period_end=datetime.date(2026, 9, 30), amount=D("180.00"), due_date=SEP,
        paid_amount=D("80.00"),
    )  # fmt: skip
    payment = model("billing", "Payment").objects.create(
        site=site, unit=unit, method="cash", amount=D("80.00"), cashier=user,
        received_at=datetime.datetime(2026, 9, 5, 9, tzinfo=datetime.UTC),
    )  # fmt: skip
    allocation = model("billing", "Allocation").objects.create(bill_line=line, payment=payment, amount=D("80.00"), collected_on=SEP)  # fmt: skip
    model("billing", "LedgerEntry").objects.create(site=site, bill_line=line, kind="allocation", amount=D("-80.00"), on=SEP, allocation=allocation)  # fmt: skip
    model("core", "AuditEntry").objects.create(
        site=site, actor=user, action="create", content_type=line_type, object_id=str(line.pk),
        object_repr="物业管理费",
    )  # fmt: skip
    return {"type": line_type.pk, "line": line.pk, "allocation": allocation.pk}


@pytest.mark.django_db(transaction=True)
def test_bill_lines_allocations_and_entries_keep_their_rows_permissions_and_audit():
    try:
        before = _old_rows(_migrate(BEFORE))
    finally:
        _migrate(None)
    moved = ContentType.objects.get_for_model(BillLine)
    assert moved.pk == before["type"] and moved.app_label == "ledger"
    assert not ContentType.objects.filter(app_label="billing", model__in=["billline", "allocation", "ledgerentry"]).exists()  # fmt: skip
    assert Group.objects.get(name="cashier").permissions.filter(content_type=moved, codename="add_billline").exists()  # fmt: skip
    line = BillLine.objects.get(pk=before["line"])
    assert (line.amount, line.paid_amount, line.open_amount) == (D("180.00"), D("80.00"), D("100.00"))  # fmt: skip
    assert Allocation.objects.get(pk=before["allocation"]).bill_line == line
    assert list(LedgerEntry.objects.filter(bill_line=line).values_list("amount", flat=True)) == [D("-80.00")]  # fmt: skip
    assert list(line.refunds.all()) == [] and list(line.reliefs.all()) == []
    assert AuditEntry.objects.get(object_id=str(line.pk)).content_type_id == moved.pk
