"""Reads about meters that the meter pages, the import and the API share: the site's meters with
their last reading, a building's reading sheet for a month, the readings held for a second look
with each meter's recent history, and usage by building and month (R-FEE-02)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from wuye.estate.models import Building

from .meters import BILLABLE, HISTORY
from .models import Meter, MeterReading

State = MeterReading.State
USAGE_SHOWN = Decimal("0.01")
SITE_WIDE = "site"  # the "building" of a shared meter that serves the whole site


def _standing(**filters):
    """Readings that stand (not rejected) of the outer meter, newest month first."""
    return (
        MeterReading.objects.filter(meter=OuterRef("pk"), **filters)
        .exclude(state=State.REJECTED)
        .order_by("-period")
    )


def with_last_reading(meters, before: datetime.date | None = None):
    """`last_value` and `last_period` on each meter: its newest standing reading (before the
    month `before`, when given); None when it was never read."""
    filters = {"period__lt": before} if before else {}
    return meters.annotate(
        last_value=Subquery(_standing(**filters).values("value")[:1]),
        last_period=Subquery(_standing(**filters).values("period")[:1]),
    )


def meters_of(site, *, kind: str = "", building: str = "", shared: str = "", before=None):
    """The site's meters, filtered by kind, building (an id, or `site` for the whole site's
    shared meters) and `own` / `shared`, with their last reading (before the month `before`,
    when given)."""
    meters = Meter.objects.of_site(site).select_related("unit", "building", "fee_item")
    if kind:
        meters = meters.filter(kind=kind)
    if building == SITE_WIDE:
        meters = meters.filter(building__isnull=True, unit__isnull=True)
    elif building.isdigit():
        meters = meters.filter(Q(building_id=int(building)) | Q(unit__building_id=int(building)))
    if shared == "own":
        meters = meters.filter(unit__isnull=False)
    elif shared == "shared":
        meters = meters.filter(unit__isnull=True)
    return with_last_reading(meters, before).order_by("code")


@dataclass
class SheetRow:
    """One meter on the reading sheet of a month: what it read last before the month, and the
    month's reading when it is already taken."""

    meter: Meter
    last_value: Decimal
    last_period: datetime.date | None  # None: the start reading
    reading: MeterReading | None = None


def reading_sheet(site, *, period: datetime.date, kind: str, building: str) -> list[SheetRow]:
    """The meters in use of a kind in a building (or the whole site's shared ones) for the
    reading of `period`: three queries whatever the number of meters."""
    meters = list(
        meters_of(site, kind=kind, building=building, before=period)
        .filter(is_active=True, installed_on__lt=_next_month(period))
        .order_by(Coalesce("unit__code", "location"), "code")
    )
    taken = {
        r.meter_id: r
        for r in MeterReading.objects.filter(meter__in=[m.pk for m in meters], period=period)
        .exclude(state=State.REJECTED)
        .select_related("read_by")
    }
    return [
        SheetRow(
            meter=m,
            last_value=m.start_value if m.last_value is None else m.last_value,
            last_period=m.last_period,
            reading=taken.get(m.pk),
        )
        for m in meters
    ]


def sheet_row(meter: Meter, period: datetime.date) -> SheetRow:
    """The sheet row of one meter, as `reading_sheet` builds it."""
    meter = with_last_reading(Meter.objects.filter(pk=meter.pk), before=period).select_related(
        "unit", "building"
    )[0]
    reading = (
        MeterReading.objects.filter(meter=meter, period=period)
        .exclude(state=State.REJECTED)
        .first()
    )
    last = meter.start_value if meter.last_value is None else meter.last_value
    return SheetRow(meter=meter, last_value=last, last_period=meter.last_period, reading=reading)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def buildings_with_meters(site, kind: str = "") -> list[Building]:
    """The buildings that have meters (of `kind`), by code: what the reading sheet offers."""
    meters = Meter.objects.of_site(site).filter(is_active=True)
    if kind:
        meters = meters.filter(kind=kind)
    ids = meters.values("building_id")
    return list(Building.objects.of_site(site).filter(pk__in=ids).order_by("code"))


def has_site_wide_meters(site, kind: str = "") -> bool:
    meters = Meter.objects.of_site(site).filter(
        is_active=True, unit__isnull=True, building__isnull=True
    )
    return (meters.filter(kind=kind) if kind else meters).exists()


def held_readings(site):
    """The readings waiting for a second look, oldest month first."""
    return (
        MeterReading.objects.of_site(site)
        .filter(state=State.HELD)
        .select_related("meter__unit", "meter__building", "read_by")
        .order_by("period", "meter__code")
    )


def recent_usages(readings) -> dict[int, list[MeterReading]]:
    """For each reading (by id), its meter's last billable readings before its month, newest
    first, at most HISTORY of them: one query for all the readings given."""
    readings = list(readings)
    by_meter = defaultdict(list)
    if readings:
        history = (
            MeterReading.objects.filter(
                meter_id__in={r.meter_id for r in readings},
                period__lt=max(r.period for r in readings),
                state__in=BILLABLE,
            )
            .only("meter_id", "period", "usage", "value")
            .order_by("meter_id", "-period")
        )
        for past in history:
            by_meter[past.meter_id].append(past)
    return {
        r.pk: [p for p in by_meter[r.meter_id] if p.period < r.period][:HISTORY] for r in readings
    }


# ---------------------------------------------------------------------------------------------
# Usage by building and month


Usage = Decimal | None  # None: no billable reading that month


@dataclass
class UsageRow:
    """One building's (or the whole site's) usage of a year by month, and the year before."""

    key: str  # the building's id, or SITE_WIDE
    name: str
    months: list[Usage] = field(default_factory=lambda: [None] * 12)
    before: list[Usage] = field(default_factory=lambda: [None] * 12)

    def add(self, year_before: bool, month: int, usage: Decimal) -> None:
        target = self.before if year_before else self.months
        target[month - 1] = (target[month - 1] or Decimal(0)) + usage

    @property
    def total(self) -> Decimal:
        return _sum(self.months)

    @property
    def total_before(self) -> Decimal:
        return _sum(self.before)

    @property
    def cells(self) -> list[tuple[Usage, Decimal | None]]:
        """Each month's usage with its change on the same month a year before (%, or None
        when either month has no reading)."""
        return [
            (now, change(now, then)) for now, then in zip(self.months, self.before, strict=True)
        ]

    @property
    def total_change(self) -> Decimal | None:
        """The year's change on the same months of the year before (so a year still running
        is not compared with a whole one)."""
        read = [i for i, now in enumerate(self.months) if now is not None]
        return change(self.total, _sum(self.before[i] for i in read) if read else None)


def _sum(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def change(now: Usage, then: Usage) -> Decimal | None:
    """The change from `then` to `now` in percent, to one place; None without both."""
    if now is None or not then:
        return None
    return ((now - then) * 100 / then).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class UsageTable:
    year: int
    kind: str
    rows: list[UsageRow]
    totals: UsageRow


def usage_by_building(site, *, year: int, kind: str) -> UsageTable:
    """The billable usage (accepted and confirmed readings) of `kind` in `year` and the year
    before, by building and month, in one aggregate query. A unit's meter counts to its unit's
    building, a shared meter to the building it serves, or to the whole site."""
    sums = (
        MeterReading.objects.of_site(site)
        .filter(
            meter__kind=kind,
            state__in=BILLABLE,
            period__gte=datetime.date(year - 1, 1, 1),
            period__lt=datetime.date(year + 1, 1, 1),
        )
        .annotate(place=Coalesce(F("meter__unit__building_id"), F("meter__building_id")))
        .values("place", "period")
        .annotate(total=Sum("usage"))
        .order_by()
    )
    rows: dict[str, UsageRow] = {}
    for entry in sums:
        key = SITE_WIDE if entry["place"] is None else str(entry["place"])
        row = rows.setdefault(key, UsageRow(key=key, name=""))
        # SQLite hands sums back with float digits; usage is kept to the ten-thousandth.
        total = Decimal(str(entry["total"] or 0)).quantize(Decimal("0.0001"))
        period = entry["period"]
        row.add(period.year != year, period.month, total)
    names = {
        str(b.pk): (b.code, b.name)
        for b in Building.objects.of_site(site).filter(
            pk__in=[int(k) for k in rows if k != SITE_WIDE]
        )
    }
    for key, row in rows.items():
        row.name = names[key][1] if key in names else _("Whole site")
    ordered = sorted(
        rows.values(), key=lambda r: (r.key == SITE_WIDE, _natural(names.get(r.key, ("",))[0]))
    )
    totals = UsageRow(key="", name=_("Total"))
    for row in ordered:
        for i in range(12):
            if row.months[i] is not None:
                totals.add(False, i + 1, row.months[i])
            if row.before[i] is not None:
                totals.add(True, i + 1, row.before[i])
    return UsageTable(year=year, kind=kind, rows=ordered, totals=totals)


def _natural(code: str) -> tuple:
    """Building codes in the order people count them: 2 before 10."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)
