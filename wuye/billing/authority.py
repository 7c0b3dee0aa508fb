"""Whether the actor's post may make a correction of this size (R-ADM-02, the foundation's
authority matrix), and if not, who may: the refusal names them, and the actor can ask them
through an approval request (`approvals.py`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from wuye.core.money import format_yuan
from wuye.staff.authority import approver_for, may_approve
from wuye.staff.models import AuthorityRule, Employee

from .money import CENT


class BeyondAuthority(PermissionDenied):
    """Refused for its size: says who may approve, so the page can offer to ask them."""

    def __init__(self, action: str, amount: Decimal, approver: Employee | None):
        self.action, self.amount, self.approver = action, amount, approver
        who = approver.name if approver else _("the company")
        sentences = {
            AuthorityRule.Action.CANCEL_BILL_LINE: _("Cancelling %(amount)s is beyond your authority; %(who)s may approve it."),
            AuthorityRule.Action.VOID_PAYMENT: _("Voiding %(amount)s is beyond your authority; %(who)s may approve it."),
            AuthorityRule.Action.REFUND: _("Refunding %(amount)s is beyond your authority; %(who)s may approve it."),
            AuthorityRule.Action.WAIVE_LATE_FEE: _("Waiving %(amount)s of a late fee is beyond your authority; %(who)s may approve it."),
            AuthorityRule.Action.RELIEF: _("Granting %(amount)s of relief is beyond your authority; %(who)s may approve it."),
        }  # fmt: skip
        super().__init__(sentences[action] % {"amount": format_yuan(amount), "who": who})


def employee_of(actor, site_id) -> Employee | None:
    return (
        Employee.objects.filter(user=actor, site_id=site_id, is_active=True)
        .select_related("post")
        .first()
    )


def require_authority(actor, site_id, action: str, amount: Decimal) -> None:
    """Raise `BeyondAuthority` unless the actor's post may approve `action` of `amount`.
    Staff without an employee record (the company's own accounts) are not limited here; their
    role permission was already checked."""
    employee = employee_of(actor, site_id)
    if employee is not None and not may_approve(employee, action, amount=amount):
        raise BeyondAuthority(
            action, amount, approver_for(employee, action, amount=amount, include_self=False)
        )


def approver(actor, site_id, action: str, amount: Decimal) -> Employee | None:
    """Who above the actor may approve it; None: the company."""
    employee = employee_of(actor, site_id)
    return approver_for(employee, action, amount=amount, include_self=False) if employee else None


def approver_name(actor, site_id, action: str, amount: Decimal) -> str:
    found = approver(actor, site_id, action, amount)
    return found.name if found else ""


ASK = "billing.add_approvalrequest"
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
