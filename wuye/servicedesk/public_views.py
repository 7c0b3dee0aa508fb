"""The page behind a facility's QR code (lift, gate, pump room): anyone may report a fault
there without signing in. It is rate limited by address and by facility, and files a repair
ticket against the facility, which the desk then dispatches."""

from __future__ import annotations

import datetime

import segno
from django.core import signing
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from wuye.core.pages import site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.estate.models import Facility

from . import forms, services
from .models import Channel, Kind, Ticket

SIGNER = signing.Signer(salt="wuye.servicedesk.facility-qr", sep=".")
PER_ADDRESS = (5, datetime.timedelta(minutes=10))
PER_FACILITY = (20, datetime.timedelta(hours=1))


def facility_token(facility: Facility) -> str:
    return SIGNER.sign(str(facility.pk))


def facility_from_token(token: str) -> Facility | None:
    try:
        pk = int(SIGNER.unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Facility.objects.select_related("site", "building").filter(pk=pk).first()


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def over_limit(facility: Facility, address: str | None, now) -> bool:
    recent = Ticket.objects.filter(channel=Channel.ONLINE, resident__isnull=True,
                                   received_by__isnull=True)  # fmt: skip
    count, window = PER_ADDRESS
    if address and recent.filter(reporter_ip=address, received_at__gte=now - window).count() >= count:  # fmt: skip
        return True
    count, window = PER_FACILITY
    return recent.filter(facility=facility, received_at__gte=now - window).count() >= count


@csrf_protect
def qr_report(request, token):
    facility = facility_from_token(token)
    if facility is None or not facility.site.is_active:
        return render(request, "servicedesk/qr_report.html", {"unknown": True}, status=404)
    form = forms.QrReportForm(request.POST or None)
    context = {"facility": facility, "form": form}
    if request.method == "POST":
        address = client_address(request)
        if over_limit(facility, address, timezone.now()):
            context["limited"] = True
            return render(request, "servicedesk/qr_report.html", context, status=429)
        if form.is_valid() and form.cleaned_data["website"]:
            context["ticket"] = None  # a robot filled the hidden field: say thanks, file nothing
            return render(request, "servicedesk/qr_done.html", context)

        def file(data):
            return services.register_ticket(
                site=facility.site, actor=None, authorised=True, reporter_ip=address,
                intake=services.Intake(
                    kind=Kind.REPAIR, channel=Channel.ONLINE, subject=data["subject"],
                    description=data["description"], caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"], facility=facility,
                    location=facility.name,
                ),
            )  # fmt: skip

        ticket = submit_form(form, file)
        if ticket is not None:
            return render(request, "servicedesk/qr_done.html", {**context, "ticket": ticket})
        return render(request, "servicedesk/qr_report.html", context, status=400)
    return render(request, "servicedesk/qr_report.html", context)


@site_page
def facility_qr(request, pk):
    """The printable QR code of a facility."""
    ensure_can(request.user, "estate.view_facility", request.site)
    facility = access_object(Facility, request.user, pk, site=request.site)
    url = request.build_absolute_uri(reverse("servicedesk:qr_report", args=[facility_token(facility)]))  # fmt: skip
    svg = segno.make(url, error="m").svg_inline(scale=6, dark="#111827")
    return render(request, "servicedesk/facility_qr.html",
                  {"facility": facility, "url": url, "svg": svg, "title": _("Report a fault")})  # fmt: skip
