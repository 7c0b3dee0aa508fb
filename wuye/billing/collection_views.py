"""The collection-rate page (R-FEE-05, R-KPI-01): a month, quarter or year of
the current site (or every site the user sees) by building and fee item against its target,
arrears recovered, income by method, cashier and building, the rate month by month and income
by method as charts, and the monthly statistics and analysis table, also as .xlsx."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.core.listing import wants_export
from wuye.core.money import format_yuan
from wuye.core.pages import site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import visible_sites
from wuye.core.spreadsheets import build_workbook, xlsx_response

from . import collection_rate, figures
from .collection_rate import KINDS, Period


def kind_labels() -> list[tuple[str, str]]:
    return [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))]


def statistics_headers() -> list[str]:
    return [
        _("Fee item"), _("Due this month"), _("Collected of it"), _("Rate (%)"),
        _("Arrears brought forward"), _("Recovered"), _("Recovery rate (%)"),
        _("Collected ahead"), _("Still owed"),
    ]  # fmt: skip


# The statistics' money columns: every one but the fee item and the two rates.
STATISTICS_MONEY = [1, 2, 4, 5, 7, 8]


def statistics_table(rows, total) -> list[list]:
    return [
        [r.label, r.due, r.collected, r.rate, r.brought_forward, r.recovered, r.recovery_rate,
         r.advance, r.owed]
        for r in [*rows, total]
    ]  # fmt: skip


class TargetsForm(forms.Form):
    month = forms.DecimalField(label=gettext_lazy("Month (%)"), max_digits=5, decimal_places=2)
    quarter = forms.DecimalField(label=gettext_lazy("Quarter (%)"), max_digits=5, decimal_places=2)
    year = forms.DecimalField(label=gettext_lazy("Year (%)"), max_digits=5, decimal_places=2)


def _scope(request) -> tuple[list, bool]:
    """The current site, or every site the user sees (`?scope=all`)."""
    if request.GET.get("scope") == "all":
        sites = list(visible_sites(request.user))
        if len(sites) > 1:
            return sites, True
    return [request.site], False


def _period(request) -> tuple[Period, str]:
    """The period asked for (this month when none), and what was wrong with it, if anything."""
    kind = request.GET.get("kind") if request.GET.get("kind") in KINDS else "month"
    today = figures.local_day(request.site)
    value = (request.GET.get("period") or "").strip()
    if not value:
        return Period.containing(kind, today), ""
    try:
        return Period.parse(kind, value), ""
    except ValidationError as exc:
        return Period.containing(kind, today), " ".join(exc.messages)


@site_page
def collection_rate_page(request):
    ensure_can(request.user, "billing.view_collection_rate", request.site)
    sites, company = _scope(request)
    period, problem = _period(request)
    rows, total = collection_rate.statistics(sites=sites, month=period.last)
    if wants_export(request):
        name = _("collection-statistics-%(month)s.xlsx") % {"month": f"{period.last:%Y-%m}"}
        title = _("Statistics %(month)s") % {"month": f"{period.last:%Y-%m}"}
        return xlsx_response(name, build_workbook(title, statistics_headers(), statistics_table(rows, total), money=STATISTICS_MONEY))  # fmt: skip
    result = collection_rate.report(sites=sites, period=period)
    points = collection_rate.trend(sites=sites, year=period.last.year)
    month_target = collection_rate.targets_for(None if company else request.site)["month"]
    charts = {
        "months": [f"{p.month:%m}" for p in points],
        "rates": [None if p.rate is None else float(p.rate) for p in points],
        "target": float(month_target),
        "methods": [
            {"name": r.label, "value": float(r.net), "amount": format_yuan(r.net)}
            for r in result.income_by_method
        ],
        "labels": {
            "rate": _("Rate (%)"),
            "target": _("Target (%)"),
            "net": _("Income"),
            "none": _("No money taken or paid back."),
            "nothingDue": _("Nothing was due or collected."),
        },
    }
    targets = collection_rate.targets_for(request.site)
    context = {
        "period": period,
        "problem": problem,
        "kinds": kind_labels(),
        "company": company,
        "several": len(list(visible_sites(request.user))) > 1,
        "report": result,
        "statistics": rows,
        "statistics_total": total,
        "headers": statistics_headers(),
        "previous": period.shifted(-1),
        "following": period.shifted(1),
        "points": points,
        "charts": charts,
        "targets": targets,
        "targets_form": TargetsForm(initial=targets),
        "scope": "all" if company else "",
    }
    return render(request, "billing/collection_rate.html", context)


@site_page
@require_POST
def collection_targets(request):
    """A site's own targets, set by a manager."""
    form = TargetsForm(request.POST)

    def save(data):
        return collection_rate.set_targets(
            site=request.site, actor=request.user, month=data["month"],
            quarter=data["quarter"], year=data["year"],
        )  # fmt: skip

    if submit_form(form, save) is not None:
        messages.success(request, _("Targets saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(reverse("billing:collection_rate"))
