"""The approvals API: the inbox — what waits for the caller to decide at a site, of every kind
(R-ADM-02) — and deciding any request. Asking is each kind's own operation, where its subject
is checked (money's corrections: `/billing/approval-requests`, late fees, relief); money's
decide operation (`/billing/approval-requests/{id}/decide`) is this one under its first path."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site

from . import queries, services
from .authority import BeyondAuthority
from .models import ApprovalRequest

router = Router(tags=["approvals"])


class ApprovalOut(Schema):
    id: int
    action: str
    what: str
    unit: str | None
    amount: Decimal
    params: dict
    reason: str
    state: str
    requested_by: str
    approver_name: str
    created_at: datetime.datetime
    decided_by: str | None
    decided_at: datetime.datetime | None
    decision_note: str


class FieldErrorOut(Schema):
    field: str | None
    message: str
    code: str


class BeyondOut(Schema):
    message: str
    code: str
    fields: list[FieldErrorOut]
    action: str
    amount: Decimal
    approver: str | None = Field(None, description="Who may approve it; null: the company.")


def beyond_body(exc: BeyondAuthority) -> dict:
    """The 403 of something beyond the caller's authority, naming who may approve it."""
    return {
        "message": str(exc.args[0]), "code": "beyond_authority", "fields": [],
        "action": exc.action, "amount": exc.amount,
        "approver": exc.approver.name if exc.approver else None,
    }  # fmt: skip


class DecideIn(Schema):
    approve: bool
    note: str = Field("", max_length=200, description="Needed to reject.")


def _person(user) -> str | None:
    return (user.get_full_name() or user.username) if user else None


def approval_out(found: ApprovalRequest) -> dict:
    """`found` as described by `queries.describe`."""
    return {
        "id": found.pk, "action": found.action, "what": found.what,
        "unit": found.unit.code if found.unit else None, "amount": found.amount,
        "params": found.params, "reason": found.reason, "state": found.state,
        "requested_by": _person(found.requested_by), "approver_name": found.approver_name,
        "created_at": found.created_at, "decided_by": _person(found.decided_by),
        "decided_at": found.decided_at, "decision_note": found.decision_note,
    }  # fmt: skip


@router.get(
    "/inbox",
    response=list[ApprovalOut],
    summary="The requests waiting for you to decide, within your authority",
)
def inbox(request, site: int | None = None):
    where = one_site(request.user, site)
    ensure_can(request.user, services.VIEW, where)
    waiting = list(queries.to_decide(request.user, where).select_related("decided_by"))
    return [approval_out(found) for found in queries.describe(where, waiting)]


def decide_through_api(request, request_id: int, payload: DecideIn):
    found = access_object(ApprovalRequest.objects.select_related("site"), request.user, request_id)
    try:
        decided = services.decide(
            request=found, actor=request.user, approve=payload.approve, note=payload.note
        )
    except BeyondAuthority as exc:
        return Status(403, beyond_body(exc))
    return approval_out(queries.describe(found.site, [decided])[0])


@router.post(
    "/{request_id}/decide", response={200: ApprovalOut, 403: BeyondOut},
    summary="Approve (and carry out) or reject a request of any kind (authority; not your own)",
)  # fmt: skip
def decide(request, request_id: int, payload: DecideIn):
    return decide_through_api(request, request_id, payload)
