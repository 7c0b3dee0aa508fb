"""Whether the actor's post may do something of this size (R-ADM-02, the company's authority
matrix), and if not, who may: the refusal names them, and the actor can ask them through an
approval request (`services.request_approval`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from wuye.core.money import format_yuan
from wuye.staff.authority import approver_for, may_approve
from wuye.staff.models import Employee

from .kinds import refusal_of


class BeyondAuthority(PermissionDenied):
    """Refused for its size: says who may approve, so the page can offer to ask them."""

    def __init__(self, action: str, amount: Decimal, approver: Employee | None):
        self.action, self.amount, self.approver = action, amount, approver
        who = approver.name if approver else _("the company")
        sentence = refusal_of(action) or _("This is beyond your authority; %(who)s may approve it.")
        super().__init__(sentence % {"amount": format_yuan(amount), "who": who})


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
