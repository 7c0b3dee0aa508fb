"""在线缴费: a resident pays chosen open lines of their unit online (docs/collections.md,
Online payment — Pages).

The pages take the unit through the resident access check (`queries.resident_unit`: an
approved link, 404 otherwise) and hand the order to `wuye.onlinepay.services`; the gateway's
checkout (the simulator by default) sends the resident back to the order's result page."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from wuye.billing import payments
from wuye.core.errors import field_errors
from wuye.core.models import Site
from wuye.onlinepay import queries as pay_queries
from wuye.onlinepay import services as pay

from . import queries
from .views import _resident

ZERO = Decimal("0.00")


def start_payment(user, unit, line_ids):
    """An order for the chosen lines and the gateway's checkout to send the resident to; the
    gateway sends them back to the order's result page."""
    back = reverse("portal:pay_result", args=[unit.pk, "NUMBER"]).replace("NUMBER", "{number}")
    order = pay.create_order(actor=user, unit=unit, line_ids=line_ids, return_url=back)
    return order, pay.gateway_of(order).create_order(order)


@login_required(login_url="portal:sign_in")
@require_http_methods(["GET", "POST"])
def pay_unit(request, pk):
    """The unit's open lines with check boxes and their total; "pay" goes to the checkout."""
    _resident(request)
    unit = queries.resident_unit(request.user, pk)
    lines = payments.open_lines(unit)
    chosen = {str(line.pk) for line in lines}
    errors = []
    if request.method == "POST":
        chosen = set(request.POST.getlist("lines"))
        try:
            _order, checkout = start_payment(request.user, unit, request.POST.getlist("lines"))
        except ValidationError as exc:
            errors = [e["message"] for e in field_errors(exc)]
        else:
            return redirect(checkout.url)
    context = {
        "unit": unit,
        "lines": lines,
        "chosen": chosen,
        "total": sum((line.outstanding for line in lines if str(line.pk) in chosen), ZERO),
        "errors": errors,
    }
    return render(request, "portal/pay.html", context, status=400 if errors else 200)


@login_required(login_url="portal:sign_in")
def pay_result(request, pk, number):
    """What became of the order: paid with its receipt, or not (yet)."""
    _resident(request)
    unit = queries.resident_unit(request.user, pk)
    order = pay_queries.resident_order(request.user, unit, number)
    return render(request, "portal/pay_result.html", {"unit": unit, "order": order})


@login_required(login_url="portal:sign_in")
def pay_site(request, code):
    """What the site's payment QR code opens: the resident's units at the site, each with its
    open lines."""
    _resident(request)
    site = get_object_or_404(Site, code=code, is_active=True)
    units = [
        {"unit": link.unit, "lines": payments.open_lines(link.unit)}
        for link in queries.approved_links(request.user).filter(unit__site=site).order_by("unit__code")
    ]  # fmt: skip
    for entry in units:
        entry["total"] = sum((line.outstanding for line in entry["lines"]), ZERO)
    return render(request, "portal/pay_site.html", {"site": site, "units": units})
