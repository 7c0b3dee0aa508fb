"""The statistics' aggregate (`TicketFact`): what one ticket contributes, moved incrementally
by the services and rebuilt set-based from the tickets.

A ticket counts on the day it was received (in the site's time zone), under its kind, channel,
root cause and department. Its measures are 0/1 flags and its counts of hurries and reopenings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate

from wuye.core.models import Site

from .models import HelpArchive, Kind, Ticket, TicketFact

Key = tuple[int, datetime.date, str, str, int, int]
Measures = dict[str, int]


def site_zone(site_or_zone) -> ZoneInfo:
    name = getattr(site_or_zone, "time_zone", site_or_zone) or "Asia/Shanghai"
    return ZoneInfo(name)


def _flags(ticket: Ticket) -> Measures:
    complaint = ticket.kind == Kind.COMPLAINT
    counted = complaint and ticket.is_valid is True and ticket.is_event_primary
    return {
        "received": 1,
        "closed": int(ticket.state == Ticket.State.CLOSED),
        "completed": int(ticket.completed_at is not None),
        "with_clock": int(ticket.due_at is not None),
        "clock_met": int(ticket.met_at is not None),
        "on_time": int(
            ticket.met_at is not None
            and ticket.due_at is not None
            and ticket.met_at <= ticket.due_at
        ),
        "late": int(
            ticket.due_at is not None
            and (
                (ticket.met_at is not None and ticket.met_at > ticket.due_at)
                or (ticket.met_at is None and ticket.breached_at is not None)
            )
        ),
        "breached": int(ticket.breached_at is not None),
        # Owed once the work is completed, and still counted after a callback reopened it.
        "callbacks_due": int(
            ticket.needs_callback
            and (ticket.completed_at is not None or ticket.called_back_at is not None)
        ),
        "callbacks_done": int(ticket.called_back_at is not None),
        "satisfied": int(ticket.satisfied is True),
        "reopened": ticket.reopen_count,
        "hurries": ticket.hurry_count,
        "valid_complaints": int(complaint and ticket.is_valid is True),
        "invalid_complaints": int(complaint and ticket.is_valid is False),
        "counted_complaints": int(counted),
        "counted_satisfied": int(counted and ticket.satisfied is True),
        "major": int(complaint and ticket.is_major),
    }


def facts_of(ticket: Ticket, zone: ZoneInfo) -> tuple[Key, Measures]:
    key = (
        ticket.site_id,
        ticket.received_at.astimezone(zone).date(),
        ticket.kind,
        ticket.channel,
        ticket.root_cause_id or 0,
        ticket.department_id or 0,
    )
    return key, _flags(ticket)


KEY_FIELDS = ("site_id", "day", "kind", "channel", "root_cause_key", "department_key")


def _add(key: Key, deltas: Measures) -> None:
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    key_columns = dict(zip(KEY_FIELDS, key, strict=True))
    rows = TicketFact.objects.filter(**key_columns)
    updates = {name: F(name) + value for name, value in deltas.items()}
    if rows.update(**updates):
        return
    try:
        with transaction.atomic():
            TicketFact.objects.create(**key_columns, **deltas)
    except IntegrityError:
        # Another transaction inserted the key first; add to its row.
        rows.update(**updates)


def move_facts(before: tuple[Key, Measures] | None, after: tuple[Key, Measures] | None) -> None:
    """Move a ticket's contribution from `before` to `after` (either may be None)."""
    if before and after and before[0] == after[0]:
        _add(after[0], {n: after[1][n] - before[1][n] for n in TicketFact.MEASURES})
        return
    if before:
        _add(before[0], {n: -v for n, v in before[1].items()})
    if after:
        _add(after[0], after[1])


def _flag(condition: Q) -> Sum:
    return Sum(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _measure_expressions() -> dict:
    complaint = Q(kind=Kind.COMPLAINT)
    counted = complaint & Q(is_valid=True, is_event_primary=True)
    return {
        "received": Count("id"),
        "closed": _flag(Q(state=Ticket.State.CLOSED)),
        "completed": _flag(Q(completed_at__isnull=False)),
        "with_clock": _flag(Q(due_at__isnull=False)),
        "clock_met": _flag(Q(met_at__isnull=False)),
        "on_time": _flag(Q(met_at__isnull=False, due_at__isnull=False, met_at__lte=F("due_at"))),
        "late": _flag(
            Q(due_at__isnull=False)
            & (Q(met_at__gt=F("due_at")) | Q(met_at__isnull=True, breached_at__isnull=False))
        ),
        "breached": _flag(Q(breached_at__isnull=False)),
        "callbacks_due": _flag(
            Q(needs_callback=True)
            & (Q(completed_at__isnull=False) | Q(called_back_at__isnull=False))
        ),
        "callbacks_done": _flag(Q(called_back_at__isnull=False)),
        "satisfied": _flag(Q(satisfied=True)),
        "reopened": Sum("reopen_count"),
        "hurries": Sum("hurry_count"),
        "valid_complaints": _flag(complaint & Q(is_valid=True)),
        "invalid_complaints": _flag(complaint & Q(is_valid=False)),
        "counted_complaints": _flag(counted),
        "counted_satisfied": _flag(counted & Q(satisfied=True)),
        "major": _flag(complaint & Q(is_major=True)),
    }


def aggregate_tickets(site: Site, tickets=None) -> Iterator[dict]:
    """The facts of `tickets` (default: all of the site's), grouped by key, in SQL."""
    qs = Ticket.objects.filter(site=site) if tickets is None else tickets
    # Prefixed: a measure named like a ticket field ("satisfied") would shadow the field.
    measures = {f"m_{name}": expr for name, expr in _measure_expressions().items()}
    groups = (
        qs.annotate(
            day=TruncDate("received_at", tzinfo=site_zone(site)),
            root_cause_key=Coalesce("root_cause_id", Value(0)),
            department_key=Coalesce("department_id", Value(0)),
        )
        .values("day", "kind", "channel", "root_cause_key", "department_key")
        .annotate(**measures)
        .order_by()
    )
    for group in groups.iterator(chunk_size=5000):
        yield {
            **{k: v for k, v in group.items() if not k.startswith("m_")},
            **{name: group[f"m_{name}"] or 0 for name in TicketFact.MEASURES},
        }


def _removed_help_years(site: Site) -> tuple[Q, Q]:
    """The facts kept for help registers removed after their keeping period (R-HLP-06), and
    the tickets of those years left out of a recount: their counts outlive the records."""
    years = HelpArchive.objects.filter(site=site, removed_at__isnull=False).values_list(
        "year", flat=True
    )
    facts, tickets = Q(pk__in=[]), Q(pk__in=[])
    zone = site_zone(site)
    for year in years:
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        start = datetime.datetime(year, 1, 1, tzinfo=zone)
        end = datetime.datetime(year + 1, 1, 1, tzinfo=zone)
        facts |= Q(kind=Kind.HELP, day__gte=first, day__lte=last)
        tickets |= Q(kind=Kind.HELP, received_at__gte=start, received_at__lt=end)
    return facts, tickets


@transaction.atomic
def rebuild_facts(site: Site, *, batch: int = 5000) -> int:
    """Recompute a site's facts from its tickets; returns the number of fact rows recomputed.
    The counts of removed help registers are kept as they are."""
    kept_facts, removed_years = _removed_help_years(site)
    TicketFact.objects.filter(site=site).exclude(kept_facts).delete()
    rows, count = [], 0
    tickets = Ticket.objects.filter(site=site).exclude(removed_years)
    for group in aggregate_tickets(site, tickets):
        rows.append(TicketFact(site=site, **group))
        if len(rows) >= batch:
            TicketFact.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    TicketFact.objects.bulk_create(rows)
    return count + len(rows)
