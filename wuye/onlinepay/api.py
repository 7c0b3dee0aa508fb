"""Online payment's API: the gateway's notify endpoint (no sign-in: the signature instead) and
finance's lists of orders, notifications and reconciliations, scoped by site and role. The
residents' endpoints (an order for chosen lines, its state) are in the portal's API, which
holds the resident access check."""

import datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can
from wuye.core.scoping import one_site

from . import queries, services
from .gateways import gateway_named
from .models import GatewayNotification, OnlineOrder, Reconciliation

router = Router(tags=["onlinepay"])


class ErrorOut(Schema):
    message: str
    code: str
    fields: list[dict]


@router.post(
    "/notify/{gateway}",
    auth=None,
    response={200: dict, 400: ErrorOut, 404: dict, 409: dict, 503: dict},
    summary="A gateway's payment notification (signed; see docs/collections.md)",
)
def notify(request, gateway: str):
    found = gateway_named(gateway)
    if found is None:
        raise Http404("gateway")
    handled = services.handle_notification(found, request.body, request.headers)
    if handled.errors:
        return Status(400, handled.errors)
    status, body, content_type = found.acknowledge(handled.outcome, handled.notification.message)
    if status == 400:
        body = {"message": handled.notification.message, "code": handled.outcome, "fields": []}
        return Status(400, body)
    return HttpResponse(body, status=status, content_type=content_type)


# ---------------------------------------------------------------------------------------------
# Finance


class OrderOut(Schema):
    number: str
    unit: int
    unit_code: str
    amount: Decimal
    state: str
    gateway: str
    gateway_txn_id: str
    receipt: str | None
    created_at: datetime.datetime
    paid_at: datetime.datetime | None


def order_out(order: OnlineOrder) -> dict:
    return {
        "number": order.number, "unit": order.unit_id, "unit_code": order.unit.code,
        "amount": order.amount, "state": order.state, "gateway": order.gateway,
        "gateway_txn_id": order.gateway_txn_id,
        "receipt": order.payment.receipt.number if order.payment_id else None,
        "created_at": order.created_at, "paid_at": order.paid_at,
    }  # fmt: skip


class OrderQuery(Schema):
    site: int | None = None
    state: str = Field("", description="created, paid, cancelled, expired or failed")
    day: datetime.date | None = Field(None, description="ordered that day")
    q: str = Field("", max_length=40, description="order number, unit code or transaction")


@router.get("/orders", response=list[OrderOut], summary="A site's online orders, newest first")
@paginate
def orders(request, filters: Query[OrderQuery]):
    site = one_site(request.user, filters.site)
    ensure_can(request.user, "onlinepay.view_onlineorder", site)
    if filters.state and filters.state not in OnlineOrder.State.values:
        raise invalid("state", _("Not an order state."), "invalid_choice")
    found = queries.orders_of(site, queries.OrderFilters(state=filters.state, day=filters.day, q=filters.q))  # fmt: skip
    return [order_out(o) for o in found]


class NotificationOut(Schema):
    id: int
    gateway: str
    received_at: datetime.datetime
    outcome: str
    signature_ok: bool
    out_trade_no: str
    gateway_txn_id: str
    amount: Decimal | None
    message: str
    body: str


class NotificationQuery(Schema):
    site: int | None = None
    outcome: str = ""
    bad: bool = Field(False, description="only the refused ones")


@router.get(
    "/notifications",
    response=list[NotificationOut],
    summary="The gateway notifications received for a site (and those no site was found for)",
)
@paginate
def notifications(request, filters: Query[NotificationQuery]):
    site = one_site(request.user, filters.site)
    ensure_can(request.user, "onlinepay.view_gatewaynotification", site)
    if filters.outcome and filters.outcome not in GatewayNotification.Outcome.values:
        raise invalid("outcome", _("Not a notification outcome."), "invalid_choice")
    return list(queries.notifications_of(site, outcome=filters.outcome, bad_only=filters.bad))


class MismatchOut(Schema):
    kind: str
    out_trade_no: str
    gateway_txn_id: str
    our_amount: Decimal | None
    gateway_amount: Decimal | None


class ReconciliationOut(Schema):
    id: int
    day: datetime.date
    gateway: str
    state: str
    orders_count: int
    orders_total: Decimal
    gateway_count: int
    gateway_total: Decimal
    mismatches_count: int
    run_at: datetime.datetime
    mismatches: list[MismatchOut]


def reconciliation_out(run: Reconciliation) -> dict:
    fields = ["id", "day", "gateway", "state", "orders_count", "orders_total", "gateway_count",
              "gateway_total", "mismatches_count", "run_at"]  # fmt: skip
    return {**{f: getattr(run, f) for f in fields}, "mismatches": list(run.mismatches.all())}


class SiteQuery(Schema):
    site: int | None = None


@router.get(
    "/reconciliations",
    response=list[ReconciliationOut],
    summary="A site's reconciliations, newest day first, with their mismatches",
)
@paginate
def reconciliations(request, filters: Query[SiteQuery]):
    site = one_site(request.user, filters.site)
    ensure_can(request.user, "onlinepay.view_reconciliation", site)
    return [reconciliation_out(r) for r in queries.reconciliations_of(site).prefetch_related("mismatches")]  # fmt: skip


class ReconcileIn(Schema):
    site: int | None = None
    day: datetime.date


@router.post(
    "/reconciliations",
    response={201: ReconciliationOut},
    summary="Reconcile a day now (again: its figures and mismatches are replaced)",
)
def run_reconciliation(request, payload: ReconcileIn):
    site = one_site(request.user, payload.site)
    ensure_can(request.user, "onlinepay.reconcile", site)
    if payload.day > timezone.localdate():
        raise invalid("day", _("A day still to come can't be reconciled."), "future")
    run = services.reconcile(site=site, day=payload.day, actor=request.user)
    return Status(201, reconciliation_out(run))
