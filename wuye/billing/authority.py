"""Which role permission makes each of money's corrections, and the refusal of one that a role
may only ask for (R-ADM-02); the post's authority itself is the approval engine's
(`wuye.approvals.authority`)."""

from __future__ import annotations

from decimal import Decimal

from wuye.approvals.authority import BeyondAuthority, approver
from wuye.approvals.services import ASK
from wuye.staff.models import AuthorityRule

from .money import CENT

# The role permission that makes each correction (within the post's authority).
MAKES = {
    AuthorityRule.Action.REFUND: "billing.add_refund",
    AuthorityRule.Action.CANCEL_BILL_LINE: "billing.cancel_billline",
    AuthorityRule.Action.VOID_PAYMENT: "billing.void_payment",
    AuthorityRule.Action.WAIVE_LATE_FEE: "billing.add_latefeewaiver",
    AuthorityRule.Action.RELIEF: "billing.approve_vacancyapplication",
}


def may_correct(user, action: str) -> bool:
    """Whether the user may make the correction, or at least ask for it."""
    return user.has_perm(MAKES[action]) or user.has_perm(ASK)


def within_authority(actor, site, action: str, amount: Decimal) -> None:
    """Refuse like `BeyondAuthority`, naming who may approve, when the actor's role may only
    ask for this correction (a cashier: no refunds, voids or cancellations of their own). For
    those whose role makes it, the service checks their post's authority."""
    if actor.has_perm(MAKES[action]) or not actor.has_perm(ASK):
        return
    amount = Decimal(amount).quantize(CENT)
    raise BeyondAuthority(action, amount, approver(actor, site.pk, action, amount))
