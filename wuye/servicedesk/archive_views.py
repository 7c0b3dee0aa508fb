"""The help register's yearly archives (R-HLP-06): the list of years, and one year's help
requests — read-only, searchable, exported as .xlsx."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.pages import site_page
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import xlsx_response

from . import queries
from .archive import keep_years
from .models import HelpArchive, HelpKind


@site_page
def help_archives(request):
    ensure_can(request.user, "servicedesk.view_ticket", request.site)
    archives = HelpArchive.objects.of_site(request.site).order_by("-year")
    return render(
        request,
        "servicedesk/help_archives.html",
        {"archives": archives, "keep_years": keep_years(request.site.company_id)},
    )


@site_page
def help_archive(request, year: int):
    ensure_can(request.user, "servicedesk.view_ticket", request.site)
    archive = HelpArchive.objects.of_site(request.site).filter(year=year).first()
    if archive is None:
        raise Http404
    help_kind = request.GET.get("help_kind", "")
    filters = {
        "q": request.GET.get("q", "").strip()[:60],
        "help_kind": help_kind if help_kind in HelpKind.values else "",
    }
    requests_ = queries.archived_help_requests(archive, **filters)
    if wants_export(request):
        from .workbooks import export_tickets

        name = _("help-register-%(year)s.xlsx") % {"year": archive.year}
        return xlsx_response(name, export_tickets(requests_))
    page_obj = paginate(request, requests_)
    context = {
        "archive": archive,
        "page_obj": page_obj,
        "rows": page_obj.object_list,
        "filters": filters,
        "help_kinds": HelpKind.choices,
        "query": query_without_page(request),
    }
    return render(request, "servicedesk/help_archive.html", context)
