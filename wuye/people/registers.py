"""The registers of R-CUS-01 as data: which model holds each, who and which unit an entry is
about, when it ends and what expires. Verification, expiry warnings, the generic register
pages, exports and the API all read this one table."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .models import (
    CommitteeMember,
    DomesticHelper,
    ForeignResident,
    HouseholdMember,
    Ownership,
    Pet,
    RegisterEntry,
    Shop,
    SpecialGroupMember,
    SupplierWorker,
    Tenancy,
    Vehicle,
)


@dataclass(frozen=True)
class Register:
    code: str
    model: type[RegisterEntry]
    label: str
    person_field: str
    end_field: str
    unit_field: str | None = "unit"
    expiry_field: str | None = None
    # Dates that record something that already happened: never in the future.
    past_dates: tuple[str, ...] = ()
    # Fields a caller sets, in form order (person and unit first).
    fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def app_model(self) -> str:
        return self.model._meta.model_name

    def perm(self, action: str) -> str:
        return f"people.{action}_{self.app_model}"

    def current(self, queryset: models.QuerySet | None = None) -> models.QuerySet:
        qs = self.model.objects.all() if queryset is None else queryset
        return qs.filter(**{f"{self.end_field}__isnull": True})


REGISTERS: dict[str, Register] = {
    r.code: r
    for r in [
        Register(
            "owners",
            Ownership,
            _("Owners"),
            person_field="person",
            end_field="ended_on",
            past_dates=("title_date",),
            fields=("person", "unit", "share", "title_date", "note"),
        ),
        Register(
            "tenants",
            Tenancy,
            _("Tenants"),
            person_field="person",
            end_field="moved_out_on",
            expiry_field="lease_end",
            past_dates=("moved_out_on",),
            fields=("person", "unit", "lease_start", "lease_end", "note"),
        ),
        Register(
            "household",
            HouseholdMember,
            _("Household members"),
            person_field="person",
            end_field="left_on",
            past_dates=("since", "left_on"),
            fields=("person", "unit", "relation", "since", "note"),
        ),
        Register(
            "shops",
            Shop,
            _("Shops"),
            person_field="operator",
            end_field="closed_on",
            past_dates=("opened_on", "closed_on"),
            fields=("operator", "unit", "name", "licence_number", "trade", "opened_on", "note"),
        ),
        Register(
            "foreign",
            ForeignResident,
            _("Foreign residents"),
            person_field="person",
            end_field="left_on",
            expiry_field="visa_expiry",
            past_dates=("arrived_on", "left_on"),
            fields=("person", "unit", "visa_kind", "visa_expiry", "arrived_on", "note"),
        ),
        Register(
            "helpers",
            DomesticHelper,
            _("Domestic helpers"),
            person_field="person",
            end_field="ended_on",
            past_dates=("started_on", "ended_on"),
            fields=("person", "unit", "kind", "agency", "started_on", "note"),
        ),
        Register(
            "dogs",
            Pet,
            _("Dogs"),
            person_field="keeper",
            end_field="ended_on",
            expiry_field="vaccination_expiry",
            past_dates=("vaccinated_on", "ended_on"),
            fields=(
                "keeper",
                "unit",
                "name",
                "breed",
                "colour",
                "licence_number",
                "vaccinated_on",
                "vaccination_expiry",
                "note",
            ),
        ),
        Register(
            "vehicles",
            Vehicle,
            _("Vehicles and parking"),
            person_field="person",
            end_field="ended_on",
            expiry_field="space_term_end",
            past_dates=("ended_on",),
            fields=(
                "person",
                "unit",
                "plate",
                "brand",
                "colour",
                "parking_space",
                "space_term_start",
                "space_term_end",
                "note",
            ),
        ),
        Register(
            "special",
            SpecialGroupMember,
            _("Special and vulnerable groups"),
            person_field="person",
            end_field="until",
            past_dates=("since",),
            fields=("person", "unit", "kind", "care_notes", "carer", "since", "note"),
        ),
        Register(
            "suppliers",
            SupplierWorker,
            _("Supplier workers"),
            person_field="person",
            end_field="ended_on",
            unit_field=None,
            expiry_field="pass_expiry",
            past_dates=("started_on", "ended_on"),
            fields=("person", "company", "job", "pass_number", "pass_expiry", "started_on", "note"),
        ),
        Register(
            "committee",
            CommitteeMember,
            _("Owners' committee"),
            person_field="person",
            end_field="ended_on",
            unit_field=None,
            expiry_field="term_end",
            past_dates=("ended_on",),
            fields=("person", "position", "term_start", "term_end", "note"),
        ),
    ]
}


def get_register(code: str) -> Register:
    try:
        return REGISTERS[code]
    except KeyError as exc:
        raise Http404(code) from exc


def register_of(entry: RegisterEntry) -> Register:
    return next(r for r in REGISTERS.values() if isinstance(entry, r.model))
