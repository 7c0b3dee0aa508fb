"""The customer registers' API: people, register entries, the unit lifecycle and the reports.

Lists cover the sites the caller may see (narrowed with `?site=`); a row of another site answers
404 exactly like a missing one. ID and phone numbers come only from `privacy.identities`, so
they are masked unless the caller's role may see them, and each unmasked look is logged.
Writes go through the same services as the pages: the rules and the error body are the same.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from wuye.core.errors import FieldErrors, collecting, invalid
from wuye.core.models import Site
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site
from wuye.estate.models import ParkingSpace, Unit
from wuye.staff.models import Employee

from . import lifecycle, queries, services
from .models import Person, Tenancy
from .privacy import identities
from .registers import REGISTERS, Register, get_register

router = Router(tags=["people"])


def _where(request) -> str:
    return f"api {request.method} {request.path}"


def _site(request, site_id: int | None) -> Site:
    return one_site(request.user, site_id)


def _on_site(model, request, pk: int | None, *, site_id: int, field: str):
    """A row named in a payload: it must be on the same site (else a field error)."""
    if pk is None:
        return None
    found = model.objects.visible_to(request.user).of_site(site_id).filter(pk=pk).first()
    if found is None:
        raise invalid(
            field,
            _("There is no %(model)s with id %(id)s on this site.")
            % {"model": model._meta.verbose_name, "id": pk},
            "unknown",
        )
    return found


def _page(request, queryset, page: int, build) -> dict:
    """One page of `queryset` as {"count", "items"}; `build(rows)` turns the page's rows into
    items in one go (so numbers are revealed and logged set-wise)."""
    paginator = Paginator(queryset, settings.WUYE_PAGE_SIZE)
    rows = list(paginator.get_page(page).object_list)
    return {"count": paginator.count, "items": build(rows)}


# ---------------------------------------------------------------------------------------------
# People


class UnitRef(Schema):
    id: int
    code: str


class PersonOut(Schema):
    id: int
    site: int
    kind: str
    name: str
    gender: str
    birth_date: datetime.date | None
    nationality: str
    id_type: str
    id_number: str
    phone: str
    masked: bool = Field(description="True when the numbers are shown masked (R-CUS-04).")
    to_clean: bool
    clean_notes: str
    note: str
    owns: list[UnitRef]
    rents: list[UnitRef]
    lives_in: list[UnitRef]
    updated_at: datetime.datetime


class PersonPage(Schema):
    count: int
    items: list[PersonOut]


def _units(entries) -> list[dict]:
    return [{"id": e.unit.pk, "code": e.unit.code} for e in entries]


def _people_out(request, people: list[Person]) -> list[dict]:
    shown = identities(request.user, people, where=_where(request))
    return [
        {
            "id": p.pk,
            "site": p.site_id,
            "kind": p.kind,
            "name": p.name,
            "gender": p.gender,
            "birth_date": p.birth_date,
            "nationality": p.nationality,
            "id_type": p.id_type,
            "id_number": shown[p.pk].id_number,
            "phone": shown[p.pk].phone,
            "masked": not shown[p.pk].unmasked,
            "to_clean": p.to_clean,
            "clean_notes": p.clean_notes,
            "note": p.note,
            "owns": _units(getattr(p, "current_ownerships", [])),
            "rents": _units(getattr(p, "current_tenancies", [])),
            "lives_in": _units(getattr(p, "current_households", [])),
            "updated_at": p.updated_at,
        }
        for p in people
    ]


def _one_person(request, person: Person) -> dict:
    person = queries.with_current_units(Person.objects.filter(pk=person.pk)).get()
    return _people_out(request, [person])[0]


@router.get("/persons", response=PersonPage, summary="People, searched (name, pinyin, unit…)")
def list_persons(
    request, site: int | None = None, q: str = "", to_clean: bool = False, page: int = 1
):
    if q or site is not None:
        people = queries.search_people(_site(request, site), q, to_clean="1" if to_clean else "")
    else:
        people = Person.objects.visible_to(request.user)
        if to_clean:
            people = people.filter(to_clean=True)
    people = queries.with_current_units(people.order_by("name_pinyin", "pk"))
    return _page(request, people, page, lambda rows: _people_out(request, rows))


class EntryRef(Schema):
    register_code: str
    id: int
    unit: UnitRef | None
    ended: bool


class PersonDetailOut(PersonOut):
    entries: list[EntryRef]


@router.get("/persons/{person_id}", response=PersonDetailOut, summary="One person and entries")
def get_person(request, person_id: int):
    person = access_object(Person, request.user, person_id)
    body = _one_person(request, person)
    body["entries"] = [
        {
            "register_code": register.code,
            "id": entry.pk,
            "unit": _unit_ref(register, entry),
            "ended": getattr(entry, register.end_field) is not None,
        }
        for register, entries in queries.person_entries(person)
        for entry in entries
    ]
    return body


class PersonIn(Schema):
    site: int
    name: str = Field(max_length=100)
    kind: Person.Kind = Person.Kind.INDIVIDUAL
    id_type: Person.IdType | None = None
    id_number: str = Field("", max_length=40)
    phone: str = Field("", max_length=30)
    gender: Person.Gender | None = None
    birth_date: datetime.date | None = None
    nationality: str = Field("", max_length=50)
    note: str = ""


class PersonCreatedOut(PersonOut):
    created: bool = Field(description="False when the person was already registered (merged).")


@router.post(
    "/persons",
    response={201: PersonCreatedOut, 200: PersonCreatedOut},
    summary="Register a person (an existing one with the same document number is merged)",
)
def create_person(request, payload: PersonIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    data = {k: v for k, v in data.items() if v is not None}
    person, created = services.register_person(site=site, actor=request.user, **data)
    return Status(201 if created else 200, {**_one_person(request, person), "created": created})


class PersonPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: Person.Kind | None = None
    id_type: Person.IdType | None = None
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=30)
    gender: Person.Gender | None = None
    birth_date: datetime.date | None = None
    nationality: str | None = Field(None, max_length=50)
    note: str | None = None


@router.patch("/persons/{person_id}", response=PersonOut, summary="Change a person")
def update_person(request, person_id: int, payload: PersonPatch):
    person = access_object(Person, request.user, person_id)
    changes = payload.model_dump(exclude_unset=True)
    person = services.update_person(person=person, actor=request.user, **changes)
    return _one_person(request, person)


# ---------------------------------------------------------------------------------------------
# Register entries


class RegisterOut(Schema):
    code: str
    label: str
    fields: list[str]
    expires: str | None


@router.get("/registers", response=list[RegisterOut], summary="The registers (R-CUS-01)")
def list_registers(request):
    return [
        {"code": r.code, "label": str(r.label), "fields": list(r.fields), "expires": r.expiry_field}
        for r in REGISTERS.values()
    ]


class PersonRef(Schema):
    id: int
    name: str


class EntryOut(Schema):
    id: int
    site: int
    register_code: str
    person: PersonRef
    unit: UnitRef | None
    fields: dict[str, Any]
    ended: bool
    ended_on: datetime.date | None
    verified_at: datetime.datetime | None
    verified_by: str | None


class EntryPage(Schema):
    count: int
    items: list[EntryOut]


def _unit_ref(register: Register, entry) -> dict | None:
    unit = getattr(entry, register.unit_field) if register.unit_field else None
    return {"id": unit.pk, "code": unit.code} if unit else None


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def _entry_out(register: Register, entry) -> dict:
    person = getattr(entry, register.person_field)
    own = [f for f in register.fields if f not in (register.person_field, register.unit_field)]
    return {
        "id": entry.pk,
        "site": entry.site_id,
        "register_code": register.code,
        "person": {"id": person.pk, "name": person.name},
        "unit": _unit_ref(register, entry),
        "fields": {name: _plain(getattr(entry, name)) for name in own},
        "ended": getattr(entry, register.end_field) is not None,
        "ended_on": getattr(entry, register.end_field),
        "verified_at": entry.verified_at,
        "verified_by": entry.verified_by.username if entry.verified_by else None,
    }


def _entries(register: Register, request):
    related = [register.person_field, "verified_by"]
    if register.unit_field:
        related.append(register.unit_field)
    return register.model.objects.visible_to(request.user).select_related(*related)


@router.get(
    "/registers/{code}/entries", response=EntryPage, summary="A register's entries (current)"
)
def list_entries(
    request,
    code: str,
    site: int | None = None,
    ended: bool = False,
    person: int | None = None,
    unit: int | None = None,
    page: int = 1,
):
    register = get_register(code)
    ensure_permission_somewhere(request.user, register.perm("view"))
    entries = _entries(register, request)
    if site is not None:
        entries = entries.of_site(site)
    entries = (
        entries.exclude(**{f"{register.end_field}__isnull": True})
        if ended
        else register.current(entries)
    )
    if person is not None:
        entries = entries.filter(**{f"{register.person_field}_id": person})
    if unit is not None and register.unit_field:
        entries = entries.filter(**{f"{register.unit_field}_id": unit})
    entries = entries.order_by("-pk")
    return _page(request, entries, page, lambda rows: [_entry_out(register, e) for e in rows])


def ensure_permission_somewhere(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(_("Your role does not allow this action."))


class EntryIn(Schema):
    site: int
    person: int
    unit: int | None = None
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="The register's own fields (GET /registers lists them): dates as "
        "YYYY-MM-DD, ids for parking_space and carer.",
    )


_RELATED = {"parking_space": ParkingSpace, "carer": Employee}


def _entry_fields(
    register: Register, request, site_id: int, raw: dict, errors: FieldErrors
) -> dict:
    """Typed values for a register's own fields; each bad value is a field error in `errors`."""
    own = set(register.fields) - {register.person_field, register.unit_field}
    for name in sorted(set(raw) - own):
        errors.add(
            name, _("%(field)s is not a field of this register.") % {"field": name}, "unknown_field"
        )
    values = {}
    for name, value in raw.items():
        if name not in own:
            continue
        if name in _RELATED:
            values[name] = errors.check(
                _on_site, _RELATED[name], request, value, site_id=site_id, field=name
            )
            continue
        field = register.model._meta.get_field(name)
        try:
            values[name] = (
                field.to_python(value) if value not in (None, "") else field.get_default()
            )
        except ValidationError as exc:
            errors.add(name, exc.messages[0], "invalid")
            continue
        if field.choices and values[name] and values[name] not in dict(field.flatchoices):
            errors.add(name, _("Unknown choice."), "invalid_choice")
    return values


@router.post(
    "/registers/{code}/entries", response={201: EntryOut}, summary="Add an entry to a register"
)
def create_entry(request, code: str, payload: EntryIn):
    register = get_register(code)
    site = _site(request, payload.site)
    with collecting() as errors:
        fields = _entry_fields(register, request, site.pk, payload.fields, errors)
        fields[register.person_field] = errors.check(
            _on_site, Person, request, payload.person, site_id=site.pk, field=register.person_field
        )
        if register.unit_field:
            fields[register.unit_field] = errors.check(
                _on_site, Unit, request, payload.unit, site_id=site.pk, field=register.unit_field
            )
    entry = services.add_entry(register=register, site=site, actor=request.user, **fields)
    return Status(201, _entry_out(register, _entries(register, request).get(pk=entry.pk)))


class EntryPatch(Schema):
    unit: int | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


@router.patch("/registers/{code}/entries/{entry_id}", response=EntryOut, summary="Change one")
def update_entry(request, code: str, entry_id: int, payload: EntryPatch):
    register = get_register(code)
    entry = access_object(register.model, request.user, entry_id)
    with collecting() as errors:
        fields = _entry_fields(register, request, entry.site_id, payload.fields, errors)
        if payload.unit is not None and register.unit_field:
            fields[register.unit_field] = errors.check(
                _on_site,
                Unit,
                request,
                payload.unit,
                site_id=entry.site_id,
                field=register.unit_field,
            )
    services.update_entry(entry=entry, actor=request.user, **fields)
    return _entry_out(register, _entries(register, request).get(pk=entry.pk))


class EndIn(Schema):
    on: datetime.date
    note: str = ""


@router.post("/registers/{code}/entries/{entry_id}/end", response=EntryOut, summary="End an entry")
def end_entry(request, code: str, entry_id: int, payload: EndIn):
    register = get_register(code)
    if register.code == "owners":
        raise invalid(
            "on", _("An owner's title ends only through an ownership transfer."), "use_transfer"
        )
    entry = access_object(register.model, request.user, entry_id)
    services.end_entry(entry=entry, actor=request.user, on=payload.on, note=payload.note)
    return _entry_out(register, _entries(register, request).get(pk=entry.pk))


class VerifyIn(Schema):
    site: int
    ids: list[int] = Field(min_length=1, max_length=5000)


class VerifyOut(Schema):
    verified: int


@router.post(
    "/registers/{code}/verify", response=VerifyOut, summary="Mark entries verified (R-CUS-02)"
)
def verify_entries(request, code: str, payload: VerifyIn):
    register = get_register(code)
    site = _site(request, payload.site)
    count = services.verify_entries(
        register=register, site=site, actor=request.user, ids=payload.ids
    )
    return {"verified": count}


# ---------------------------------------------------------------------------------------------
# The unit lifecycle (R-CUS-03)


class OwnerIn(Schema):
    person: int
    share: Decimal | None = Field(None, max_digits=5, decimal_places=2)


class MoveInIn(Schema):
    moved_in_on: datetime.date
    owners: list[OwnerIn] = Field(min_length=1, max_length=10)
    checklist: list[str] = []
    keys_handed: int = Field(0, ge=0, le=100)
    note: str = ""


class MoveInOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    moved_in_on: datetime.date
    checklist: list[str]
    keys_handed: int


def _owners(request, unit: Unit, owners: list[OwnerIn]) -> list[lifecycle.NewOwner]:
    return [
        lifecycle.NewOwner(
            person=_on_site(Person, request, o.person, site_id=unit.site_id, field="owners"),
            share=o.share,
        )
        for o in owners
    ]


@router.post("/units/{unit_id}/move-in", response={201: MoveInOut}, summary="入住: move-in")
def move_in(request, unit_id: int, payload: MoveInIn):
    unit = access_object(Unit, request.user, unit_id)
    move = lifecycle.register_move_in(
        unit=unit,
        actor=request.user,
        moved_in_on=payload.moved_in_on,
        owners=_owners(request, unit, payload.owners),
        checklist=payload.checklist,
        keys_handed=payload.keys_handed,
        note=payload.note,
    )
    return Status(201, move)


class TransferIn(Schema):
    transferred_on: datetime.date
    buyers: list[OwnerIn] = Field(min_length=1, max_length=10)
    contract_number: str = Field("", max_length=60)
    note: str = ""


class TransferOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    transferred_on: datetime.date
    contract_number: str


@router.post("/units/{unit_id}/transfer", response={201: TransferOut}, summary="产权变更: transfer")
def transfer(request, unit_id: int, payload: TransferIn):
    unit = access_object(Unit, request.user, unit_id)
    done = lifecycle.transfer_ownership(
        unit=unit,
        actor=request.user,
        transferred_on=payload.transferred_on,
        buyers=_owners(request, unit, payload.buyers),
        contract_number=payload.contract_number,
        note=payload.note,
    )
    return Status(201, done)


class TenantIn(Schema):
    person: int
    lease_start: datetime.date
    lease_end: datetime.date
    note: str = ""


@router.post("/units/{unit_id}/tenants", response={201: EntryOut}, summary="A tenant moves in")
def tenant_move_in(request, unit_id: int, payload: TenantIn):
    unit = access_object(Unit, request.user, unit_id)
    tenancy = lifecycle.tenant_move_in(
        unit=unit,
        actor=request.user,
        person=_on_site(Person, request, payload.person, site_id=unit.site_id, field="person"),
        lease_start=payload.lease_start,
        lease_end=payload.lease_end,
        note=payload.note,
    )
    register = REGISTERS["tenants"]
    return Status(201, _entry_out(register, _entries(register, request).get(pk=tenancy.pk)))


class MoveOutIn(Schema):
    moved_out_on: datetime.date


@router.post("/tenancies/{tenancy_id}/move-out", response=EntryOut, summary="A tenant moves out")
def tenant_move_out(request, tenancy_id: int, payload: MoveOutIn):
    tenancy = access_object(Tenancy, request.user, tenancy_id)
    lifecycle.tenant_move_out(
        tenancy=tenancy, actor=request.user, moved_out_on=payload.moved_out_on
    )
    register = REGISTERS["tenants"]
    return _entry_out(register, _entries(register, request).get(pk=tenancy.pk))


class OccupantOut(Schema):
    register_code: str
    entry: int
    person: PersonRef
    since: datetime.date | None
    until: datetime.date | None
    share: Decimal | None = None


class OccupantsOut(Schema):
    unit: UnitRef
    current: list[OccupantOut]
    before: list[OccupantOut]


def _occupant(register: str, entry, since: str, until: str) -> dict:
    return {
        "register_code": register,
        "entry": entry.pk,
        "person": {"id": entry.person.pk, "name": entry.person.name},
        "since": getattr(entry, since),
        "until": getattr(entry, until),
        "share": getattr(entry, "share", None),
    }


@router.get(
    "/units/{unit_id}/occupants", response=OccupantsOut, summary="Who is at a unit, who was"
)
def unit_occupants(request, unit_id: int):
    unit = access_object(Unit, request.user, unit_id)
    ensure_can(request.user, "people.view_ownership", unit.site_id)
    found = queries.unit_occupants(unit)

    def listed(owners, tenants, household):
        return (
            [_occupant("owners", o, "title_date", "ended_on") for o in owners]
            + [_occupant("tenants", t, "lease_start", "moved_out_on") for t in tenants]
            + [_occupant("household", h, "since", "left_on") for h in household]
        )

    return {
        "unit": {"id": unit.pk, "code": unit.code},
        "current": listed(found.owners, found.tenants, found.household),
        "before": listed(found.past_owners, found.past_tenants, found.past_household),
    }


# ---------------------------------------------------------------------------------------------
# Verification, expiry and the confidentiality self-check


class VerificationRow(Schema):
    register_code: str
    label: str
    total: int
    overdue: int


class VerificationOut(Schema):
    period_start: datetime.datetime
    registers: list[VerificationRow]


@router.get("/verification", response=VerificationOut, summary="Overdue verification (R-CUS-02)")
def verification(request, site: int | None = None):
    the_site = _site(request, site)
    ensure_can(request.user, "people.view_person", the_site)
    rows = queries.verification_overview(the_site)
    return {
        "period_start": queries.period_start(the_site),
        "registers": [
            {
                "register_code": row["register"].code,
                "label": str(row["register"].label),
                "total": row["total"],
                "overdue": row["overdue"],
            }
            for row in rows
        ],
    }


class ExpiringOut(Schema):
    register_code: str
    entry: int
    person: PersonRef
    unit: UnitRef | None
    what: str
    expires: datetime.date
    days_left: int
    expired: bool


@router.get("/expiring", response=list[ExpiringOut], summary="What expires soon (R-CUS-02)")
def expiring(request, site: int | None = None, days: int | None = Query(None, ge=0, le=365)):
    the_site = _site(request, site)
    ensure_can(request.user, "people.view_person", the_site)
    return [
        {
            "register_code": row["register"].code,
            "entry": row["entry"].pk,
            "person": {"id": row["person"].pk, "name": row["person"].name},
            "unit": {"id": row["unit"].pk, "code": row["unit"].code} if row["unit"] else None,
            "what": str(row["what"]),
            "expires": row["expires"],
            "days_left": row["days_left"],
            "expired": row["expired"],
        }
        for row in queries.expiring(the_site, days=days)
    ]


class ViewerRow(Schema):
    department: str | None
    viewer: str
    views: int
    people: int
    first: datetime.datetime
    last: datetime.datetime


class PrivacyReportOut(Schema):
    site: int
    year: int
    quarter: int
    total_views: int
    viewers: list[ViewerRow]


@router.get(
    "/privacy-report",
    response=PrivacyReportOut,
    summary="Personal-data views of a quarter (R-CUS-05)",
)
def privacy_report(
    request,
    site: int | None = None,
    year: int | None = None,
    quarter: int | None = Query(None, ge=1, le=4),
    department: int | None = None,
):
    the_site = _site(request, site)
    ensure_can(request.user, "people.view_privacy_log", the_site)
    today = timezone.localdate()
    year = year or today.year
    quarter = quarter or (today.month - 1) // 3 + 1
    start, end = queries.quarter_bounds(year, quarter)
    views = queries.privacy_views(the_site, start, end, department)
    return {
        "site": the_site.pk,
        "year": year,
        "quarter": quarter,
        "total_views": views.count(),
        "viewers": [
            {
                "department": row["department__name"],
                "viewer": row["actor__username"],
                "views": row["views"],
                "people": row["people"],
                "first": row["first"],
                "last": row["last"],
            }
            for row in queries.privacy_summary(views)
        ],
    }
