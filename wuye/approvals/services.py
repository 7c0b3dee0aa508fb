"""Asking and deciding (R-ADM-02). Something beyond its asker's authority waits for someone whose
post covers its amount. Approving carries it out at once, in the approver's name with the
asker's reason, through the kind that owns it (`kinds.py`); rejecting leaves everything as it
was. Either way the decision is kept. One request per subject waits at a time."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.permissions import ensure_can

from .authority import approver_name, require_authority
from .kinds import kind_of
from .models import ApprovalRequest

VIEW = "approvals.view_approvalrequest"
ASK = "approvals.add_approvalrequest"
DECIDE = "approvals.change_approvalrequest"


def request_approval(*, site, actor, action: str, params: dict, reason: str) -> ApprovalRequest:
    """Ask for `action` (an authority-matrix row a kind is registered for) with the kind's
    `params`; the kind checks them now and says what the approver's authority must cover."""
    ensure_can(actor, ASK, site)
    reason = (reason or "").strip()
    with collecting() as errors:
        kind = errors.check(kind_of, action)
        if not reason:
            errors.add("reason", _("Say why."), "required")
        prepared = errors.check(kind.prepare, site, dict(params or {})) if kind else None
    params, amount = prepared
    params = {key: params[key] for key in sorted(params)}
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                site=site, action=action, amount=amount, params=params, reason=reason[:200],
                requested_by=actor, approver_name=approver_name(actor, site.pk, action, amount),
            )  # fmt: skip
            record_create(actor, request)
    except IntegrityError:
        raise invalid(None, _("This is already waiting for approval."), "pending") from None
    return request


def decide(*, request: ApprovalRequest, actor, approve: bool, note: str = "") -> ApprovalRequest:
    """Approve (and carry out) or reject a waiting request. The decider's post must cover the
    amount; nobody decides their own request."""
    ensure_can(actor, DECIDE, request.site_id)
    note = (note or "").strip()
    if not approve and not note:
        raise invalid("note", _("Say why the request is rejected."), "required")
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update(of=("self",)).select_related("site").get(pk=request.pk)  # fmt: skip
        if request.state != ApprovalRequest.State.PENDING:
            raise invalid(None, _("This request was already decided."), "decided")
        if request.requested_by_id == actor.pk:
            raise PermissionDenied(_("Someone else must decide your own request."))
        require_authority(actor, request.site_id, request.action, request.amount)
        if approve:
            kind_of(request.action).carry_out(request, actor)
        request.state = (
            ApprovalRequest.State.APPROVED if approve else ApprovalRequest.State.REJECTED
        )
        request.decided_by, request.decided_at, request.decision_note = (
            actor,
            timezone.now(),
            note[:200],
        )
        request.save()
        record_action(actor, request, request.get_state_display(), {"decision_note": [None, note]})
    return request
