"""The meter pages (R-FEE-02): the site's meters and adding one (finance); the phone reading
sheet of a building for a month, one reading per row, each row posted on its own; the second
look at held readings (finance); importing a month's readings from .xlsx as a background job;
usage by building and month against the year before. Each view checks the role, reads through
the scoping helpers and hands a valid form to `meters.py`; what the service refuses is shown
beside the field it concerns, with status 400."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wuye.core.errors import invalid
from wuye.core.jobs import with_live_progress
from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.models import Job
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.core.spreadsheets import build_workbook, xlsx_response
from wuye.estate.models import Building, Unit

from . import meter_queries, meters
from .forms import parse_month
from .meter_forms import ConfirmForm, ImportForm, MeterForm, ReadingForm, RejectForm
from .meter_import import JOB_KIND, import_report, reading_template, start_reading_import
from .models import Meter, MeterReading

State = MeterReading.State
SHARED_CHOICES = (("own", gettext_lazy("Own meters")), ("shared", gettext_lazy("Shared meters")))


def _kinds_in_use(site) -> list[str]:
    present = set(Meter.objects.of_site(site).values_list("kind", flat=True).distinct())
    return [kind for kind in Meter.Kind.values if kind in present]


def _kind(params, site) -> str:
    kind = params.get("kind", "")
    if kind in Meter.Kind.values:
        return kind
    in_use = _kinds_in_use(site)
    return in_use[0] if in_use else Meter.Kind.WATER


# ---------------------------------------------------------------------------------------------
# Meters


@site_page
@require_http_methods(["GET", "POST"])
def meter_list(request):
    """The site's meters by kind, building and own/shared; finance adds one below."""
    ensure_can(request.user, "billing.view_meter", request.site)
    form = MeterForm(request.POST or None, site=request.site)
    if request.method == "POST":
        ensure_can(request.user, "billing.add_meter", request.site)
        meter = submit_form(form, lambda data: _add_meter(request, data))
        if meter is not None:
            messages.success(request, _("Meter %(code)s added.") % {"code": meter.code})
            return redirect("billing:meters")
    filters = {
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in Meter.Kind.values else "",
        "building": request.GET.get("building", ""),
        "shared": request.GET.get("shared", ""),
    }
    found = meter_queries.meters_of(request.site, **filters)
    context = {
        "form": form,
        "filters": filters,
        "kinds": Meter.Kind.choices,
        "buildings": Building.objects.of_site(request.site).order_by("code"),
        "shared_choices": SHARED_CHOICES,
        "site_wide": meter_queries.SITE_WIDE,
        "page_obj": paginate(request, found),
        "query": query_without_page(request),
    }
    return render(request, "billing/meters.html", context, status=form_status(form))


def _add_meter(request, data: dict) -> Meter:
    fields = dict(data)
    code = fields.pop("unit").strip()
    unit = None
    if code:
        unit = Unit.objects.of_site(request.site).filter(code=code).first()
        if unit is None:
            raise invalid("unit", _("There is no unit %(code)s at this site.") % {"code": code})
    return meters.add_meter(site=request.site, actor=request.user, unit=unit, **fields)


# ---------------------------------------------------------------------------------------------
# The reading sheet (phone)


def _sheet_filters(params, site) -> dict:
    """The month (default this month), kind and building the sheet is of, from the query (or
    a row's form). Without a building, the first that has meters of the kind (or the whole
    site's shared meters)."""
    month = parse_month(params.get("month")) or timezone.localdate().replace(day=1)
    kind = _kind(params, site)
    building = params.get("building", "")
    buildings = meter_queries.buildings_with_meters(site, kind)
    site_wide = meter_queries.has_site_wide_meters(site, kind)
    if building != meter_queries.SITE_WIDE and not any(str(b.pk) == building for b in buildings):
        building = (
            str(buildings[0].pk) if buildings else meter_queries.SITE_WIDE if site_wide else ""
        )
    return {
        "month": month,
        "kind": kind,
        "building": building,
        "buildings": buildings,
        "site_wide": site_wide,
    }


def _sheet_query(filters: dict) -> str:
    return urlencode(
        {"month": f"{filters['month']:%Y-%m}", "kind": filters["kind"],
         "building": filters["building"]}
    )  # fmt: skip


def _sheet_page(request, filters: dict, failed: meter_queries.SheetRow | None = None, status=200):
    rows = (
        meter_queries.reading_sheet(
            request.site, period=filters["month"], kind=filters["kind"],
            building=filters["building"],
        )
        if filters["building"]
        else []
    )  # fmt: skip
    if failed is not None:
        rows = [failed if row.meter.pk == failed.meter.pk else row for row in rows]
    read = sum(1 for row in rows if row.reading is not None)
    held = sum(1 for row in rows if row.reading is not None and row.reading.state == State.HELD)
    context = {
        **filters,
        "month_text": f"{filters['month']:%Y-%m}",
        "kinds": Meter.Kind.choices,
        "rows": rows,
        "read": read,
        "held": held,
        "site_wide_key": meter_queries.SITE_WIDE,
        "sheet_query": _sheet_query(filters),
    }
    return render(request, "billing/readings.html", context, status=status)


@site_page
def reading_sheet(request):
    """抄表: a building's meters of a kind, each with its last reading and an input for this
    month's; a row already read shows its reading."""
    ensure_can(request.user, "billing.add_meterreading", request.site)
    return _sheet_page(request, _sheet_filters(request.GET, request.site))


@site_page
@require_POST
def record_reading(request, pk):
    """One row of the sheet: record the meter's reading and answer with the row (htmx), or go
    back to the sheet (a plain form post)."""
    ensure_can(request.user, "billing.add_meterreading", request.site)
    meter = access_object(Meter, request.user, pk, site=request.site)
    form = ReadingForm(request.POST)
    reading = submit_form(
        form,
        lambda data: meters.record_reading(
            site=request.site, actor=request.user, meter=meter, period=data["month"],
            value=data["value"], source=MeterReading.Source.PHONE,
        ),
    )  # fmt: skip
    period = parse_month(request.POST.get("month")) or timezone.localdate().replace(day=1)
    row = meter_queries.sheet_row(meter, period)
    row.just_recorded = reading is not None
    row.form = form
    row.errors = (
        []
        if reading is not None
        else [*form.errors.get("value", []), *form.errors.get("month", []),
              *form.non_field_errors()]
    )  # fmt: skip
    status = 200 if reading is not None else 400
    if request.htmx:
        context = {
            "row": row,
            "month_text": f"{period:%Y-%m}",
            "kind": request.POST.get("kind", ""),
            "building": request.POST.get("building", ""),
        }
        return render(request, "billing/readings.html#row", context, status=status)
    filters = _sheet_filters(request.POST, request.site) | {"month": period}
    if reading is None:
        return _sheet_page(request, filters, failed=row, status=400)
    messages.success(request, _recorded_message(reading))
    return redirect(f"{reverse('billing:readings')}?{_sheet_query(filters)}#meter-{meter.pk}")


def _recorded_message(reading: MeterReading) -> str:
    if reading.state == State.HELD:
        return _("%(meter)s: held for a second look: %(reason)s") % {
            "meter": reading.meter.code, "reason": reading.hold_reason}  # fmt: skip
    return _("%(meter)s: accepted, usage %(usage)s.") % {
        "meter": reading.meter.code, "usage": format(reading.usage.normalize(), "f")}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The second look


@site_page
def held_readings(request):
    ensure_can(request.user, "billing.change_meterreading", request.site)
    return _held_page(request)


def _held_page(request, failed: tuple[int, str, object] | None = None, status: int = 200):
    page = paginate(request, meter_queries.held_readings(request.site))
    history = meter_queries.recent_usages(page.object_list)
    items = []
    for reading in page.object_list:
        confirm_form, reject_form = ConfirmForm(prefix="confirm"), RejectForm(prefix="reject")
        if failed is not None and failed[0] == reading.pk:
            if failed[1] == "confirm":
                confirm_form = failed[2]
            else:
                reject_form = failed[2]
        items.append(
            {"reading": reading, "history": history[reading.pk],
             "confirm_form": confirm_form, "reject_form": reject_form}
        )  # fmt: skip
    context = {"items": items, "page_obj": page, "query": query_without_page(request)}
    return render(request, "billing/readings_held.html", context, status=status)


@site_page
@require_POST
def check_reading(request, pk, action):
    """Confirm (with an optional note) or reject (saying what is wrong) a held reading."""
    ensure_can(request.user, "billing.change_meterreading", request.site)
    reading = access_object(
        MeterReading.objects.select_related("meter"), request.user, pk, site=request.site
    )
    if action == "confirm":
        form = ConfirmForm(request.POST, prefix="confirm")
        done = submit_form(
            form,
            lambda d: meters.confirm_reading(reading=reading, actor=request.user, note=d["note"]),
        )
        message = _("%(meter)s %(month)s confirmed; it bills with the next run.")
    else:
        form = RejectForm(request.POST, prefix="reject")
        done = submit_form(
            form,
            lambda d: meters.reject_reading(reading=reading, actor=request.user, note=d["note"]),
        )
        message = _("%(meter)s %(month)s rejected; read the meter again.")
    if done is None:
        return _held_page(request, failed=(reading.pk, action, form), status=400)
    messages.success(
        request, message % {"meter": reading.meter.code, "month": f"{reading.period:%Y-%m}"}
    )
    return redirect("billing:held_readings")


# ---------------------------------------------------------------------------------------------
# Import


@site_page
@require_http_methods(["GET", "POST"])
def reading_import(request):
    ensure_can(request.user, "billing.add_meterreading", request.site)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"month": f"{timezone.localdate():%Y-%m}"},
    )
    if request.method == "POST":
        job = submit_form(
            form,
            lambda d: start_reading_import(
                site=request.site, actor=request.user, upload=d["file"], month=d["month"]
            ),
        )
        if job is not None:
            return redirect("billing:reading_import_job", pk=job.pk)
    recent = Job.objects.filter(site=request.site, kind=JOB_KIND).select_related("actor")[:10]
    context = {"form": form, "recent": recent}
    return render(request, "billing/reading_import.html", context, status=form_status(form))


@site_page
def reading_import_job(request, pk):
    ensure_can(request.user, "billing.view_meterreading", request.site)
    job = with_live_progress(get_object_or_404(Job, pk=pk, site=request.site, kind=JOB_KIND))
    context = {
        "job": job,
        "poll_url": reverse("billing:reading_import_job", args=[job.pk]),
        "report": import_report(job) if job.state in (Job.State.DONE, Job.State.FAILED) else [],
    }
    if request.htmx:
        return render(request, "billing/reading_import_progress.html", context)
    return render(request, "billing/reading_import_job.html", context)


@site_page
def reading_import_template(request):
    ensure_can(request.user, "billing.view_meter", request.site)
    return xlsx_response(_("meter-readings-template.xlsx"), reading_template(request.site))


# ---------------------------------------------------------------------------------------------
# Usage analysis


@site_page
def usage(request):
    """Usage of a kind by building (rows) and month (columns) in a year, with totals and the
    change on the same month a year before; .xlsx export."""
    ensure_can(request.user, "billing.view_meterreading", request.site)
    this_year = timezone.localdate().year
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= this_year + 1 else this_year
    kind = _kind(request.GET, request.site)
    table = meter_queries.usage_by_building(request.site, year=year, kind=kind)
    if wants_export(request):
        return _usage_xlsx(table)
    context = {
        "table": table,
        "year": year,
        "kind": kind,
        "kinds": Meter.Kind.choices,
        "kind_label": Meter.Kind(kind).label,
        "years": list(range(this_year + 1, this_year - 6, -1)),
        "months": [datetime.date(year, m, 1) for m in range(1, 13)],
        "query": query_without_page(request),
    }
    return render(request, "billing/meter_usage.html", context)


def _usage_xlsx(table: meter_queries.UsageTable):
    headers = [
        _("Building"),
        *[f"{table.year}-{m:02d}" for m in range(1, 13)],
        _("Total"),
        _("%(year)s total") % {"year": table.year - 1},
        _("Change on the same months (%)"),
    ]
    rows = [
        [row.name, *row.months, row.total, row.total_before,
         "" if row.total_change is None else row.total_change]
        for row in [*table.rows, table.totals]
    ]  # fmt: skip
    rows.append(
        [_("Same month, %(year)s") % {"year": table.year - 1}, *table.totals.before,
         table.totals.total_before, "", ""]
    )  # fmt: skip
    title = _("%(kind)s usage %(year)s") % {
        "kind": Meter.Kind(table.kind).label,
        "year": table.year,
    }
    filename = _("meter-usage-%(kind)s-%(year)s.xlsx") % {"kind": table.kind, "year": table.year}
    return xlsx_response(filename, build_workbook(title, headers, rows))
