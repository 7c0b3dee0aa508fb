"""Staff pages of the estate. Each view reads through the scoping helpers, hands a valid form
to a service and shows what the service refused beside the fields it concerns."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuye.core.audit import history
from wuye.core.forms import SpreadsheetUploadForm
from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.models import Job
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.core.spreadsheets import xlsx_response

from . import queries, services, workbooks
from .forms import (
    BuildingForm,
    EntranceForm,
    FacilityForm,
    GenerateUnitsForm,
    ParkingSpaceForm,
    UnitForm,
)
from .models import Building, Facility, ParkingSpace, Unit
from .unit_import import JOB_KIND, import_report, start_unit_import


def _form_page(request, form, context: dict, *, status: int | None = None) -> HttpResponse:
    if status is None:
        status = form_status(form)
    return render(request, "estate/form.html", {"form": form, **context}, status=status)


def _export(filename: str, content: bytes) -> HttpResponse:
    return xlsx_response(filename, content)


# ---------------------------------------------------------------------------------------------
# Buildings


@site_page
def building_list(request):
    q = request.GET.get("q", "")
    buildings = queries.buildings_with_counts(Building.objects.of_site(request.site), q=q)
    if wants_export(request):
        return _export(_("buildings.xlsx"), workbooks.export_buildings(buildings))
    return render(
        request,
        "estate/building_list.html",
        {
            "page_obj": paginate(request, buildings),
            "query": query_without_page(request),
            "q": q,
            "states": Unit.State.choices,
        },
    )


@site_page
def building_detail(request, pk):
    building = access_object(Building, request.user, pk, site=request.site)
    counts = queries.state_counts(Unit.objects.filter(building=building))
    return render(
        request,
        "estate/building_detail.html",
        {
            "building": building,
            "entrances": building.entrances.all(),
            "floors": queries.floor_grid(building),
            "state_rows": [(code, label, counts[code]) for code, label in Unit.State.choices],
            "facilities": building.facilities.all(),
            "audit_entries": history(building)[:50],
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def building_form(request, pk=None):
    building = pk and access_object(Building, request.user, pk, site=request.site)
    if building:
        ensure_can(request.user, "estate.change_building", request.site)
    else:
        ensure_can(request.user, "estate.add_building", request.site)
    form = BuildingForm(request.POST or None, instance=building or None)
    if request.method == "POST":
        if building:
            saved = submit_form(
                form,
                lambda data: services.update_building(
                    building=building, actor=request.user, **data
                ),
            )
        else:
            saved = submit_form(
                form,
                lambda data: services.create_building(
                    site=request.site, actor=request.user, **data
                ),
            )
        if saved:
            messages.success(request, _("Saved building %(name)s.") % {"name": saved.name})
            return redirect("estate:building_detail", pk=saved.pk)
    title = _("Edit %(name)s") % {"name": building.name} if building else _("New building")
    return _form_page(
        request,
        form,
        {
            "title": title,
            "crumbs": [(reverse("estate:building_list"), _("Buildings"))]
            + (
                [(reverse("estate:building_detail", args=[building.pk]), building.name)]
                if building
                else []
            ),
            "cancel_url": reverse("estate:building_detail", args=[building.pk])
            if building
            else reverse("estate:building_list"),
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def entrance_form(request, building_pk, pk=None):
    building = access_object(Building, request.user, building_pk, site=request.site)
    entrance = pk and access_object(building.entrances.all(), request.user, pk, site=request.site)
    perm = "estate.change_entrance" if entrance else "estate.add_entrance"
    ensure_can(request.user, perm, request.site)
    form = EntranceForm(request.POST or None, instance=entrance or None)
    if request.method == "POST":
        if entrance:
            saved = submit_form(
                form,
                lambda data: services.update_entrance(
                    entrance=entrance, actor=request.user, **data
                ),
            )
        else:
            saved = submit_form(
                form,
                lambda data: services.create_entrance(
                    building=building, actor=request.user, **data
                ),
            )
        if saved:
            messages.success(request, _("Saved entrance %(name)s.") % {"name": saved.name})
            return redirect("estate:building_detail", pk=building.pk)
    detail_url = reverse("estate:building_detail", args=[building.pk])
    return _form_page(
        request,
        form,
        {
            "title": _("Edit %(name)s") % {"name": entrance.name}
            if entrance
            else _("New entrance in %(building)s") % {"building": building.name},
            "crumbs": [
                (reverse("estate:building_list"), _("Buildings")),
                (detail_url, building.name),
            ],
            "cancel_url": detail_url,
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def generate_units(request, pk):
    building = access_object(Building, request.user, pk, site=request.site)
    ensure_can(request.user, "estate.add_unit", request.site)
    form = GenerateUnitsForm(request.POST or request.GET or None, building=building)
    if request.method == "POST":
        created = submit_form(
            form,
            lambda data: services.generate_units(building=building, actor=request.user, **data),
        )
        if created is not None:
            messages.success(request, _("Created %(count)s units.") % {"count": len(created)})
            return redirect("estate:building_detail", pk=building.pk)
    context = {"building": building, "form": form, "preview": _generate_preview(form, building)}
    if request.htmx and request.method == "GET":
        return render(request, "estate/generate_units.html#preview", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "estate/generate_units.html", context, status=status)


def _generate_preview(form, building) -> dict | None:
    """What a generate run would create, from the form as typed so far."""
    if not form.is_bound or not form.is_valid():
        return None
    data = form.cleaned_data
    planned = services.planned_numbers(
        data["first_floor"], data["last_floor"], data["units_per_floor"]
    )
    if not planned:
        return None
    numbers = [number for _floor, number in planned]
    return {
        "count": len(planned),
        "first": numbers[0],
        "last": numbers[-1],
        "clashes": services.existing_numbers(building, data["entrance"], numbers)[:30],
    }


# ---------------------------------------------------------------------------------------------
# Units


def _unit_filters(request) -> dict:
    return {
        "q": request.GET.get("q", ""),
        "building": request.GET.get("building", ""),
        "entrance": request.GET.get("entrance", ""),
        "floor": request.GET.get("floor", ""),
        "state": request.GET.get("state", ""),
        "use": request.GET.get("use", ""),
    }


@site_page
def unit_list(request):
    filters = _unit_filters(request)
    units = queries.search_units(Unit.objects.of_site(request.site), **filters)
    if wants_export(request):
        return _export(_("units.xlsx"), workbooks.export_units(units))
    return render(
        request,
        "estate/unit_list.html",
        {
            "page_obj": paginate(request, units),
            "query": query_without_page(request),
            "filters": filters,
            "buildings": Building.objects.of_site(request.site).only("pk", "name"),
            "states": Unit.State.choices,
            "uses": Unit.Use.choices,
        },
    )


@site_page
def unit_detail(request, pk):
    unit = access_object(
        Unit.objects.select_related("building", "entrance"), request.user, pk, site=request.site
    )
    return render(
        request,
        "estate/unit_detail.html",
        {"unit": unit, "audit_entries": history(unit)[:50]},
    )


@site_page
@require_http_methods(["GET", "POST"])
def unit_form(request, pk=None):
    unit = pk and access_object(
        Unit.objects.select_related("building"), request.user, pk, site=request.site
    )
    ensure_can(request.user, "estate.change_unit" if unit else "estate.add_unit", request.site)
    initial = {"building": request.GET.get("building")} if not unit else None
    form = UnitForm(request.POST or None, instance=unit or None, initial=initial, site=request.site)
    if request.method == "POST":
        if unit:
            saved = submit_form(
                form, lambda data: services.update_unit(unit=unit, actor=request.user, **data)
            )
        else:
            saved = submit_form(form, lambda data: _create_unit(request.user, data))
        if saved:
            messages.success(request, _("Saved unit %(code)s.") % {"code": saved.code})
            return redirect("estate:unit_detail", pk=saved.pk)
    crumbs = [(reverse("estate:unit_list"), _("Units"))]
    if unit:
        crumbs.append((reverse("estate:unit_detail", args=[unit.pk]), unit.code))
    return _form_page(
        request,
        form,
        {
            "title": _("Edit unit %(code)s") % {"code": unit.code} if unit else _("New unit"),
            "crumbs": crumbs,
            "cancel_url": crumbs[-1][0],
        },
    )


def _create_unit(actor, data: dict) -> Unit:
    fields = dict(data)
    building = fields.pop("building")
    return services.create_unit(building=building, actor=actor, **fields)


@site_page
@require_http_methods(["GET", "POST"])
def unit_import(request):
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    ensure_can(request.user, "estate.add_unit", request.site)
    if request.method == "POST" and form.is_valid():
        job = start_unit_import(
            site=request.site, actor=request.user, upload=form.cleaned_data["file"]
        )
        return redirect("estate:unit_import_job", pk=job.pk)
    recent = Job.objects.filter(site=request.site, kind=JOB_KIND).select_related("actor")[:10]
    status = form_status(form)
    return render(
        request, "estate/unit_import.html", {"form": form, "recent": recent}, status=status
    )


@site_page
def unit_import_job(request, pk):
    job = get_object_or_404(Job, pk=pk, site=request.site, kind=JOB_KIND)
    ensure_can(request.user, "estate.view_unit", request.site)
    context = {
        "job": job,
        "poll_url": reverse("estate:unit_import_job", args=[job.pk]),
        "report": import_report(job) if job.state == Job.State.FAILED else [],
    }
    if request.htmx:
        return render(request, "estate/_import_job.html", context)
    return render(request, "estate/unit_import_job.html", context)


@site_page
def unit_import_template(request):
    return _export(_("unit-import-template.xlsx"), workbooks.unit_template())


# ---------------------------------------------------------------------------------------------
# Parking spaces


@site_page
def parking_list(request):
    filters = {k: request.GET.get(k, "") for k in ("q", "kind", "state")}
    spaces = queries.search_parking(ParkingSpace.objects.of_site(request.site), **filters)
    if wants_export(request):
        return _export(_("parking-spaces.xlsx"), workbooks.export_parking(spaces))
    return render(
        request,
        "estate/parking_list.html",
        {
            "page_obj": paginate(request, spaces),
            "query": query_without_page(request),
            "filters": filters,
            "kinds": ParkingSpace.Kind.choices,
            "states": ParkingSpace.State.choices,
        },
    )


@site_page
def parking_detail(request, pk):
    space = access_object(ParkingSpace, request.user, pk, site=request.site)
    return render(
        request,
        "estate/parking_detail.html",
        {"space": space, "audit_entries": history(space)[:50]},
    )


@site_page
@require_http_methods(["GET", "POST"])
def parking_form(request, pk=None):
    space = pk and access_object(ParkingSpace, request.user, pk, site=request.site)
    perm = "estate.change_parkingspace" if space else "estate.add_parkingspace"
    ensure_can(request.user, perm, request.site)
    form = ParkingSpaceForm(request.POST or None, instance=space or None)
    if request.method == "POST":
        if space:
            saved = submit_form(
                form,
                lambda data: services.update_parking_space(space=space, actor=request.user, **data),
            )
        else:
            saved = submit_form(
                form,
                lambda data: services.create_parking_space(
                    site=request.site, actor=request.user, **data
                ),
            )
        if saved:
            messages.success(request, _("Saved parking space %(code)s.") % {"code": saved.code})
            return redirect("estate:parking_detail", pk=saved.pk)
    crumbs = [(reverse("estate:parking_list"), _("Parking spaces"))]
    if space:
        crumbs.append((reverse("estate:parking_detail", args=[space.pk]), space.code))
    return _form_page(
        request,
        form,
        {
            "title": _("Edit parking space %(code)s") % {"code": space.code}
            if space
            else _("New parking space"),
            "crumbs": crumbs,
            "cancel_url": crumbs[-1][0],
        },
    )


# ---------------------------------------------------------------------------------------------
# Facilities


@site_page
def facility_list(request):
    filters = {k: request.GET.get(k, "") for k in ("q", "kind", "state", "building")}
    facilities = queries.search_facilities(Facility.objects.of_site(request.site), **filters)
    if wants_export(request):
        return _export(_("facilities.xlsx"), workbooks.export_facilities(facilities))
    return render(
        request,
        "estate/facility_list.html",
        {
            "page_obj": paginate(request, facilities),
            "query": query_without_page(request),
            "filters": filters,
            "kinds": Facility.Kind.choices,
            "states": Facility.State.choices,
        },
    )


@site_page
def facility_detail(request, pk):
    facility = access_object(
        Facility.objects.select_related("building"), request.user, pk, site=request.site
    )
    return render(
        request,
        "estate/facility_detail.html",
        {"facility": facility, "audit_entries": history(facility)[:50]},
    )


@site_page
@require_http_methods(["GET", "POST"])
def facility_form(request, pk=None):
    facility = pk and access_object(Facility, request.user, pk, site=request.site)
    perm = "estate.change_facility" if facility else "estate.add_facility"
    ensure_can(request.user, perm, request.site)
    initial = {"building": request.GET.get("building")} if not facility else None
    form = FacilityForm(
        request.POST or None, instance=facility or None, initial=initial, site=request.site
    )
    if request.method == "POST":
        if facility:
            saved = submit_form(
                form,
                lambda data: services.update_facility(
                    facility=facility, actor=request.user, **data
                ),
            )
        else:
            saved = submit_form(
                form,
                lambda data: services.create_facility(
                    site=request.site, actor=request.user, **data
                ),
            )
        if saved:
            messages.success(request, _("Saved facility %(name)s.") % {"name": saved.name})
            return redirect("estate:facility_detail", pk=saved.pk)
    crumbs = [(reverse("estate:facility_list"), _("Facilities"))]
    if facility:
        crumbs.append((reverse("estate:facility_detail", args=[facility.pk]), facility.name))
    return _form_page(
        request,
        form,
        {
            "title": _("Edit %(name)s") % {"name": facility.name}
            if facility
            else _("New facility"),
            "crumbs": crumbs,
            "cancel_url": crumbs[-1][0],
        },
    )
