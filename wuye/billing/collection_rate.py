"""收缴率 (R-FEE-05, R-KPI-01): for a site, or every site a user sees, and a
month, quarter or year — what was due, the part of it collected, the rate against its target,
arrears of earlier periods recovered (apart), and income by method, cashier and building; the
monthly statistics and analysis table (收费统计表、分析表) and the rate month by month.

`report` reads only the figure tables (`figures`); `recount` works the same report out straight
from the ledger (lines, allocations, refunds, payments); `compare` lists where they differ. The
formulas are in docs/collections.md, "Collection rate":

    due(P)        = Σ amount of live lines charged in P (period start's month; late fees and
                    deposits left out) − Σ live relief entries on those lines
    collected(P)  = Σ live allocations on those lines collected up to the end of P
                    − Σ refunds of those lines made up to the end of P
    rate(P)       = collected / due, in percent to 2 places (half-up); none when nothing is due
    recovered(P)  = the same money, collected in P, on lines charged before P (never in the rate)
    income(P)     = payments received in P, not voided (deposits too) − refunds made in P
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from wuye.core.audit import record_update, snapshot
from wuye.core.errors import collecting, invalid
from wuye.core.models import Site
from wuye.core.permissions import ensure_can
from wuye.estate.models import Building
from wuye.ledger.models import Allocation, BillLine

from .figures import EXCLUDED_KINDS, month_of, next_month, zone_of
from .models import (
    CollectionFigure,
    CollectionTarget,
    FeeItem,
    IncomeFigure,
    Payment,
    Refund,
    ReliefEntry,
)
from .money import CENT, ZERO

MONEY = DecimalField(max_digits=18, decimal_places=2)
PERCENT = Decimal("0.01")
KINDS = ("month", "quarter", "year")
# R-KPI-01 / R-FEE-05 (default): the company's targets, while a site has none of its own.
TARGETS = {"month": Decimal("90.00"), "quarter": Decimal("95.00"), "year": Decimal("98.00")}
GROUPS = ("site", "building", "fee_item")


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """A month, a quarter or a year: its first and last months (first days)."""

    kind: str
    first: datetime.date
    last: datetime.date

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> Period:
        if kind == "year":
            return cls(kind, datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 1))
        if kind == "quarter":
            start = (day.month - 1) // 3 * 3 + 1
            return cls(kind, datetime.date(day.year, start, 1), datetime.date(day.year, start + 2, 1))  # fmt: skip
        return cls("month", month_of(day), month_of(day))

    @classmethod
    def parse(cls, kind: str, value: str) -> Period:
        """ "2026-09" (month), "2026-Q3" (quarter), "2026" (year); a field error otherwise."""
        kind, value = (kind or "month").strip().lower(), (value or "").strip().upper()
        if kind not in KINDS:
            raise invalid("kind", _("Choose a month, a quarter or a year."), "invalid_choice")
        patterns = {"month": r"(\d{4})-(\d{1,2})", "quarter": r"(\d{4})-?Q([1-4])", "year": r"(\d{4})"}  # fmt: skip
        found = re.fullmatch(patterns[kind], value)
        try:
            year = int(found.group(1))
            if kind == "month":
                return cls.containing(kind, datetime.date(year, int(found.group(2)), 1))
            if kind == "quarter":
                return cls.containing(kind, datetime.date(year, int(found.group(2)) * 3 - 2, 1))
            return cls.containing(kind, datetime.date(year, 1, 1))
        except (AttributeError, ValueError):
            examples = {"month": "2026-09", "quarter": "2026-Q3", "year": "2026"}
            raise invalid("period", _("Give the period like %(example)s.") % {"example": examples[kind]}, "invalid") from None  # fmt: skip

    @property
    def end(self) -> datetime.date:
        """The last day."""
        return next_month(self.last) - datetime.timedelta(days=1)

    @property
    def value(self) -> str:
        if self.kind == "year":
            return f"{self.first:%Y}"
        if self.kind == "quarter":
            return f"{self.first:%Y}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first:%Y-%m}"

    def months(self) -> list[datetime.date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods later (earlier when negative)."""
        size = {"month": 1, "quarter": 3, "year": 12}[self.kind] * steps
        index = self.first.year * 12 + self.first.month - 1 + size
        return Period.containing(self.kind, datetime.date(index // 12, index % 12 + 1, 1))

    def __str__(self) -> str:
        return self.value


# ---------------------------------------------------------------------------------------------
# Results


def rate_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` of `whole` in percent to 2 places, half-up; None when `whole` is nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, ROUND_HALF_UP)


@dataclass
class Figures:
    key: object = None
    label: str = ""
    due: Decimal = ZERO
    collected: Decimal = ZERO
    recovered: Decimal = ZERO
    target: Decimal | None = None

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.collected, self.due)

    @property
    def owed(self) -> Decimal:
        """Of what was due in the period, what is still open at its end."""
        return self.due - self.collected

    @property
    def met(self) -> bool | None:
        rate = self.rate
        return None if rate is None or self.target is None else rate >= self.target

    def numbers(self) -> tuple:
        return (self.key, self.due, self.collected, self.recovered)


@dataclass
class Income:
    key: object = None
    label: str = ""
    received: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded

    def numbers(self) -> tuple:
        return (self.key, self.received, self.refunded)


@dataclass
class Report:
    period: Period
    target: Decimal
    total: Figures
    by_site: list[Figures] = field(default_factory=list)
    by_building: list[Figures] = field(default_factory=list)
    by_fee_item: list[Figures] = field(default_factory=list)
    income: Income = field(default_factory=Income)
    income_by_method: list[Income] = field(default_factory=list)
    income_by_cashier: list[Income] = field(default_factory=list)
    income_by_building: list[Income] = field(default_factory=list)

    def rows(self, group: str) -> list[Figures]:
        return {"site": self.by_site, "building": self.by_building, "fee_item": self.by_fee_item}[group]  # fmt: skip

    def numbers(self) -> dict:
        """Every sum of the report, without labels: what `compare` holds side by side."""
        return {
            "total": self.total.numbers(),
            **{group: [row.numbers() for row in self.rows(group)] for group in GROUPS},
            "income": self.income.numbers(),
            "income_by_method": [row.numbers() for row in self.income_by_method],
            "income_by_cashier": [row.numbers() for row in self.income_by_cashier],
            "income_by_building": [row.numbers() for row in self.income_by_building],
        }


# ---------------------------------------------------------------------------------------------
# Targets


def targets_for(site: Site | None) -> dict[str, Decimal]:
    """The site's targets (R-KPI-01), or the company's default ones."""
    if site is None:
        return dict(TARGETS)
    found = CollectionTarget.objects.filter(site=site).first()
    if found is None:
        return dict(TARGETS)
    return {"month": found.month_percent, "quarter": found.quarter_percent, "year": found.year_percent}  # fmt: skip


def _target(sites: list[Site], kind: str) -> Decimal:
    """One site's own target; several sites share the company's unless all set the same. One
    query whatever the number of sites."""
    own = dict(
        CollectionTarget.objects.filter(site__in=sites).values_list("site_id", f"{kind}_percent")
    )
    found = {own.get(site.pk, TARGETS[kind]) for site in sites}
    return found.pop() if len(found) == 1 else TARGETS[kind]


def set_targets(*, site: Site, actor, month, quarter, year) -> CollectionTarget:
    """A site's own collection-rate targets, each above 0 and at most 100 percent."""
    ensure_can(actor, "billing.change_collectiontarget", site)
    values = {}
    with collecting() as errors:
        for name, value in (("month", month), ("quarter", quarter), ("year", year)):
            try:
                percent = Decimal(str(value)).quantize(PERCENT)
            except (ArithmeticError, ValueError):
                errors.add(name, _("Enter a percentage, like 95."), "invalid")
                continue
            if not ZERO < percent <= 100:
                errors.add(name, _("A target is above 0 and at most 100 percent."), "range")
            values[f"{name}_percent"] = percent
    with transaction.atomic():
        target, _created = CollectionTarget.objects.select_for_update().get_or_create(site=site)
        before = snapshot(target)
        for name, value in values.items():
            setattr(target, name, value)
        target.save()
        record_update(actor, target, before, verb=_("collection-rate targets set"))
    return target


# ---------------------------------------------------------------------------------------------
# From the figures


def _sum(column: str, condition: Q):
    return Coalesce(
        Sum(Case(When(condition, then=F(column)), default=Value(ZERO), output_field=MONEY)),
        Value(ZERO),
        output_field=MONEY,
    )


def _fen(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _ids(sites: Iterable[Site]) -> list[Site]:
    return sorted(sites, key=lambda s: s.code)


# Both the figures and the recount are read once, grouped by the finest key — (site, building,
# fee item) for the collection, (site, building, method, cashier) for income — and rolled up
# here into the totals and each grouping, so the report costs one grouped read of each.
CELL = {None: None, "site": 0, "building": 1, "fee_item": 2}
INCOME_CELL = {None: None, "building": 1, "method": 2, "cashier": 3}


def _rollup(cells: dict, position: int | None, size: int) -> dict:
    found: dict = {None: [ZERO] * size} if position is None else {}
    for key, values in cells.items():
        entry = found.setdefault(None if position is None else key[position], [ZERO] * size)
        for i, value in enumerate(values):
            entry[i] += value
    return {key: tuple(values) for key, values in found.items()}


def _figures_cells(site_ids, period: Period) -> dict:
    m1, m2 = period.first, period.last
    charged = Q(charge_month__gte=m1, charge_month__lte=m2)
    recovered = Q(charge_month__lt=m1, collected_month__gte=m1, collected_month__lte=m2)
    rows = (
        CollectionFigure.objects.filter(site_id__in=site_ids)
        .filter(charged | recovered)
        .values_list("site", "building", "fee_item")
        .annotate(
            t_due=_sum("due", charged),
            t_collected=_sum("collected", charged & Q(collected_month__lte=m2)),
            t_recovered=_sum("collected", recovered),
        )
        .order_by()
    )
    return {(s, b, f): (_fen(d), _fen(c), _fen(r)) for s, b, f, d, c, r in rows}


def _income_cells(site_ids, period: Period) -> dict:
    rows = (
        IncomeFigure.objects.filter(site_id__in=site_ids, month__gte=period.first, month__lte=period.last)
        .values_list("site", "building", "method", "cashier")
        .annotate(r=Sum("received"), b=Sum("refunded"))
        .order_by()
    )  # fmt: skip
    return {(s, b, m, _who(c)): (_fen(r), _fen(back)) for s, b, m, c, r, back in rows}


def _who(cashier_id: int | None):
    """The cashier key of income: the cashier, or the online channel (its money has none)."""
    return Payment.Channel.ONLINE.value if cashier_id is None else cashier_id


def report(*, sites: Iterable[Site], period: Period) -> Report:
    """The collection rate of `sites` (one, or the company's) for `period`, from the figures."""
    sites = _ids(sites)
    ids = [s.pk for s in sites]
    return _assemble(sites, period, _figures_cells(ids, period), _income_cells(ids, period))


# ---------------------------------------------------------------------------------------------
# From the ledger


def _add_to(found: dict, key, index: int, amount, sign: int = 1) -> None:
    values = found.setdefault(key, [ZERO, ZERO, ZERO])
    values[index] += sign * _fen(amount)


def _ledger_cells(site_ids, period: Period) -> dict:
    start, end = period.first, next_month(period.last)
    lines = BillLine.objects.filter(site_id__in=site_ids, cancelled_at__isnull=True).exclude(
        fee_item__kind__in=EXCLUDED_KINDS
    )
    found: dict = {}

    def grouped(qs, prefix: str):
        return (
            qs.values_list(prefix + "site_id", prefix + "unit__building_id", prefix + "fee_item_id")
            .annotate(t=Sum("amount"))
            .order_by()
        )

    for site, building, item, total in grouped(lines.filter(period_start__gte=start, period_start__lt=end), ""):  # fmt: skip
        _add_to(found, (site, building, item), 0, total)
    # Relief lowers what is due: live relief entries on those lines (due = charged − relief).
    reliefs = ReliefEntry.objects.filter(
        cancelled_at__isnull=True, bill_line__in=lines,
        bill_line__period_start__gte=start, bill_line__period_start__lt=end,
    )  # fmt: skip
    for site, building, item, total in grouped(reliefs, "bill_line__"):
        _add_to(found, (site, building, item), 0, total, -1)
    money = (
        (Allocation.objects.filter(undone=False), "collected_on", 1),
        (Refund.objects.filter(source=Refund.Source.LINE), "refunded_on", -1),
    )
    for qs, day, sign in money:
        qs = qs.filter(bill_line__in=lines)
        of_period = qs.filter(bill_line__period_start__gte=start, bill_line__period_start__lt=end, **{f"{day}__lt": end})  # fmt: skip
        for site, building, item, total in grouped(of_period, "bill_line__"):
            _add_to(found, (site, building, item), 1, total, sign)
        earlier = qs.filter(bill_line__period_start__lt=start, **{f"{day}__gte": start, f"{day}__lt": end})  # fmt: skip
        for site, building, item, total in grouped(earlier, "bill_line__"):
            _add_to(found, (site, building, item), 2, total, sign)
    return {k: tuple(v) for k, v in found.items()}


def _ledger_income(sites: list[Site], period: Period) -> dict:
    """Payments received and refunds made within the period's days in each site's own zone."""
    paid_in, refunded_in = Q(pk__in=[]), Q(pk__in=[])
    for site in sites:
        zone = zone_of(site)
        start = datetime.datetime.combine(period.first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(next_month(period.last), datetime.time.min, tzinfo=zone)
        paid_in |= Q(site=site, received_at__gte=start, received_at__lt=end)
        refunded_in |= Q(site=site, refunded_at__gte=start, refunded_at__lt=end)
    found: dict = {}
    for qs, who, index in (
        (Payment.objects.filter(paid_in, voided_at__isnull=True), "cashier_id", 0),
        (Refund.objects.filter(refunded_in), "refunded_by_id", 1),
    ):
        rows = qs.values_list("site_id", "unit__building_id", "method", who).annotate(t=Sum("amount")).order_by()  # fmt: skip
        for site, building, method, person, total in rows:
            found.setdefault((site, building, method, _who(person)), [ZERO, ZERO])[index] += _fen(total)  # fmt: skip
    return {k: tuple(v) for k, v in found.items()}


def recount(*, sites: Iterable[Site], period: Period) -> Report:
    """The same report as `report`, worked out straight from the ledger."""
    sites = _ids(sites)
    ids = [s.pk for s in sites]
    return _assemble(sites, period, _ledger_cells(ids, period), _ledger_income(sites, period))


def compare(*, sites: Iterable[Site], period: Period) -> dict:
    """Where the report from the figures differs from the recount (empty: they agree)."""
    sites = list(sites)
    ours, ledger = report(sites=sites, period=period).numbers(), recount(sites=sites, period=period).numbers()  # fmt: skip
    return {name: {"figures": ours[name], "ledger": ledger[name]} for name in ours if ours[name] != ledger[name]}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Both: rows with labels, in order


def _labels(sites: list[Site], collection: dict, income: dict) -> dict:
    several = len(sites) > 1
    site_names = {s.pk: s.name for s in sites}
    buildings = {
        b.pk: (
            f"{site_names.get(b.site_id, '')} · {b.name}" if several else b.name,
            (b.site_id, b.code),
        )  # fmt: skip
        for b in Building.objects.filter(
            pk__in=set(collection["building"]) | set(income["building"])
        )  # fmt: skip
    }
    items = {
        f.pk: (
            f"{site_names.get(f.site_id, '')} · {f.name}" if several else f.name,
            (f.site_id, f.code),
        )  # fmt: skip
        for f in FeeItem.objects.filter(pk__in=collection["fee_item"])
    }
    cashiers = {
        u.pk: (u.get_full_name() or u.username, (u.get_full_name() or u.username,))
        for u in get_user_model().objects.filter(pk__in=set(income["cashier"]) - {Payment.Channel.ONLINE})
    }  # fmt: skip
    # The online channel's money is a line of its own, after the people (no one took it).
    cashiers[Payment.Channel.ONLINE.value] = (_("online payment"), ("\uffff",))
    methods = {value: (str(label), (i,)) for i, (value, label) in enumerate(Payment.Method.choices)}  # fmt: skip
    return {
        "site": {s.pk: (s.name, (s.code,)) for s in sites},
        "building": {**buildings, None: (_("parking spaces (no building)"), (10**12,))},
        "fee_item": items,
        "cashier": cashiers,
        "method": methods,
    }


def _assemble(sites: list[Site], period: Period, cells: dict, money: dict) -> Report:
    collection = {group: _rollup(cells, position, 3) for group, position in CELL.items()}
    income = {group: _rollup(money, position, 2) for group, position in INCOME_CELL.items()}
    labels = _labels(sites, collection, income)
    target = _target(sites, period.kind)

    def figures_rows(group):
        rows = []
        for key, (due, collected, recovered) in collection[group].items():
            if due or collected or recovered:
                label, order = labels[group].get(key, (str(key), (str(key),)))
                rows.append((order, Figures(key, label, due, collected, recovered, target)))
        return [row for _order, row in sorted(rows, key=lambda pair: pair[0])]

    def income_rows(group):
        rows = []
        for key, (received, refunded) in income[group].items():
            if received or refunded:
                label, order = labels[group].get(key, (str(key), (str(key),)))
                rows.append((order, Income(key, label, received, refunded)))
        return [row for _order, row in sorted(rows, key=lambda pair: pair[0])]

    due, collected, recovered = collection[None].get(None, (ZERO, ZERO, ZERO))
    received, refunded = income[None].get(None, (ZERO, ZERO))
    return Report(
        period=period, target=target,
        total=Figures(None, _("Total"), due, collected, recovered, target),
        by_site=figures_rows("site"), by_building=figures_rows("building"),
        by_fee_item=figures_rows("fee_item"), income=Income(None, _("Total"), received, refunded),
        income_by_method=income_rows("method"), income_by_cashier=income_rows("cashier"),
        income_by_building=income_rows("building"),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The monthly statistics and analysis table (收费统计表、分析表) and the trend


@dataclass
class StatisticsRow:
    key: object
    label: str
    due: Decimal = ZERO  # charged this month
    collected: Decimal = ZERO  # of it, collected by the month's end
    brought_forward: Decimal = ZERO  # owed at the month's start on earlier months' lines
    recovered: Decimal = ZERO  # of that, collected this month
    advance: Decimal = ZERO  # collected this month on later months' lines (paid ahead)
    target: Decimal | None = None

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.collected, self.due)

    @property
    def recovery_rate(self) -> Decimal | None:
        """清欠率: of the arrears brought forward, the part recovered this month."""
        return rate_of(self.recovered, self.brought_forward)

    @property
    def owed(self) -> Decimal:
        """Still owed at the month's end, of this month's and earlier months' lines."""
        return self.brought_forward - self.recovered + self.due - self.collected

    @property
    def met(self) -> bool | None:
        rate = self.rate
        return None if rate is None or self.target is None else rate >= self.target


def statistics(*, sites: Iterable[Site], month: datetime.date) -> tuple[list[StatisticsRow], StatisticsRow]:  # fmt: skip
    """Per fee item, for `month`: due, collected of it, rate, arrears brought forward, recovered,
    recovery rate, collected ahead and still owed; with the total row. From the figures."""
    sites = _ids(sites)
    month = month_of(month)
    target = _target(sites, "month")
    this, earlier = Q(charge_month=month), Q(charge_month__lt=month)
    rows = (
        CollectionFigure.objects.filter(site_id__in=[s.pk for s in sites])
        .filter(Q(charge_month__lte=month) | Q(collected_month=month))
        .values("fee_item")
        .annotate(
            t_due=_sum("due", this),
            t_collected=_sum("collected", this & Q(collected_month__lte=month)),
            t_earlier_due=_sum("due", earlier),
            t_earlier_collected=_sum("collected", earlier & Q(collected_month__lt=month)),
            t_recovered=_sum("collected", earlier & Q(collected_month=month)),
            t_advance=_sum("collected", Q(charge_month__gt=month, collected_month=month)),
        )
        .order_by()
    )
    several = len(sites) > 1
    items = {f.pk: f for f in FeeItem.objects.filter(site__in=sites).select_related("site")}
    found, total = [], StatisticsRow(None, _("Total"), target=target)
    for row in rows:
        item = items[row["fee_item"]]
        entry = StatisticsRow(
            item.pk, f"{item.site.name} · {item.name}" if several else item.name,
            due=_fen(row["t_due"]), collected=_fen(row["t_collected"]),
            brought_forward=_fen(row["t_earlier_due"]) - _fen(row["t_earlier_collected"]),
            recovered=_fen(row["t_recovered"]), advance=_fen(row["t_advance"]), target=target,
        )  # fmt: skip
        if (
            entry.due
            or entry.collected
            or entry.brought_forward
            or entry.recovered
            or entry.advance
        ):
            found.append((item.site.code, item.code, entry))
            for name in ("due", "collected", "brought_forward", "recovered", "advance"):
                setattr(total, name, getattr(total, name) + getattr(entry, name))
    return [entry for *_order, entry in sorted(found, key=lambda t: t[:2])], total


@dataclass
class TrendPoint:
    month: datetime.date
    due: Decimal
    collected: Decimal  # collected within the month itself

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.collected, self.due)


def trend(*, sites: Iterable[Site], year: int) -> list[TrendPoint]:
    """The month rate of each month of `year` (collected within the month over its due)."""
    rows = {
        month_of(row["charge_month"]): row
        for row in CollectionFigure.objects.filter(
            site__in=list(sites), charge_month__gte=datetime.date(year, 1, 1),
            charge_month__lte=datetime.date(year, 12, 1),
        )
        .values("charge_month")
        .annotate(
            t_due=Sum("due"),
            t_collected=_sum("collected", Q(collected_month__lte=F("charge_month"))),
        )
        .order_by()
    }  # fmt: skip
    points = []
    for number in range(1, 13):
        month = datetime.date(year, number, 1)
        row = rows.get(month, {})
        points.append(TrendPoint(month, _fen(row.get("t_due")), _fen(row.get("t_collected"))))
    return points
