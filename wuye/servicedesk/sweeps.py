"""The clock's background work: warn before a deadline, mark breaches and escalate them, reopen
deferred tickets and close complaints that needed no callback (R-CMP-10).

Run every minute by the schedule (Celery beat with a broker, the embedded scheduler without).
Everything it acts on is a row in the database, so a restart loses nothing: the next sweep
finds what fell due meanwhile. Each ticket is claimed with a conditional UPDATE that must
change exactly one row, so two workers sweeping at once never act twice.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .facts import facts_of, move_facts, site_zone
from .models import DeskSettings, Kind, Ticket
from .services import Step, add_step, escalation_target, reopen_deferred

log = logging.getLogger(__name__)
BATCH = 500


def warn_due_soon(now: datetime.datetime) -> int:
    """Mark clocks that have used their warning share; the open list shows them as due soon."""
    ids = list(
        Ticket.objects.filter(
            warn_at__lte=now, met_at__isnull=True, warned_at__isnull=True, warn_at__isnull=False,
            state__in=Ticket.OPEN_STATES,
        ).values_list("id", flat=True)[:BATCH]
    )  # fmt: skip
    warned = 0
    for pk in ids:
        with transaction.atomic():
            if Ticket.objects.filter(pk=pk, warned_at__isnull=True, met_at__isnull=True).update(
                warned_at=now
            ):
                ticket = Ticket.objects.get(pk=pk)
                add_step(ticket, None, Step("clock_warning", data={"due_at": ticket.due_at.isoformat()}),
                         from_state=ticket.state)  # fmt: skip
                warned += 1
    return warned


def mark_breaches(now: datetime.datetime) -> int:
    """Mark clocks past due and escalate each to the superior (authority chain)."""
    ids = list(
        Ticket.objects.filter(
            due_at__lte=now, met_at__isnull=True, breached_at__isnull=True, due_at__isnull=False,
            state__in=Ticket.OPEN_STATES,
        ).values_list("id", flat=True)[:BATCH]
    )  # fmt: skip
    breached = 0
    for pk in ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",)).select_related("site")
                .filter(pk=pk, breached_at__isnull=True, met_at__isnull=True).first()
            )  # fmt: skip
            if ticket is None:
                continue  # met or claimed meanwhile
            zone = site_zone(ticket.site)
            before = facts_of(ticket, zone)
            ticket.breached_at = now
            ticket.warned_at = ticket.warned_at or now
            target = escalation_target(ticket)
            if target is not None and ticket.escalated_to_id is None:
                ticket.escalated_to = target
            ticket.version += 1
            ticket.save()
            move_facts(before, facts_of(ticket, zone))
            add_step(
                ticket, None,
                Step("clock_breached", data={
                    "due_at": ticket.due_at.isoformat(),
                    "escalated_to": str(target) if target else None,
                }),
                from_state=ticket.state,
            )  # fmt: skip
            breached += 1
    return breached


def reopen_deferred_due(now: datetime.datetime) -> int:
    count = 0
    tickets = Ticket.objects.filter(
        state=Ticket.State.DEFERRED, deferred_until__lte=now.date() + datetime.timedelta(days=1)
    ).select_related("site")[:BATCH]
    for ticket in tickets:
        if ticket.deferred_until <= timezone.localdate(now, timezone=site_zone(ticket.site)):
            reopen_deferred(ticket)
            count += 1
    return count


def autoclose_complaints(now: datetime.datetime) -> int:
    """R-CMP-10: a completed complaint that needs no callback closes after the site's days
    (default 7) unless a repeat complaint about its event arrived after completion."""
    closed = 0
    days_by_site = dict(DeskSettings.objects.values_list("site_id", "complaint_autoclose_days"))
    default_days = DeskSettings._meta.get_field("complaint_autoclose_days").default
    oldest = now - datetime.timedelta(days=min([default_days, *days_by_site.values()]))
    repeat = Ticket.objects.filter(
        event_id=OuterRef("event_id"), received_at__gt=OuterRef("completed_at")
    ).exclude(pk=OuterRef("pk"))
    candidates = (
        Ticket.objects.filter(
            state=Ticket.State.COMPLETED, kind=Kind.COMPLAINT, needs_callback=False,
            completed_at__lte=oldest,
        )
        .filter(~Exists(repeat))
        .select_related("site")[:BATCH]
    )  # fmt: skip
    for ticket in candidates:
        days = days_by_site.get(ticket.site_id, default_days)
        if ticket.completed_at > now - datetime.timedelta(days=days):
            continue
        with transaction.atomic():
            locked = (
                Ticket.objects.select_for_update(of=("self",))
                .filter(pk=ticket.pk, state=Ticket.State.COMPLETED).first()
            )  # fmt: skip
            if locked is None:
                continue
            zone = site_zone(ticket.site)
            before = facts_of(locked, zone)
            locked.state, locked.closed_at = Ticket.State.CLOSED, now
            locked.close_reason = _("no repeat complaint within %(days)s days") % {"days": days}
            locked.version += 1
            locked.save()
            move_facts(before, facts_of(locked, zone))
            add_step(locked, None, Step("auto_closed", note=locked.close_reason),
                     from_state=Ticket.State.COMPLETED)  # fmt: skip
            closed += 1
    return closed


def sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "warned": warn_due_soon(now),
        "breached": mark_breaches(now),
        "undeferred": reopen_deferred_due(now),
        "auto_closed": autoclose_complaints(now),
    }
