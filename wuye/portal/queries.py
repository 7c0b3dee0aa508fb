"""What a resident may see, in one place: only units with an approved link."""

from __future__ import annotations

from django.http import Http404

from wuye.estate.models import Unit
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
