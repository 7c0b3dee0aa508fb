"""Reads the staff pages and the API share: a site's online orders, the notification log and
the reconciliations, filtered the same way in both."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from wuye.core.scoping import access_object

from .models import GatewayNotification, OnlineOrder, Reconciliation


def _day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class OrderFilters:
    state: str = ""
    day: datetime.date | None = None  # created that day (UTC date of the site's rows is not used)
    q: str = ""

    @classmethod
    def from_params(cls, params) -> OrderFilters:
        """From query parameters; what doesn't parse is ignored."""
        state = params.get("state") or ""
        return cls(
            state=state if state in OnlineOrder.State.values else "",
            day=_day(params.get("day")),
            q=(params.get("q") or "").strip()[:40],
        )


def orders_of(site, filters: OrderFilters | None = None):
    filters = filters or OrderFilters()
    orders = OnlineOrder.objects.of_site(site).select_related("unit", "payment__receipt")
    if filters.state:
        orders = orders.filter(state=filters.state)
    if filters.day:
        orders = orders.filter(created_at__date=filters.day)
    if filters.q:
        orders = orders.filter(
            Q(number__icontains=filters.q) | Q(unit__code__icontains=filters.q)
            | Q(gateway_txn_id__icontains=filters.q)
        )  # fmt: skip
    return orders.order_by("-created_at", "-id")


BAD = [
    GatewayNotification.Outcome.BAD_SIGNATURE,
    GatewayNotification.Outcome.UNKNOWN_ORDER,
    GatewayNotification.Outcome.AMOUNT_MISMATCH,
    GatewayNotification.Outcome.ERROR,
]


def notifications_of(site, *, outcome: str = "", bad_only: bool = False):
    """The site's notifications, and those no site could be found for (a bad signature or an
    order we don't know): they hold nothing of any site, and finance must see them."""
    rows = GatewayNotification.objects.filter(Q(site=site) | Q(site__isnull=True))
    if outcome in GatewayNotification.Outcome.values:
        rows = rows.filter(outcome=outcome)
    if bad_only:
        rows = rows.filter(outcome__in=BAD)
    return rows.select_related("order").order_by("-received_at", "-id")


def reconciliations_of(site):
    return Reconciliation.objects.of_site(site).select_related("run_by").order_by("-day", "gateway")


def reconciliation(user, pk, site=None) -> Reconciliation:
    return access_object(Reconciliation, user, pk, site=site)


def resident_order(user, unit, number) -> OnlineOrder:
    """An order the resident made for `unit`; 404 for anyone else's."""
    order = (
        OnlineOrder.objects.filter(unit=unit, number=number, created_by=user)
        .select_related("payment__receipt", "unit")
        .first()
    )
    if order is None:
        raise Http404("order")
    return order
