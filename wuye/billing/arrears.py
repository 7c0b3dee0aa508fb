"""欠费 (R-FEE-03; docs/collections.md, Arrears): what is overdue — per unit, building and site — aged
by days past due (0–30, 31–90, 91–180, over 180), this year's apart from earlier years', and the
units that never paid at all.

A line is overdue on the day after its due date while something on it is open (billed less
paid, plus refunded, less relief; cancelled lines owe nothing). Everything is one grouped query over the
site's overdue lines: the amount open on each line is worked out in SQL (`with_outstanding`)
and summed into the buckets by its due date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from wuye.ledger.models import Allocation, BillLine

from .money import CENT, ZERO
from .payments import MONEY, with_outstanding

# (key, first day overdue, last day overdue or None)
BUCKETS = [("d0_30", 1, 30), ("d31_90", 31, 90), ("d91_180", 91, 180), ("d181", 181, None)]
SORTS = {
    "amount": ("-total", "unit__code"),
    "oldest": ("oldest", "unit__code"),
    "unit": ("unit__code",),
}


AGES = [0, 30, 90, 180]


@dataclass(frozen=True)
class Filters:
    building: int | None = None
    minimum: Decimal = ZERO
    older_than: int = 0  # only units with something overdue more than this many days
    never_paid: bool = False
    sort: str = "amount"

    @classmethod
    def from_params(cls, params) -> Filters:
        """The page's and the API's filters from query parameters; what doesn't parse is
        ignored."""

        def number(name, kind):
            try:
                return kind(params.get(name) or 0)
            except (TypeError, ValueError, InvalidOperation):
                return kind(0)

        older = number("older_than", int)
        return cls(
            building=number("building", int) or None,
            minimum=max(number("minimum", Decimal), ZERO),
            older_than=older if older in AGES else 0,
            never_paid=params.get("never_paid") in ("1", "true", "on"),
            sort=params.get("sort") if params.get("sort") in SORTS else "amount",
        )


def open_amount():
    """What is still owed on a line: the receivables ledger's open amount (amount − paid −
    relief, kept on the line)."""
    return F("open_amount")


def overdue_lines(site, today: datetime.date):
    """The site's lines overdue on `today`, each with `open` (what is still owed)."""
    lines = with_outstanding(
        BillLine.objects.filter(
            site=site,
            unit__isnull=False,
            cancelled_at__isnull=True,
            due_date__lt=today,
            open_amount__gt=0,
        )
    )
    return lines.annotate(open=open_amount())


def _sum_when(condition: Q):
    return Coalesce(
        Sum(Case(When(condition, then=F("open")), default=Value(ZERO), output_field=MONEY)),
        Value(ZERO),
        output_field=MONEY,
    )


def _bucket_sums(today: datetime.date) -> dict:
    sums = {}
    for key, first, last in BUCKETS:
        condition = Q(due_date__lte=today - datetime.timedelta(days=first))
        if last is not None:
            condition &= Q(due_date__gte=today - datetime.timedelta(days=last))
        sums[key] = _sum_when(condition)
    # 往年欠费: the fees of earlier years (by the period billed), whenever they fell due.
    sums["earlier_years"] = _sum_when(Q(period_start__lt=datetime.date(today.year, 1, 1)))
    return sums


def _never_paid():
    """No payment, credit or deposit ever stayed on any of the unit's lines."""
    return ~Exists(Allocation.objects.filter(bill_line__unit=OuterRef("unit"), undone=False))


def by_unit(site, today: datetime.date, filters: Filters = Filters()):
    """One row per unit in arrears: unit, building, total, the buckets, earlier years', the
    oldest due date, and whether it never paid."""
    lines = overdue_lines(site, today)
    if filters.building:
        lines = lines.filter(unit__building_id=filters.building)
    rows = (
        lines.values("unit", "unit__code", "unit__building__name")
        .annotate(
            total=Sum("open", output_field=MONEY),
            oldest=Min("due_date"),
            lines=Count("id"),
            never_paid=_never_paid(),
            **_bucket_sums(today),
        )
        .filter(total__gte=filters.minimum or CENT)
    )
    if filters.older_than:
        rows = rows.filter(oldest__lt=today - datetime.timedelta(days=filters.older_than))
    if filters.never_paid:
        rows = rows.filter(never_paid=True)
    return rows.order_by(*SORTS.get(filters.sort, SORTS["amount"]))


def by_building(site, today: datetime.date):
    """One row per building: units in arrears, total, the buckets and earlier years'."""
    return (
        overdue_lines(site, today)
        .values("unit__building", "unit__building__name")
        .annotate(
            total=Sum("open", output_field=MONEY),
            units=Count("unit", distinct=True),
            **_bucket_sums(today),
        )
        .order_by("unit__building__name")
    )


def to_the_fen(row: dict) -> dict:
    """A row's sums of money to the fen (SQLite hands sums back with float digits)."""
    return {
        k: Decimal(v).quantize(CENT) if isinstance(v, Decimal | float) else v
        for k, v in row.items()
    }


def site_totals(site, today: datetime.date) -> dict:
    """The site's whole arrears: total, the buckets and earlier years' (zeros when none)."""
    totals = overdue_lines(site, today).aggregate(
        total=Coalesce(Sum("open", output_field=MONEY), Value(ZERO), output_field=MONEY),
        **_bucket_sums(today),
    )
    return to_the_fen(totals)
