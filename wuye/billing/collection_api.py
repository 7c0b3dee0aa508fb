"""The collection rate's API (R-FEE-05, R-KPI-01; docs/collections.md, Collection rate): the report
of a site — or, without `site`, of every site the caller sees — for a month, quarter or year grouped
by site, building or fee item; the monthly statistics and analysis table with the year's month
rates; a site's own targets. Read from the figures, like the page; scoped by site and role
(`billing.view_collection_rate`)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Router, Schema

from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can, ensure_permission
from wuye.core.scoping import one_site, visible_sites

from . import collection_rate, figures
from .collection_rate import GROUPS, Period

router = Router(tags=["collection rate"])
PERMISSION = "billing.view_collection_rate"


def _sites(request, site: int | None) -> list:
    """The one site asked for, or every site the caller sees."""
    ensure_permission(request.user, PERMISSION)
    if site is not None:
        found = one_site(request.user, site)
        ensure_can(request.user, PERMISSION, found)
        return [found]
    sites = list(visible_sites(request.user))
    if not sites:
        return [one_site(request.user, None)]  # refuses: a member of no site
    return sites


class RateRowOut(Schema):
    key: int | str | None
    label: str
    due: Decimal
    collected: Decimal
    rate: Decimal | None
    target: Decimal | None
    met: bool | None
    owed: Decimal
    recovered: Decimal


class IncomeRowOut(Schema):
    key: int | str | None
    label: str
    received: Decimal
    refunded: Decimal
    net: Decimal


class RateOut(Schema):
    kind: str
    period: str
    first_day: datetime.date
    last_day: datetime.date
    sites: list[int]
    target: Decimal
    total: RateRowOut
    group_by: str
    rows: list[RateRowOut]
    income: IncomeRowOut
    income_by_method: list[IncomeRowOut]
    income_by_cashier: list[IncomeRowOut]
    income_by_building: list[IncomeRowOut]


def _row(row) -> dict:
    return {"key": row.key, "label": row.label, "due": row.due, "collected": row.collected,
            "rate": row.rate, "target": row.target, "met": row.met, "owed": row.owed,
            "recovered": row.recovered}  # fmt: skip


def _income(row) -> dict:
    return {"key": row.key, "label": row.label, "received": row.received,
            "refunded": row.refunded, "net": row.net}  # fmt: skip


def _period(sites: list, kind: str, period: str | None) -> Period:
    if period:
        return Period.parse(kind, period)
    if kind not in collection_rate.KINDS:
        raise invalid("kind", _("Choose a month, a quarter or a year."), "invalid_choice")
    return Period.containing(kind, figures.local_day(sites[0]))


@router.get(
    "/collection-rate", response=RateOut,
    summary="Collection rate (R-FEE-05, R-KPI-01): due, collected of it, rate and target, "
            "arrears recovered, income — of a site or every site seen",
)  # fmt: skip
def collection_rate_report(
    request, site: int | None = None, kind: str = "month", period: str | None = None,
    group_by: str = "building",
):  # fmt: skip
    """`kind`: month, quarter or year; `period`: 2026-09, 2026-Q3 or 2026 (default: the current
    one); `group_by`: site, building or fee_item."""
    sites = _sites(request, site)
    if group_by not in GROUPS:
        raise invalid("group_by", _("Group by site, building or fee_item."), "invalid_choice")
    found = _period(sites, kind, period)
    result = collection_rate.report(sites=sites, period=found)
    return {
        "kind": found.kind, "period": found.value, "first_day": found.first,
        "last_day": found.end, "sites": [s.pk for s in sites], "target": result.target,
        "total": _row(result.total), "group_by": group_by,
        "rows": [_row(r) for r in result.rows(group_by)], "income": _income(result.income),
        "income_by_method": [_income(r) for r in result.income_by_method],
        "income_by_cashier": [_income(r) for r in result.income_by_cashier],
        "income_by_building": [_income(r) for r in result.income_by_building],
    }  # fmt: skip


class StatisticsRowOut(Schema):
    key: int | None
    label: str
    due: Decimal
    collected: Decimal
    rate: Decimal | None
    brought_forward: Decimal
    recovered: Decimal
    recovery_rate: Decimal | None
    advance: Decimal
    owed: Decimal


class TrendOut(Schema):
    month: str
    due: Decimal
    collected: Decimal
    rate: Decimal | None


class StatisticsOut(Schema):
    month: str
    sites: list[int]
    target: Decimal
    rows: list[StatisticsRowOut]
    total: StatisticsRowOut
    trend: list[TrendOut]


def _statistics_row(row) -> dict:
    return {"key": row.key, "label": row.label, "due": row.due, "collected": row.collected,
            "rate": row.rate, "brought_forward": row.brought_forward, "recovered": row.recovered,
            "recovery_rate": row.recovery_rate, "advance": row.advance, "owed": row.owed}  # fmt: skip


@router.get(
    "/collection-rate/statistics", response=StatisticsOut,
    summary="The monthly collection statistics and analysis table (收费统计表、分析表) per fee "
            "item, with the month rates of its year",
)  # fmt: skip
def collection_statistics(request, site: int | None = None, month: str | None = None):
    sites = _sites(request, site)
    found = _period(sites, "month", month)
    rows, total = collection_rate.statistics(sites=sites, month=found.first)
    points = collection_rate.trend(sites=sites, year=found.first.year)
    return {
        "month": found.value, "sites": [s.pk for s in sites], "target": total.target,
        "rows": [_statistics_row(r) for r in rows], "total": _statistics_row(total),
        "trend": [{"month": f"{p.month:%Y-%m}", "due": p.due, "collected": p.collected, "rate": p.rate} for p in points],
    }  # fmt: skip


class TargetsIn(Schema):
    site: int | None = None
    month: Decimal
    quarter: Decimal
    year: Decimal


class TargetsOut(Schema):
    site: int
    month: Decimal
    quarter: Decimal
    year: Decimal


@router.put("/collection-rate/targets", response=TargetsOut, summary="Set a site's own targets")
def set_collection_targets(request, payload: TargetsIn):
    where = one_site(request.user, payload.site)
    made = collection_rate.set_targets(
        site=where, actor=request.user, month=payload.month, quarter=payload.quarter,
        year=payload.year,
    )  # fmt: skip
    return {"site": where.pk, "month": made.month_percent, "quarter": made.quarter_percent,
            "year": made.year_percent}  # fmt: skip
