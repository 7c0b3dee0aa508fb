"""Online payment's pages: the gateway's notify endpoint, the simulator's checkout, the site's
payment QR code, and finance's lists of orders, notifications and reconciliations.

The residents' own pay pages live in the portal (which holds the resident access check);
`/pay/s/<site>/`, what the printed QR code opens, sends the resident there."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from wuye.core.errors import error_body
from wuye.core.listing import paginate, query_without_page
from wuye.core.models import Site
from wuye.core.pages import site_page
from wuye.core.permissions import ensure_can

from . import queries, services
from .gateways import gateway_named
from .models import GatewayNotification, OnlineOrder
from .simulator import SimulatorGateway

# ---------------------------------------------------------------------------------------------
# The gateway's side


@csrf_exempt
@require_POST
def notify(request, gateway):
    """Where a gateway sends its notifications: no session, the signature instead."""
    found = gateway_named(gateway)
    if found is None:
        raise Http404("gateway")
    handled = services.handle_notification(found, request.body, request.headers)
    if handled.errors:
        return JsonResponse(handled.errors, status=400)
    status, body, content_type = found.acknowledge(handled.outcome, handled.notification.message)
    return HttpResponse(body, status=status, content_type=content_type)


@login_required(login_url="portal:sign_in")
@require_http_methods(["GET", "POST"])
def simulator_checkout(request, number):
    """The simulator's checkout, standing in for the WeChat or Alipay page: the amount, and
    "pay" or "cancel". Only the resident who made the order may open it, so an order number
    alone pays nothing."""
    order = get_object_or_404(OnlineOrder.objects.select_related("site"), number=number,
                              gateway=SimulatorGateway.name, created_by=request.user)  # fmt: skip
    simulator = gateway_named(SimulatorGateway.name)
    expired = order.state == OnlineOrder.State.CREATED and order.expires_at < timezone.now()
    can_pay = order.state == OnlineOrder.State.CREATED and not expired
    if request.method == "POST" and can_pay:
        if request.POST.get("do") == "pay":
            simulator.pay(order)
        else:
            simulator.cancel(order)
        back = order.return_url
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("onlinepay:simulator", args=[number])
        return redirect(back)
    return render(request, "onlinepay/simulator.html",
                  {"order": order, "can_pay": can_pay, "expired": expired})  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The site's payment QR code


def site_entry(request, code):
    """What the site's payment QR code opens: the resident's units there, in the portal (which
    asks them to sign in first)."""
    site = get_object_or_404(Site, code=code, is_active=True)
    return redirect("portal:pay_site", site.code)


def site_url(request, site) -> str:
    return request.build_absolute_uri(reverse("onlinepay:site_entry", args=[site.code]))


@site_page
def site_qr(request):
    """The site's printable payment QR code (扫码缴费), for notice boards and the counter."""
    ensure_can(request.user, "onlinepay.view_onlineorder", request.site)
    url = site_url(request, request.site)
    kind = request.GET.get("format")
    code = segno.make(url, error="m")
    if kind in ("png", "svg"):
        out = io.BytesIO()
        code.save(out, kind=kind, scale=12, border=4, dark="#111827")
        response = HttpResponse(out.getvalue(), content_type="image/png" if kind == "png" else "image/svg+xml")  # fmt: skip
        response["Content-Disposition"] = f'inline; filename="pay-{request.site.code}.{kind}"'
        return response
    svg = code.svg_inline(scale=8, dark="#111827")
    return render(request, "onlinepay/site_qr.html", {"url": url, "svg": svg})


# ---------------------------------------------------------------------------------------------
# Finance's pages


@site_page
def orders_page(request):
    ensure_can(request.user, "onlinepay.view_onlineorder", request.site)
    filters = queries.OrderFilters.from_params(request.GET)
    context = {
        "filters": filters,
        "states": OnlineOrder.State.choices,
        "page_obj": paginate(request, queries.orders_of(request.site, filters)),
        "query": query_without_page(request),
    }
    return render(request, "onlinepay/orders.html", context)


@site_page
def notifications_page(request):
    ensure_can(request.user, "onlinepay.view_gatewaynotification", request.site)
    outcome = request.GET.get("outcome") or ""
    bad_only = request.GET.get("bad") in ("1", "on", "true")
    rows = queries.notifications_of(request.site, outcome=outcome, bad_only=bad_only)
    context = {
        "outcome": outcome,
        "bad_only": bad_only,
        "outcomes": GatewayNotification.Outcome.choices,
        "page_obj": paginate(request, rows),
        "query": query_without_page(request),
    }
    return render(request, "onlinepay/notifications.html", context)


def _yesterday(site) -> datetime.date:
    return timezone.localdate(timezone=ZoneInfo(site.time_zone)) - datetime.timedelta(days=1)


@site_page
@require_http_methods(["GET", "POST"])
def reconciliations_page(request):
    ensure_can(request.user, "onlinepay.view_reconciliation", request.site)
    error = ""
    if request.method == "POST":
        try:
            day = datetime.date.fromisoformat(request.POST.get("day") or "")
        except ValueError:
            error = _("Enter the day as YYYY-MM-DD.")
        else:
            if day > timezone.localdate():
                error = _("A day still to come can't be reconciled.")
            else:
                try:
                    run = services.reconcile(site=request.site, day=day, actor=request.user)
                except ValidationError as exc:
                    error = error_body(exc)["message"]
                else:
                    messages.success(request, _("Reconciled %(day)s: %(count)s mismatches.") % {
                        "day": day.isoformat(), "count": run.mismatches_count})  # fmt: skip
                    return redirect("onlinepay:reconciliation", run.pk)
    context = {
        "page_obj": paginate(request, queries.reconciliations_of(request.site)),
        "day": request.POST.get("day") or _yesterday(request.site).isoformat(),
        "error": error,
        "can_reconcile": request.user.has_perm("onlinepay.reconcile"),
    }
    return render(request, "onlinepay/reconciliations.html", context, status=400 if error else 200)


@site_page
def reconciliation_page(request, pk):
    ensure_can(request.user, "onlinepay.view_reconciliation", request.site)
    run = queries.reconciliation(request.user, pk, site=request.site)
    mismatches = run.mismatches.select_related("order", "order__unit")
    return render(request, "onlinepay/reconciliation.html", {"run": run, "mismatches": mismatches})
