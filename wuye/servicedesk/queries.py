"""Reads the desk's pages, the API and the reports share: ticket lists, the daily review, the
worker's jobs, likely duplicates and the statistics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from wuye.estate.models import Unit

from .facts import site_zone
from .models import Callback, Kind, Ticket, TicketFact, WorkOrder
from .policy import desk_settings

LIST_RELATED = ("unit", "facility", "assignee", "category", "department")


def day_bounds(site, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = site_zone(site)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def period_bounds(site, start: datetime.date, end: datetime.date):
    """[start 00:00, end+1 00:00) in the site's zone."""
    return day_bounds(site, start)[0], day_bounds(site, end)[1]


def open_tickets(site) -> QuerySet[Ticket]:
    """Open tickets, overdue (earliest due) first, those without a clock last."""
    return (
        Ticket.objects.of_site(site)
        .filter(state__in=Ticket.OPEN_STATES)
        .select_related(*LIST_RELATED)
        .order_by(F("due_at").asc(nulls_last=True), "received_at", "id")
    )


def filter_tickets(site, *, q: str = "", kind: str = "", state: str = "", overdue: bool = False,
                   assignee: int | None = None, only_open: bool = True,
                   major: bool = False) -> QuerySet[Ticket]:  # fmt: skip
    tickets = open_tickets(site) if only_open else (
        Ticket.objects.of_site(site).filter(archive__isnull=True)  # archived: their own page
        .select_related(*LIST_RELATED).order_by("-received_at", "-id")
    )  # fmt: skip
    if kind:
        tickets = tickets.filter(kind=kind)
    if state:
        tickets = tickets.filter(state=state)
    if overdue:
        tickets = tickets.filter(due_at__lte=timezone.now(), met_at__isnull=True)
    if assignee:
        tickets = tickets.filter(assignee_id=assignee)
    if major:
        tickets = tickets.filter(kind=Kind.COMPLAINT, is_major=True)
    return search_tickets(site, tickets, q)


def search_tickets(site, tickets: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """The desk's search box: the end of a ticket number, words of the subject, the caller's
    name as typed, or a unit's code."""
    q = q.strip()
    if q:
        match = Q(number__iendswith=q) | Q(subject__icontains=q) | Q(caller_name__startswith=q)
        units = Unit.objects.of_site(site).filter(code__iexact=q).values("pk")
        tickets = tickets.filter(match | Q(unit__in=units))
    return tickets


def archived_help_requests(archive, *, q: str = "", help_kind: str = "") -> QuerySet[Ticket]:
    """R-HLP-06: one archive's help requests, searched like the desk's list, newest first."""
    tickets = (
        Ticket.objects.filter(archive=archive)
        .select_related(*LIST_RELATED)
        .order_by("-received_at", "-id")
    )
    if help_kind:
        tickets = tickets.filter(help_kind=help_kind)
    return search_tickets(archive.site, tickets, q)


def received_on(site, day: datetime.date) -> QuerySet[Ticket]:
    start, end = day_bounds(site, day)
    return (
        Ticket.objects.of_site(site)
        .filter(received_at__gte=start, received_at__lt=end)
        .select_related(*LIST_RELATED)
        .order_by("-received_at", "-id")
    )


def review_counts(site, day: datetime.date) -> dict[str, int]:
    start, end = day_bounds(site, day)
    now = timezone.now()
    facts = TicketFact.objects.filter(site=site, day=day).aggregate(received=Sum("received"))
    still_open = Ticket.objects.of_site(site).filter(state__in=Ticket.OPEN_STATES)
    return {
        "received": facts["received"] or 0,
        "open": still_open.count(),
        "overdue": still_open.filter(due_at__lte=now, met_at__isnull=True).count(),
        "hurried": still_open.filter(hurry_count__gt=0).count(),
    }


def callbacks_due(site) -> QuerySet[Callback]:
    return (
        Callback.objects.of_site(site)
        .filter(done_at__isnull=True)
        .select_related("ticket", "ticket__unit")
        .order_by("due_at", "id")
    )


def my_work_orders(employee) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(worker=employee, state__in=WorkOrder.ACTIVE_STATES)
        .select_related("ticket", "ticket__unit", "ticket__facility")
        .order_by("visit_at", "id")
    )


def pool(site, employee=None) -> QuerySet[WorkOrder]:
    """Work offered to the pool: of the categories the employee works in, when given."""
    orders = (
        WorkOrder.objects.of_site(site)
        .filter(state=WorkOrder.State.OFFERED)
        .select_related("ticket", "ticket__unit", "ticket__facility", "ticket__category")
        .order_by("visit_at", "id")
    )
    if employee is not None:
        orders = orders.filter(
            Q(ticket__category__workers__employee=employee)
            | Q(ticket__category__isnull=True)
            | Q(ticket__department=employee.post.department_id)
        ).distinct()
    return orders


# ---------------------------------------------------------------------------------------------
# Likely duplicates (R-CMP-07)

DUPLICATE_CANDIDATES = 200
DUPLICATE_THRESHOLD = 0.3


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text.lower() if not c.isspace()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)} or set(chars)


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams: works for Chinese without word splitting."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


@dataclass(frozen=True)
class Duplicate:
    ticket: Ticket
    score: float
    same_place: bool


def likely_duplicates(site, *, text: str, kind: str = Kind.COMPLAINT, unit=None, facility=None,
                      location: str = "", exclude: int | None = None,
                      now: datetime.datetime | None = None, limit: int = 5) -> list[Duplicate]:  # fmt: skip
    """Recent tickets of the same kind that look like the same event: similar text, the same
    place. Reads at most the latest `DUPLICATE_CANDIDATES` of the window, plus any at the same
    unit or facility, so its cost does not grow with the site's history."""
    text = (text or "").strip()
    if not text and unit is None and facility is None:
        return []
    now = now or timezone.now()
    since = now - datetime.timedelta(days=desk_settings(site).duplicate_window_days)
    recent = Ticket.objects.of_site(site).filter(kind=kind, received_at__gte=since)
    if exclude:
        recent = recent.exclude(pk=exclude)
    columns = ("id", "number", "subject", "description", "unit_id", "facility_id", "location",
               "received_at", "event_id", "state", "caller_name")  # fmt: skip
    candidates = {
        t.pk: t for t in recent.order_by("-received_at").only(*columns)[:DUPLICATE_CANDIDATES]
    }
    place = Q(pk__in=[])
    if unit is not None:
        place |= Q(unit=unit)
    if facility is not None:
        place |= Q(facility=facility)
    for t in recent.filter(place).order_by("-received_at").only(*columns)[:20]:
        candidates.setdefault(t.pk, t)
    unit_id, facility_id = getattr(unit, "pk", unit), getattr(facility, "pk", facility)
    found = []
    for t in candidates.values():
        same_place = bool(
            (unit_id and t.unit_id == unit_id)
            or (facility_id and t.facility_id == facility_id)
            or (location and t.location and location.strip() == t.location)
        )
        score = similarity(text, f"{t.subject} {t.description[:200]}") + (0.3 if same_place else 0)
        if score >= DUPLICATE_THRESHOLD:
            found.append(Duplicate(t, round(min(score, 1.0), 2), same_place))
    found.sort(key=lambda d: (-d.score, -d.ticket.received_at.timestamp()))
    return found[:limit]


# ---------------------------------------------------------------------------------------------
# Statistics (R-CMP-07/08/12, R-KPI-02…06)

KPI_TARGETS = {  # RULES.md R-KPI defaults
    "R-KPI-02": Decimal("100"),
    "R-KPI-03a": Decimal("100"),
    "R-KPI-03b": Decimal("100"),
    "R-KPI-04": Decimal("95"),
    "R-KPI-05a": Decimal("100"),
    "R-KPI-05b": Decimal("95"),
    "R-KPI-06": Decimal("100"),
}


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with one decimal, half up; None when there is nothing to measure."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _sums(rows: QuerySet, group: str | None = None):
    measures = {name: Sum(name) for name in TicketFact.MEASURES}
    if group is None:
        totals = rows.aggregate(**measures)
        return {k: v or 0 for k, v in totals.items()}
    # A group's fact rows can be left at zero when its tickets moved to another group (a root
    # cause changed, say); a group that received nothing in the period is left out.
    return [
        {**{k: v or 0 for k, v in row.items() if k in TicketFact.MEASURES}, "key": row[group]}
        for row in rows.values(group).annotate(**measures).order_by(group)
        if row["received"]
    ]


def complaint_events(site, start: datetime.date, end: datetime.date) -> list[dict]:
    """R-CMP-07: each complaint event of the period — the one its earliest complaint stands for —
    with how many people complained how many times (contacts) and how far it reached; most
    people first. Whether it is counted follows its earliest complaint's validity (R-CMP-12)."""
    begin, finish = period_bounds(site, start, end)
    primaries = (
        Ticket.objects.of_site(site)
        .filter(kind=Kind.COMPLAINT, is_event_primary=True)
        .filter(received_at__gte=begin, received_at__lt=finish)
        .select_related("event", "unit", "root_cause")
        .order_by("-event__people_count", "-event__times_count", "received_at", "id")
    )
    return [
        {
            "ticket_id": t.pk,
            "number": t.number,
            "subject": t.subject,
            "received_at": t.received_at,
            "unit": t.unit.code if t.unit else t.location,
            "root_cause": t.root_cause.name if t.root_cause else "",
            "people": t.event.people_count,
            "contacts": t.event.times_count,
            "reach": t.event.reach,
            "counted": t.is_valid is True,
            "satisfied": t.satisfied,
            "state": t.state,
        }
        for t in primaries
    ]


@dataclass
class Indicator:
    code: str
    label: str
    numerator: int
    denominator: int
    target: Decimal

    @property
    def value(self) -> Decimal | None:
        return rate(self.numerator, self.denominator)

    @property
    def meets_target(self) -> bool | None:
        value = self.value
        return None if value is None else value >= self.target


def statistics(site, start: datetime.date, end: datetime.date) -> dict:
    """The figures of tickets received from `start` to `end` (inclusive), from the aggregate."""
    from django.utils.translation import gettext as _

    rows = TicketFact.objects.filter(site=site, day__gte=start, day__lte=end)
    total = _sums(rows)
    by_kind = {r["key"]: r for r in _sums(rows, "kind")}
    by_channel = _sums(rows, "channel")
    by_department = _sums(rows, "department_key")
    complaints = rows.filter(kind=Kind.COMPLAINT)
    by_cause = _sums(complaints, "root_cause_key")
    events = complaint_events(site, start, end)
    zero = dict.fromkeys(TicketFact.MEASURES, 0)
    repair, help_, complaint = (by_kind.get(k, zero) for k in (Kind.REPAIR, Kind.HELP, Kind.COMPLAINT))  # fmt: skip
    indicators = [
        Indicator(
            "R-KPI-02",
            _("repair orders followed up"),
            repair["callbacks_done"],
            repair["callbacks_due"],
            KPI_TARGETS["R-KPI-02"],
        ),  # fmt: skip
        Indicator(
            "R-KPI-03a",
            _("repairs on time"),
            repair["on_time"],
            repair["on_time"] + repair["late"],
            KPI_TARGETS["R-KPI-03a"],
        ),  # fmt: skip
        Indicator(
            "R-KPI-03b",
            _("repairs passing the callback"),
            repair["satisfied"],
            repair["callbacks_done"],
            KPI_TARGETS["R-KPI-03b"],
        ),  # fmt: skip
        Indicator(
            "R-KPI-04",
            _("valid complaints handled satisfactorily"),
            complaint["counted_satisfied"],
            complaint["counted_complaints"],
            KPI_TARGETS["R-KPI-04"],
        ),  # fmt: skip
        Indicator(
            "R-KPI-05a",
            _("help requests handled"),
            help_["completed"],
            help_["received"],
            KPI_TARGETS["R-KPI-05a"],
        ),  # fmt: skip
        Indicator(
            "R-KPI-05b",
            _("help requests satisfied"),
            help_["satisfied"],
            help_["callbacks_done"],
            KPI_TARGETS["R-KPI-05b"],
        ),  # fmt: skip
        Indicator(
            "R-KPI-06",
            _("callbacks made of those due"),
            total["callbacks_done"],
            total["callbacks_due"],
            KPI_TARGETS["R-KPI-06"],
        ),  # fmt: skip
    ]
    return {
        "start": start,
        "end": end,
        "total": total,
        "by_kind": by_kind,
        "by_channel": by_channel,
        "by_department": by_department,
        "by_root_cause": by_cause,
        "on_time_rate": rate(total["on_time"], total["on_time"] + total["late"]),
        "callback_rate": rate(total["callbacks_done"], total["callbacks_due"]),
        "satisfaction": rate(total["satisfied"], total["callbacks_done"]),
        "complaint_events": events,
        "complaints": {
            "events": len(events),
            "people": sum(e["people"] for e in events),
            "contacts": sum(e["contacts"] for e in events),
            "received": complaint["received"],
            "valid": complaint["valid_complaints"],
            "invalid": complaint["invalid_complaints"],
            "awaiting": complaint["received"]
            - complaint["valid_complaints"]
            - complaint["invalid_complaints"],  # fmt: skip
            "counted": complaint["counted_complaints"],
            "major": complaint["major"],
        },
        "indicators": indicators,
    }


def label_statistics(figures: dict, site) -> dict:
    """The figures with each group's key turned into its name, for pages and exports."""
    from django.utils.translation import gettext as _

    from wuye.staff.models import Department

    from .models import Channel, RootCause

    kinds, channels = dict(Kind.choices), dict(Channel.choices)
    departments = dict(Department.objects.filter(company_id=site.company_id).values_list("pk", "name"))  # fmt: skip
    causes = dict(RootCause.objects.of_site(site).values_list("pk", "name"))
    none = _("not set")

    def named(rows, names):
        return [{**row, "label": str(names.get(row["key"], none))} for row in rows]

    return {
        **figures,
        "by_kind": named(
            [{**row, "key": key} for key, row in sorted(figures["by_kind"].items())], kinds
        ),
        "by_channel": named(figures["by_channel"], channels),
        "by_department": named(figures["by_department"], departments),
        "by_root_cause": named(figures["by_root_cause"], causes),
    }


# ---------------------------------------------------------------------------------------------
# Work to do now: the home pages' lists, and the ticket list's filters their counts open


def due_soon(tickets: QuerySet[Ticket], now: datetime.datetime | None = None) -> QuerySet[Ticket]:
    """About to breach: the clock has used its warning share (or is past due) and is not met."""
    now = now or timezone.now()
    return tickets.filter(met_at__isnull=True, due_at__isnull=False).filter(
        Q(warn_at__lte=now) | Q(due_at__lte=now)
    )


def overdue(tickets: QuerySet[Ticket], now: datetime.datetime | None = None) -> QuerySet[Ticket]:
    return tickets.filter(due_at__lte=now or timezone.now(), met_at__isnull=True)


def awaiting_first_answer(
    tickets: QuerySet[Ticket], now: datetime.datetime | None = None
) -> QuerySet[Ticket]:
    """Help requests whose first-answer clock (R-HLP-02, 5 minutes by default) is running:
    unanswered and not yet due. Once due they are overdue, and in `due_soon`."""
    return tickets.filter(
        kind=Kind.HELP, clock=Ticket.Clock.FIRST_ANSWER, met_at__isnull=True,
        due_at__gt=now or timezone.now(),
    )  # fmt: skip


def overseen_by(tickets: QuerySet[Ticket], employee) -> QuerySet[Ticket]:
    """What a department's head answers for: its tickets, and those escalated to them."""
    return tickets.filter(Q(department_id=employee.post.department_id) | Q(escalated_to=employee))


CLOCK_FILTERS = ("due_soon",)


def narrow_tickets(tickets: QuerySet[Ticket], *, clock: str = "", waiting: bool = False,
                   overseer=None, now: datetime.datetime | None = None) -> QuerySet[Ticket]:  # fmt: skip
    """The ticket list's filters behind the home pages' counts: `?clock=due_soon`,
    `?waiting=1` (help requests on their first-answer clock), `?oversee=1` (`overseer`'s
    department and what was escalated to them)."""
    now = now or timezone.now()
    if clock == "due_soon":
        tickets = due_soon(tickets, now)
    if waiting:
        tickets = awaiting_first_answer(tickets, now)
    if overseer is not None:
        tickets = overseen_by(tickets, overseer)
    return tickets


def callbacks_due_by(site, day: datetime.date) -> QuerySet[Callback]:
    """Callbacks not yet made that fall due by the end of `day` in the site's zone: the day's
    and the overdue ones."""
    return callbacks_due(site).filter(due_at__lt=day_bounds(site, day)[1])
