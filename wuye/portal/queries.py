"""What a resident may see, in one place: only units with an approved link."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.billing import payments, statements
from wuye.billing import queries as billing
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine
from wuye.people.queries import Occupants, unit_occupants

from .models import ResidentAccount, ResidentLink


def account_of(user) -> ResidentAccount | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return ResidentAccount.objects.filter(user=user).first()


def approved_links(user):
    return ResidentLink.objects.filter(
        account__user=user, state=ResidentLink.State.APPROVED
    ).select_related("unit", "unit__building")


def resident_unit(user, unit_id) -> Unit:
    """The unit if `user` has an approved link to it; 404 otherwise (also for a unit that
    exists but is someone else's, so ids can't be probed)."""
    link = approved_links(user).filter(unit_id=unit_id).first()
    if link is None:
        raise Http404("unit")
    return link.unit


def household_of(user, unit_id) -> Occupants:
    return unit_occupants(resident_unit(user, unit_id))


@dataclass
class UnitStatement:
    """What a resident sees of a unit's account: what is open (oldest first, with due dates),
    the credit held, and every entry with the running balance (oldest first)."""

    unit: Unit
    open_lines: list[BillLine]
    open_total: Decimal
    credit_held: Decimal
    entries: list[billing.Entry]
    balance: Decimal
    today: datetime.date


def unit_statement(user, unit_id) -> UnitStatement:
    """The statement of a unit `user` has an approved link to; 404 otherwise."""
    unit = resident_unit(user, unit_id)
    open_ = payments.open_lines(unit)
    return UnitStatement(
        unit=unit,
        open_lines=open_,
        open_total=sum((line.outstanding for line in open_), Decimal("0.00")),
        credit_held=billing.credit_held(unit),
        entries=billing.statement(unit),
        balance=payments.ledger(unit).balance,
        today=timezone.localdate(),
    )


def statement_pdf(user, unit_id) -> tuple[str, bytes]:
    """The file name and the PDF of a unit's statement, for a resident linked to it (404
    otherwise)."""
    unit = resident_unit(user, unit_id)
    content = statements.render_statement(unit, billing.statement(unit), site=unit.site)
    return _("statement-%(unit)s.pdf") % {"unit": unit.code}, content


def requests_for_owner(user):
    """Pending tenant and household requests on the units `user` owns (approved)."""
    owned = approved_links(user).filter(role=ResidentLink.Role.OWNER).values("unit_id")
    return (
        ResidentLink.objects.filter(unit_id__in=owned, state=ResidentLink.State.PENDING)
        .exclude(role=ResidentLink.Role.OWNER)
        .select_related("account", "unit")
    )


def pending_for_site(site):
    return (
        ResidentLink.objects.of_site(site)
        .filter(state=ResidentLink.State.PENDING)
        .select_related("account", "unit")
        .order_by("created_at", "pk")
    )


def resident_tickets(user):
    """The tickets a resident filed themselves, newest first."""
    from wuye.servicedesk.models import Ticket

    return (
        Ticket.objects.filter(resident=user).select_related("unit").order_by("-received_at", "-id")
    )


def resident_ticket(user, pk):
    """One of the resident's own tickets; 404 for anyone else's, so ids can't be probed."""
    ticket = resident_tickets(user).filter(pk=pk).first()
    if ticket is None:
        raise Http404("ticket")
    return ticket
