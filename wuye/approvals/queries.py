"""Reads of approval requests: what waits at a site, the one inbox of what waits for a decider
(R-ADM-02), and each request in words."""

from __future__ import annotations

from django.db.models import QuerySet

from wuye.staff.authority import approvable

from .authority import employee_of
from .kinds import kind_of, registered
from .models import ApprovalRequest
from .services import DECIDE


def pending(site) -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.filter(site=site, state=ApprovalRequest.State.PENDING)
        .select_related("requested_by")
        .order_by("created_at")
    )


def decided(site, limit: int = 50) -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.of_site(site)
        .exclude(state=ApprovalRequest.State.PENDING)
        .select_related("requested_by", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def to_decide(user, site) -> QuerySet[ApprovalRequest]:
    """The inbox: the waiting requests of every kind that `user` may decide — what
    `services.decide` would accept: the decider's role, not their own request, within their
    post's authority (staff without an employee record are not limited by a post)."""
    waiting = pending(site).exclude(requested_by=user)
    if not user.has_perm(DECIDE):
        return waiting.none()
    employee = employee_of(user, site.pk)
    if employee is None:
        return waiting
    return waiting.filter(approvable(employee, site, list(registered())))


def describe(site, requests: list[ApprovalRequest]) -> list[ApprovalRequest]:
    """Each request with `unit` (or None), `link` (its page, or None) and `what` (in words), each kind's
    subjects read in a few queries for the whole list."""
    by_action: dict[str, list[ApprovalRequest]] = {}
    for asked in requests:
        asked.unit, asked.parts, asked.link = None, [], None
        by_action.setdefault(asked.action, []).append(asked)
    for action, asked in by_action.items():
        kind_of(action).describe(site, asked)
    for asked in requests:
        words = [str(asked.get_action_display())] + [str(p) for p in asked.parts if p]
        asked.what = " · ".join(words)
    return requests
