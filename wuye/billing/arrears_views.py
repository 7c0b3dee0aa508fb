"""The arrears page (R-FEE-03; docs/collections.md, Arrears): the site's overdue amounts aged, by
building and by unit, filtered and sorted, exported to .xlsx."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.pages import site_page
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import build_workbook, xlsx_response
from wuye.estate.models import Building

from . import arrears
from .arrears import Filters


def bucket_labels() -> list[tuple[str, str]]:
    return [("d0_30", _("0–30 days")), ("d31_90", _("31–90 days")),
            ("d91_180", _("91–180 days")), ("d181", _("over 180 days"))]  # fmt: skip


@site_page
def arrears_page(request):
    ensure_can(request.user, "ledger.view_billline", request.site)
    today = timezone.localdate()
    filters = Filters.from_params(request.GET)
    rows = arrears.by_unit(request.site, today, filters)
    if wants_export(request):
        headers = [_("Unit"), _("Building"), _("Overdue (yuan)")] + [label for _k, label in bucket_labels()] + [
            _("Earlier years"), _("Oldest due"), _("Never paid")]  # fmt: skip
        table = [
            [r["unit__code"], r["unit__building__name"], r["total"]] + [r[k] for k, _l in bucket_labels()]
            + [r["earlier_years"], r["oldest"], _("yes") if r["never_paid"] else ""]
            for r in map(arrears.to_the_fen, rows.iterator())
        ]  # fmt: skip
        name = _("arrears-%(day)s.xlsx") % {"day": today.isoformat()}
        # Overdue, the four ages and earlier years are money (columns 2–7).
        return xlsx_response(name, build_workbook(_("Arrears"), headers, table, money=range(2, 8)))
    context = {
        "today": today,
        "filters": filters,
        "ages": arrears.AGES,
        "buckets": bucket_labels(),
        "totals": arrears.site_totals(request.site, today),
        "by_building": arrears.by_building(request.site, today),
        "buildings": Building.objects.of_site(request.site).order_by("code"),
        "page_obj": paginate(request, rows),
        "query": query_without_page(request),
    }
    return render(request, "billing/arrears.html", context)
