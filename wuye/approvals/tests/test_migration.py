"""Approval requests left billing with their table: a database from before — a request waiting,
the roles holding its permissions, its audit entry — migrated forward keeps the request, and
every role and audit entry still points at it (the content type is renamed, not replaced)."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wuye.approvals import queries
from wuye.approvals.models import ApprovalRequest
from wuye.core.models import AuditEntry

BEFORE = [("billing", "0011_ledger_open_amount"), ("approvals", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state([t for t in targets if t[1]]).apps if targets else None


@pytest.mark.django_db(transaction=True)
def test_approval_requests_keep_their_rows_permissions_and_audit_when_they_leave_billing():
    try:
        old = _migrate(BEFORE)
        model = old.get_model
        old_type = model("contenttypes", "ContentType").objects.get(app_label="billing", model="approvalrequest")  # fmt: skip
        user = model("auth", "User").objects.create(username="旧财务")
        company = model("core", "Company").objects.create(name="旧物业")
        site = model("core", "Site").objects.create(company=company, code="old", name="旧小区")
        asked = model("billing", "ApprovalRequest").objects.create(
            site=site, action="void_payment", amount=D("80"), params={"payment": 999},
            reason="收错户", requested_by=user,
        )  # fmt: skip
        model("core", "AuditEntry").objects.create(
            site=site, actor=user, action="create", content_type=old_type, object_id=str(asked.pk),
            object_repr="void_payment ¥80.00",
        )  # fmt: skip
        type_id, request_id = old_type.pk, asked.pk
    finally:
        _migrate(None)
    moved = ContentType.objects.get_for_model(ApprovalRequest)
    assert moved.pk == type_id and moved.app_label == "approvals"
    assert not ContentType.objects.filter(app_label="billing", model="approvalrequest").exists()
    finance = Group.objects.get(name="finance")
    assert finance.permissions.filter(
        content_type=moved, codename="change_approvalrequest"
    ).exists()
    request = ApprovalRequest.objects.get(pk=request_id)
    assert request.state == ApprovalRequest.State.PENDING and request.amount == D("80.00")
    assert list(queries.pending(request.site)) == [request]
    assert AuditEntry.objects.get(object_id=str(request_id)).content_type_id == moved.pk
