"""What every list page shares: search terms, filters, pagination and the export switch."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(request, queryset, per_page: int | None = None) -> Page:
    """The requested page of `queryset`; a bad or too-large `?page=` gives the last page."""
    paginator = Paginator(queryset, per_page or settings.WUYE_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current filters as a query string, for pager and export links."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return params.urlencode()


def wants_export(request) -> bool:
    return request.GET.get("export") == "xlsx"
