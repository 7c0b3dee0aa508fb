"""Staff pages of the customer registers (R-CUS-01…05). Each view reads through the scoping
helpers and `queries`, hands a valid form to a service (or to the lifecycle) and shows what
it refused beside the fields it concerns. Identity and phone numbers reach a page only
through `privacy.identities`, which masks them or logs the look."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuye.core.audit import history
from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.core.spreadsheets import build_workbook, xlsx_response
from wuye.estate.models import Unit

from . import lifecycle, queries, services
from .forms import (
    EndEntryForm,
    MoveInForm,
    OwnerRowForm,
    PersonForm,
    PrivacyReportForm,
    RegisterSettingsForm,
    TenancyForm,
    TransferForm,
    entry_form_class,
    owner_rows,
    person_label,
)
from .models import Person, Tenancy
from .privacy import identities, identity
from .registers import REGISTERS, Register, get_register

PICK_LIMIT = 20


def _can(request, perm: str) -> None:
    ensure_can(request.user, perm, request.site)


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _add_errors(forms_in_order, exc: ValidationError) -> None:
    """Put what a service refused beside the field it names, on the first form that has the
    field; anything else on the first form as a whole."""
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for field, field_errors in errors.items():
        target = next((f for f in forms_in_order if field in f.fields), None)
        if target is None:
            forms_in_order[0].add_error(None, field_errors)
        else:
            target.add_error(field, field_errors)


def _display(entry, name: str) -> str:
    """One field of a register entry as a page shows it."""
    field = entry._meta.get_field(name)
    if field.choices:
        return getattr(entry, f"get_{name}_display")() or "—"
    value = getattr(entry, name)
    if value is None or value == "":
        return "—"
    if isinstance(value, Unit):
        return value.code
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _current_units(person: Person) -> list[tuple[str, Unit]]:
    """The units a person is at now, from `queries.with_current_units`' prefetch."""
    roles = (
        ("current_ownerships", _("owner")),
        ("current_tenancies", _("tenant")),
        ("current_households", _("household")),
    )
    return [(label, entry.unit) for name, label in roles for entry in getattr(person, name, [])]


# ---------------------------------------------------------------------------------------------
# People


@site_page
def person_list(request):
    _can(request, "people.view_person")
    filters = {"q": request.GET.get("q", "").strip(), "to_clean": request.GET.get("to_clean", "")}
    people = queries.search_people(request.site, filters["q"], to_clean=filters["to_clean"])
    if wants_export(request):
        from . import workbooks

        content = workbooks.export_people(people, request.user)
        return (
            content
            if isinstance(content, HttpResponse)
            else xlsx_response(_("customers.xlsx"), content)
        )
    page_obj = paginate(request, queries.with_current_units(people))
    shown = identities(request.user, page_obj.object_list, where=request.path)
    context = {
        "page_obj": page_obj,
        "rows": [(p, shown[p.pk], _current_units(p)) for p in page_obj.object_list],
        "query": query_without_page(request),
        "filters": filters,
        "registers": REGISTERS.values(),
    }
    if request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request):
        return render(request, "people/person_list.html#results", context)
    return render(request, "people/person_list.html", context)


@site_page
def person_pick(request):
    """The matches of a person picker's search box, as the picker's select."""
    _can(request, "people.view_person")
    field = request.GET.get("field", "person")[:60]
    text = request.GET.get(f"{field}__find", request.GET.get("q", "")).strip()
    people = []
    if text:
        people = list(
            queries.with_current_units(queries.search_people(request.site, text))[:PICK_LIMIT]
        )
    return render(
        request,
        "people/_pick.html",
        {
            "field": field,
            "choices": [(p.pk, person_label(p)) for p in people],
            "text": text,
            "limit": PICK_LIMIT,
        },
    )


def _person(request, pk) -> Person:
    _can(request, "people.view_person")
    return access_object(Person, request.user, pk, site=request.site)


@site_page
def person_detail(request, pk):
    person = _person(request, pk)
    numbers = identity(request.user, person, where=request.path)
    entries = []
    for register, found in queries.person_entries(person):
        columns = [
            name
            for name in register.fields
            if name not in (register.person_field, register.unit_field, "note")
        ]
        entries.append(
            {
                "register": register,
                "headers": [register.model._meta.get_field(n).verbose_name for n in columns],
                "end_label": register.model._meta.get_field(register.end_field).verbose_name,
                "rows": [
                    {
                        "entry": e,
                        "unit": getattr(e, register.unit_field) if register.unit_field else None,
                        "cells": [_display(e, n) for n in columns],
                        "ended": _display(e, register.end_field),
                        "current": getattr(e, register.end_field) is None,
                    }
                    for e in found
                ],
            }
        )
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "numbers": numbers,
            "entries": entries,
            "registers": REGISTERS.values(),
            "audit_entries": history(person).select_related("actor")[:50],
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def person_create(request):
    _can(request, "people.add_person")
    form = PersonForm(request.POST or None)
    if request.method == "POST":
        result = submit_form(
            form,
            lambda data: services.register_person(site=request.site, actor=request.user, **data),
        )
        if result is not None:
            person, created = result
            if created:
                messages.success(request, _("Registered %(name)s.") % {"name": person.name})
            else:
                messages.info(
                    request,
                    _(
                        "%(name)s was already registered; the details were merged into the "
                        "existing record."
                    )
                    % {"name": person.name},
                )
            return redirect("people:person_detail", pk=person.pk)
    return _person_form_page(request, form, None)


@site_page
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = _person(request, pk)
    _can(request, "people.change_person")
    numbers = identity(request.user, person, where=request.path)
    initial = {
        "name": person.name,
        "kind": person.kind,
        "id_type": person.id_type,
        "id_number": numbers.id_number,
        "phone": numbers.phone,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "nationality": person.nationality,
        "note": person.note,
    }
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST":

        def save(data):
            changes = {
                name: data[name]
                for name in ("name", "kind", "gender", "birth_date", "nationality", "note")
            }
            for name in ("id_type", "id_number", "phone"):
                if name in form.changed_data:
                    changes[name] = data[name]
            return services.update_person(person=person, actor=request.user, **changes)

        saved = submit_form(form, save)
        if saved is not None:
            messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
            return redirect("people:person_detail", pk=saved.pk)
    return _person_form_page(request, form, person)


def _person_form_page(request, form, person):
    crumbs = [(reverse("people:person_list"), _("Customers"))]
    if person:
        crumbs.append((reverse("people:person_detail", args=[person.pk]), person.name))
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": person.name} if person else _("New customer"),
            "crumbs": crumbs,
            "cancel_url": crumbs[-1][0],
            "intro": _(
                "A person is stored once: registering a document number that is already known "
                "merges the details into the existing record."
            )
            if not person
            else "",
        },
        status=form_status(form),
    )


# ---------------------------------------------------------------------------------------------
# Registers


def _register_queryset(register: Register, site) -> models.QuerySet:
    related = [register.person_field, "verified_by"]
    if register.unit_field:
        related.append(register.unit_field)
    related += [
        name
        for name in register.fields
        if name not in related and register.model._meta.get_field(name).is_relation
    ]
    return register.model.objects.of_site(site).select_related(*related)


def _register_columns(register: Register) -> list[str]:
    return [
        name
        for name in register.fields
        if name not in (register.person_field, register.unit_field, "note")
    ]


@site_page
def register_index(request):
    _can(request, "people.view_person")
    return render(
        request,
        "people/register_index.html",
        {"overview": queries.verification_overview(request.site)},
    )


@site_page
def register_list(request, code):
    register = get_register(code)
    _can(request, register.perm("view"))
    filters = {"q": request.GET.get("q", "").strip(), "ended": request.GET.get("ended", "")}
    entries = _register_queryset(register, request.site)
    if not filters["ended"]:
        entries = register.current(entries)
    if filters["q"]:
        matching = queries.search_people(request.site, filters["q"]).values("pk")
        entries = entries.filter(**{f"{register.person_field}__in": matching})
    if wants_export(request):
        from . import workbooks

        content = workbooks.export_register(register, entries, request.user)
        return (
            content
            if isinstance(content, HttpResponse)
            else xlsx_response(_("%(register)s.xlsx") % {"register": register.label}, content)
        )
    page_obj = paginate(request, entries)
    people = [getattr(e, register.person_field) for e in page_obj.object_list]
    shown = identities(request.user, people, where=request.path)
    columns = _register_columns(register)
    rows = [
        {
            "entry": e,
            "person": getattr(e, register.person_field),
            "phone": shown[getattr(e, register.person_field + "_id")].phone,
            "unit": getattr(e, register.unit_field) if register.unit_field else None,
            "cells": [_display(e, n) for n in columns],
            "ended": getattr(e, register.end_field),
        }
        for e in page_obj.object_list
    ]
    meta = register.model._meta
    return render(
        request,
        "people/register_list.html",
        {
            "register": register,
            "registers": REGISTERS.values(),
            "page_obj": page_obj,
            "rows": rows,
            "headers": [meta.get_field(n).verbose_name for n in columns],
            "person_label": meta.get_field(register.person_field).verbose_name,
            "end_label": meta.get_field(register.end_field).verbose_name,
            "query": query_without_page(request),
            "filters": filters,
            "can_add": request.user.has_perm(register.perm("add")),
            "can_end": request.user.has_perm(register.perm("change")) and code != "owners",
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def register_add(request, code):
    register = get_register(code)
    _can(request, register.perm("add"))
    form_class = entry_form_class(register, request.site)
    initial = {}
    if register.unit_field and request.GET.get("unit"):
        initial[register.unit_field] = (
            Unit.objects.of_site(request.site).filter(pk=request.GET["unit"]).first()
            if request.GET["unit"].isdigit()
            else None
        )
    if request.GET.get("person", "").isdigit():
        initial[register.person_field] = request.GET["person"]
    form = form_class(request.POST or None, initial=initial)
    default_next = reverse("people:register_list", args=[code])
    if request.method == "POST":
        entry = submit_form(
            form,
            lambda data: services.add_entry(
                register=register, site=request.site, actor=request.user, **data
            ),
        )
        if entry is not None:
            messages.success(
                request,
                _("Added %(entry)s to the %(register)s register.")
                % {"entry": entry, "register": register.label},
            )
            return redirect(_next_url(request, default_next))
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": _("Add to %(register)s") % {"register": register.label},
            "crumbs": [
                (reverse("people:register_index"), _("Registers")),
                (default_next, register.label),
            ],
            "cancel_url": _next_url(request, default_next),
            "next": _next_url(request, ""),
        },
        status=form_status(form),
    )


@site_page
@require_http_methods(["GET", "POST"])
def register_end(request, code, pk):
    register = get_register(code)
    entry = access_object(_register_queryset(register, request.site), request.user, pk)
    _can(request, register.perm("change"))
    unit = getattr(entry, register.unit_field) if register.unit_field else None
    default_next = reverse("people:register_list", args=[code])
    if code == "owners":
        messages.error(
            request,
            _("An owner's title ends through an ownership transfer, which keeps it as history."),
        )
        return redirect("people:transfer", unit_pk=unit.pk)
    end_label = register.model._meta.get_field(register.end_field).verbose_name
    form = EndEntryForm(request.POST or None, label=end_label)
    if request.method == "POST":
        if code == "tenants":
            ended = submit_form(
                form,
                lambda data: lifecycle.tenant_move_out(
                    tenancy=entry, actor=request.user, moved_out_on=data["on"]
                ),
            )
        else:
            ended = submit_form(
                form,
                lambda data: services.end_entry(
                    entry=entry, actor=request.user, on=data["on"], note=data["note"]
                ),
            )
        if ended is not None:
            messages.success(request, _("Ended: %(entry)s.") % {"entry": ended})
            return redirect(_next_url(request, default_next))
    person = getattr(entry, register.person_field)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": _("End %(register)s entry: %(person)s")
            % {"register": register.label, "person": person.name},
            "intro": _("The entry stays in the register as history.")
            + (f" {unit.code}" if unit else ""),
            "crumbs": [
                (reverse("people:register_index"), _("Registers")),
                (default_next, register.label),
            ],
            "cancel_url": _next_url(request, default_next),
            "next": _next_url(request, ""),
            "danger": True,
        },
        status=form_status(form),
    )


# ---------------------------------------------------------------------------------------------
# A unit's occupants and its lifecycle (R-CUS-03)


def _unit(request, unit_pk) -> Unit:
    return access_object(
        Unit.objects.select_related("building", "entrance"),
        request.user,
        unit_pk,
        site=request.site,
    )


@site_page
def unit_occupants(request, unit_pk):
    unit = _unit(request, unit_pk)
    try:
        _can(request, "people.view_ownership")
    except PermissionDenied:
        if not request.htmx:
            raise
        return render(request, "people/unit_occupants.html#occupants", {"unit": unit})
    occupants = queries.unit_occupants(unit)
    current = [e.person for e in occupants.owners + occupants.tenants + occupants.household]
    shown = identities(request.user, current, where=request.path)
    checklist = dict(lifecycle.MOVE_IN_CHECKLIST)
    user = request.user
    context = {
        "unit": unit,
        "allowed": True,
        "occupants": occupants,
        "owners": [(o, shown[o.person_id]) for o in occupants.owners],
        "tenants": [(t, shown[t.person_id]) for t in occupants.tenants],
        "household": [(h, shown[h.person_id]) for h in occupants.household],
        "move_ins": [
            (m, [str(checklist.get(code, code)) for code in m.checklist])
            for m in occupants.move_ins
        ],
        "unit_url": reverse("estate:unit_detail", args=[unit.pk]),
        "can_move_in": not occupants.owners and user.has_perm("people.add_movein"),
        "can_transfer": bool(occupants.owners) and user.has_perm("people.add_ownershiptransfer"),
        "can_tenant": user.has_perm("people.add_tenancy"),
        "can_end_tenancy": user.has_perm("people.change_tenancy"),
        "can_household": user.has_perm("people.add_householdmember"),
        "can_end_household": user.has_perm("people.change_householdmember"),
    }
    if request.htmx:
        return render(request, "people/unit_occupants.html#occupants", context)
    return render(request, "people/unit_occupants.html", context)


class _RowRefused(Exception):
    """A new person of an owner row was refused; the errors are on the row."""


def _people_of_rows(request, rows: list[OwnerRowForm]) -> tuple[list[tuple], list[str]]:
    """(person, share) for each filled row, registering new people; and the names that were
    already registered and merged."""
    chosen, merged = [], []
    for row in rows:
        if row.is_blank:
            continue
        data = row.cleaned_data
        person = data["person"]
        if person is None:
            try:
                person, created = services.register_person(
                    site=request.site,
                    actor=request.user,
                    name=data["name"],
                    kind=data["kind"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                _add_errors([row], exc)
                raise _RowRefused from exc
            if not created:
                merged.append(person.name)
        chosen.append((person, data.get("share")))
    return chosen, merged


def _submit_with_people(request, form, rows, call):
    """Register the rows' new people and run `call(data, people)` in one transaction: if the
    lifecycle refuses, no new person is left behind either."""
    valid = [form.is_valid()] + [row.is_valid() for row in rows]
    if not all(valid):
        return None
    try:
        with transaction.atomic():
            people, merged = _people_of_rows(request, rows)
            result = call(form.cleaned_data, people)
    except _RowRefused:
        return None
    except ValidationError as exc:
        _add_errors([form, *[r for r in rows if not r.is_blank][:1]], exc)
        return None
    for name in merged:
        messages.info(
            request,
            _("%(name)s was already registered; the existing record was used.") % {"name": name},
        )
    return result


def _lifecycle_page(request, unit, template, form, rows, extra):
    return render(
        request,
        template,
        {
            "unit": unit,
            "form": form,
            "rows": rows,
            "unit_url": reverse("estate:unit_detail", args=[unit.pk]),
            "more_open": any(row.is_bound and row.has_changed() for row in rows[1:]),
            **extra,
        },
        status=400 if request.method == "POST" else 200,
    )


@site_page
@require_http_methods(["GET", "POST"])
def move_in(request, unit_pk):
    unit = _unit(request, unit_pk)
    _can(request, "people.add_movein")
    data = request.POST or None
    form = MoveInForm(data, initial={"moved_in_on": timezone.localdate()})
    rows = owner_rows(data, site=request.site)
    if request.method == "POST":
        done = _submit_with_people(
            request,
            form,
            rows,
            lambda d, people: lifecycle.register_move_in(
                unit=unit,
                actor=request.user,
                moved_in_on=d["moved_in_on"],
                owners=[lifecycle.NewOwner(person=p, share=s) for p, s in people],
                checklist=d["checklist"],
                keys_handed=d["keys_handed"],
                note=d["note"],
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("Move-in of %(unit)s registered; the unit is now occupied.")
                % {"unit": unit.code},
            )
            return redirect("estate:unit_detail", pk=unit.pk)
    has_owners = unit.ownerships.filter(ended_on__isnull=True).exists()
    return _lifecycle_page(
        request,
        unit,
        "people/move_in.html",
        form,
        rows,
        {"has_owners": has_owners, "title": _("Move-in of %(unit)s") % {"unit": unit.code}},
    )


@site_page
@require_http_methods(["GET", "POST"])
def transfer(request, unit_pk):
    unit = _unit(request, unit_pk)
    _can(request, "people.add_ownershiptransfer")
    data = request.POST or None
    form = TransferForm(data, initial={"transferred_on": timezone.localdate()})
    rows = owner_rows(data, site=request.site)
    if request.method == "POST":
        done = _submit_with_people(
            request,
            form,
            rows,
            lambda d, people: lifecycle.transfer_ownership(
                unit=unit,
                actor=request.user,
                transferred_on=d["transferred_on"],
                buyers=[lifecycle.NewOwner(person=p, share=s) for p, s in people],
                contract_number=d["contract_number"],
                note=d["note"],
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("Ownership transfer of %(unit)s registered; the old owners are kept as history.")
                % {"unit": unit.code},
            )
            return redirect("estate:unit_detail", pk=unit.pk)
    owners = list(unit.ownerships.filter(ended_on__isnull=True).select_related("person"))
    return _lifecycle_page(
        request,
        unit,
        "people/transfer.html",
        form,
        rows,
        {
            "owners": owners,
            "title": _("Ownership transfer of %(unit)s") % {"unit": unit.code},
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def tenant_move_in(request, unit_pk):
    unit = _unit(request, unit_pk)
    _can(request, "people.add_tenancy")
    data = request.POST or None
    form = TenancyForm(data, initial={"lease_start": timezone.localdate()})
    rows = owner_rows(data, site=request.site, count=1, with_share=False, prefix="tenant")
    if request.method == "POST":
        if rows[0].is_valid() and rows[0].is_blank:
            rows[0].add_error("person", _("Choose the tenant or type a new name."))
        done = _submit_with_people(
            request,
            form,
            rows,
            lambda d, people: lifecycle.tenant_move_in(
                unit=unit,
                actor=request.user,
                person=people[0][0],
                lease_start=d["lease_start"],
                lease_end=d["lease_end"],
                note=d["note"],
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("%(name)s moved in as tenant of %(unit)s.")
                % {"name": done.person.name, "unit": unit.code},
            )
            return redirect("estate:unit_detail", pk=unit.pk)
    return _lifecycle_page(
        request,
        unit,
        "people/tenant_move_in.html",
        form,
        rows,
        {"title": _("Tenant moves into %(unit)s") % {"unit": unit.code}},
    )


@site_page
@require_http_methods(["GET", "POST"])
def tenant_move_out(request, pk):
    tenancy = access_object(
        Tenancy.objects.select_related("unit", "person"), request.user, pk, site=request.site
    )
    url = reverse("people:register_end", args=["tenants", tenancy.pk])
    nxt = reverse("estate:unit_detail", args=[tenancy.unit_id])
    if request.method == "POST":
        return register_end(request, "tenants", tenancy.pk)
    return redirect(f"{url}?next={nxt}")


# ---------------------------------------------------------------------------------------------
# Verification and expiry (R-CUS-02)


@site_page
def verification(request):
    _can(request, "people.view_person")
    return render(
        request,
        "people/verification.html",
        {
            "overview": queries.verification_overview(request.site),
            "since": queries.period_start(request.site),
            "expiring": [
                {**row, "days_ago": -row["days_left"]} for row in queries.expiring(request.site)
            ],
            "settings": services.register_settings(request.site),
            "can_settings": request.user.has_perm("people.change_registersettings"),
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def verification_register(request, code):
    register = get_register(code)
    _can(request, register.perm("view"))
    if request.method == "POST":
        ids = [pk for pk in request.POST.getlist("ids") if pk.isdigit()]
        if not ids:
            messages.error(request, _("Tick the entries you have verified."))
        else:
            count = services.verify_entries(
                register=register, site=request.site, actor=request.user, ids=ids
            )
            messages.success(
                request,
                _("%(count)s entries marked verified.") % {"count": count},
            )
        return redirect("people:verification_register", code=code)
    since = queries.period_start(request.site)
    entries = queries.overdue(register, request.site, since).select_related(
        *[register.person_field, "verified_by"]
        + ([register.unit_field] if register.unit_field else [])
    )
    page_obj = paginate(request, entries.order_by("pk"))
    columns = _register_columns(register)
    meta = register.model._meta
    return render(
        request,
        "people/verification_register.html",
        {
            "register": register,
            "since": since,
            "page_obj": page_obj,
            "query": query_without_page(request),
            "headers": [meta.get_field(n).verbose_name for n in columns],
            "person_label": meta.get_field(register.person_field).verbose_name,
            "rows": [
                {
                    "entry": e,
                    "person": getattr(e, register.person_field),
                    "unit": getattr(e, register.unit_field) if register.unit_field else None,
                    "cells": [_display(e, n) for n in columns],
                }
                for e in page_obj.object_list
            ],
            "can_verify": request.user.has_perm(register.perm("change")),
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def register_settings(request):
    _can(request, "people.change_registersettings")
    current = services.register_settings(request.site)
    form = RegisterSettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        saved = submit_form(
            form,
            lambda data: services.set_register_settings(
                site=request.site, actor=request.user, **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Saved the register settings."))
            return redirect("people:verification")
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": _("Register settings"),
            "intro": _(
                "How often every register is re-verified, and how many days ahead expiring "
                "visas, vaccinations, leases, passes and terms are listed."
            ),
            "crumbs": [(reverse("people:verification"), _("Verification"))],
            "cancel_url": reverse("people:verification"),
        },
        status=form_status(form),
    )


# ---------------------------------------------------------------------------------------------
# The confidentiality self-check (R-CUS-05)


@site_page
def privacy_report(request):
    _can(request, "people.view_privacy_log")
    data = request.GET if "year" in request.GET else PrivacyReportForm.current_quarter()
    form = PrivacyReportForm(data, company_id=request.site.company_id)
    context = {"form": form, "query": query_without_page(request)}
    if form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        department = form.cleaned_data["department"]
        start, end = queries.quarter_bounds(year, quarter)
        views = queries.privacy_views(
            request.site, start, end, department.pk if department else None
        )
        if wants_export(request):
            return _export_privacy(views, year, quarter)
        page_obj = paginate(request, views)
        for view in page_obj.object_list:
            view.what = _what(view.fields)
        context.update(
            {
                "report": True,
                "summary": queries.privacy_summary(views),
                "page_obj": page_obj,
                "year": year,
                "quarter": quarter,
                "department": department,
            }
        )
    return render(request, "people/privacy_report.html", context, status=form_status(form))


def _export_privacy(views, year: int, quarter: int) -> HttpResponse:
    headers = [_("When"), _("Department"), _("Who"), _("Whose"), _("What"), _("Where")]
    rows = (
        [
            timezone.localtime(view.at).strftime("%Y-%m-%d %H:%M"),
            view.department.name if view.department else "",
            view.actor.get_full_name() or view.actor.username,
            view.person.name,
            _what(view.fields),
            view.where,
        ]
        for view in views.iterator(chunk_size=1000)
    )
    title = _("Personal-data views %(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}
    return xlsx_response(f"{title}.xlsx", build_workbook(title, headers, rows))


def _what(fields: str) -> str:
    labels = {"id_number": _("document number"), "phone": _("phone")}
    return "、".join(str(labels.get(name, name)) for name in fields.split(",") if name)
