"""Every change to the customer registers: people, register entries and their verification.

Move-ins, ownership transfers and tenancies are in `lifecycle.py`. Each function checks the
actor's role and site, owns its transaction and writes the audit trail; what the database also
enforces is checked here first so the user gets a field-level message, never a 500.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_create, record_update, snapshot
from wuye.core.crypto import blind_index, encrypt
from wuye.core.errors import FieldErrors, check_columns, collecting, invalid
from wuye.core.identity import (
    check_resident_id,
    check_uscc,
    gender_from_resident_id,
    is_placeholder_id,
    is_placeholder_phone,
    mask,
    mask_phone,
    name_pinyin,
    normalize_document,
    normalize_phone,
    phone_digits,
)
from wuye.core.models import AuditEntry
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit

from .models import Ownership, Person, RegisterEntry, RegisterSettings
from .registers import REGISTERS, Register, register_of

PERSON_FIELDS = {
    "name",
    "kind",
    "id_type",
    "id_number",
    "phone",
    "gender",
    "birth_date",
    "nationality",
    "note",
}
ID_TYPES = frozenset(Person.IdType.values)  # the enum builds its list on every `.values`
DOCUMENT_HASH = "document"
PHONE_HASH = "phone"
PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}$")


def _reject_unknown(fields: dict, allowed) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(unknown)}")


def register_settings(site) -> RegisterSettings:
    found = RegisterSettings.objects.filter(site=site).first()
    return found or RegisterSettings(site_id=getattr(site, "pk", site))


# ---------------------------------------------------------------------------------------------
# Identity numbers: what is stored beside a person's name


def document_hash(number: str) -> str:
    return blind_index(DOCUMENT_HASH, normalize_document(number))


def phone_hash(number: str) -> str:
    return blind_index(PHONE_HASH, number)


def identity_columns(
    *, kind: str, id_type: str, id_number: str, allow_placeholders: bool = False
) -> dict:
    """The stored form of a document number: ciphertext, keyed hash, mask, and what the
    number itself says (birth date and gender on a resident ID). A placeholder is kept only
    when `allow_placeholders` (legacy imports), unhashed and flagged to clean."""
    text = normalize_document(id_number)
    if not text:
        return {
            "id_type": "",
            "id_number_cipher": "",
            "id_number_hash": "",
            "id_number_masked": "",
            "_clean": None,
        }
    if not id_type:
        id_type = (
            Person.IdType.USCC if kind == Person.Kind.ORGANISATION else Person.IdType.RESIDENT_ID
        )
    if id_type not in ID_TYPES:
        raise invalid("id_type", _("Unknown document type."), "invalid_choice")
    columns: dict = {"id_type": id_type, "_clean": None}
    if is_placeholder_id(text):
        if not allow_placeholders:
            raise invalid(
                "id_number",
                _("%(value)s is a placeholder, not a document number; leave it empty instead.")
                % {"value": text},
                "placeholder",
            )
        columns["_clean"] = _("placeholder document number")
        columns["id_number_hash"] = ""
    else:
        if id_type == Person.IdType.USCC:
            if kind != Person.Kind.ORGANISATION:
                raise invalid(
                    "id_type", _("A credit code identifies a company, not a person."), "uscc_person"
                )
            text = check_uscc(text)
        elif id_type == Person.IdType.RESIDENT_ID:
            text, birth_date = check_resident_id(text)
            columns["birth_date"] = birth_date
            columns["gender"] = gender_from_resident_id(text)
        columns["id_number_hash"] = blind_index(DOCUMENT_HASH, text)
    columns["id_number_cipher"] = encrypt(text)
    columns["id_number_masked"] = mask(text)
    return columns


def phone_columns(phone: str, *, allow_placeholders: bool = False) -> dict:
    raw = (phone or "").strip()
    if not raw:
        return {
            "phone_cipher": "",
            "phone_hash": "",
            "phone_masked": "",
            "phone_last4": "",
            "_clean": None,
        }
    if is_placeholder_phone(raw):
        if not allow_placeholders:
            raise invalid(
                "phone",
                _("%(value)s is a placeholder, not a phone number; leave it empty instead.")
                % {"value": raw},
                "placeholder",
            )
        digits = phone_digits(raw)
        return {
            "phone_cipher": encrypt(digits),
            "phone_hash": "",
            "phone_masked": mask(digits),
            "phone_last4": "",
            "_clean": _("placeholder phone number"),
        }
    number = normalize_phone(raw)
    return {
        "phone_cipher": encrypt(number),
        "phone_hash": blind_index(PHONE_HASH, number),
        "phone_masked": mask_phone(number),
        "phone_last4": phone_digits(number)[-4:],
        "_clean": None,
    }


def _apply_identity(person: Person, columns: dict, *, only_missing: bool = False) -> list[str]:
    """Copy computed columns onto `person`; returns the "to clean" notes they carry."""
    note = columns.pop("_clean", None)
    for name, value in columns.items():
        if only_missing and getattr(person, name):
            continue
        setattr(person, name, value)
    return [note] if note else []


def _set_clean_flag(person: Person, notes: list[str]) -> None:
    person.to_clean = bool(notes)
    person.clean_notes = "; ".join(notes)[:200]


# ---------------------------------------------------------------------------------------------
# People


def _check_person(person: Person, errors: FieldErrors) -> None:
    person.name = " ".join((person.name or "").split())
    if not person.name:
        errors.add("name", _("Name is required."), "required")
    if person.kind not in Person.Kind.values:
        errors.add("kind", _("Unknown kind."), "invalid_choice")
    if person.birth_date and person.birth_date > timezone.localdate():
        errors.add("birth_date", _("A birth date can't be in the future."), "future")
    check_columns(errors, person, ["name", "kind", "gender", "nationality", "note"])
    person.name_pinyin = name_pinyin(person.name)


def _identity_notes(
    person: Person, errors: FieldErrors, *, document: dict | None, phone: str | None,
    allow_placeholders: bool,
) -> list[str]:  # fmt: skip
    """Set the document (`identity_columns`' arguments) and the phone given, each checked on
    its own so that both of their errors are told at once; returns their "to clean" notes."""
    notes: list[str] = []
    if document is not None:
        columns = errors.check(identity_columns, **document, allow_placeholders=allow_placeholders)
        notes += _apply_identity(person, columns) if columns else []
    if phone is not None:
        columns = errors.check(phone_columns, phone, allow_placeholders=allow_placeholders)
        notes += _apply_identity(person, columns) if columns else []
    return notes


def _duplicate_of(site, person: Person) -> Person | None:
    """The person already registered with the same document number — or, without one, the
    same name and phone number."""
    qs = Person.objects.of_site(site).exclude(pk=person.pk)
    if person.id_number_hash:
        return qs.filter(id_number_hash=person.id_number_hash).first()
    if person.phone_hash:
        return qs.filter(phone_hash=person.phone_hash, name=person.name).first()
    return None


def register_person(
    *, site, actor, name: str, allow_placeholders: bool = False, authorised: bool = False, **fields
) -> tuple[Person, bool]:
    """Register a person, or find the one already registered (R-CUS-01: a person is stored
    once). Returns (person, created). The same document number under another name is refused:
    either the number or the name is wrong."""
    _reject_unknown(fields, PERSON_FIELDS - {"name"})
    if not authorised:  # `authorised`: the caller applied its own rules (resident approvals)
        ensure_can(actor, "people.add_person", site)
    kind = fields.get("kind") or Person.Kind.INDIVIDUAL
    with transaction.atomic():
        person = Person(
            site_id=getattr(site, "pk", site),
            name=name,
            kind=kind,
            gender=fields.get("gender") or "",
            birth_date=fields.get("birth_date"),
            nationality=fields.get("nationality") or "",
            note=fields.get("note") or "",
        )
        with collecting() as errors:
            notes = _identity_notes(
                person,
                errors,
                document={
                    "kind": kind,
                    "id_type": fields.get("id_type") or "",
                    "id_number": fields.get("id_number") or "",
                },
                phone=fields.get("phone") or "",
                allow_placeholders=allow_placeholders,
            )
            _check_person(person, errors)
        existing = _duplicate_of(site, person)
        if existing is not None:
            return _merge_into(existing, person, actor), False
        _set_clean_flag(person, notes)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:
            # Another clerk registered the same document number a moment ago.
            existing = _duplicate_of(site, person)
            if existing is None:
                raise
            return _merge_into(existing, person, actor), False
        record_create(actor, person)
    return person, True


def _merge_into(existing: Person, new: Person, actor) -> Person:
    if existing.name != new.name:
        raise invalid(
            "id_number",
            _("This document number is already registered to %(name)s; check the number.")
            % {"name": existing.name},
            "document_taken",
        )
    existing = Person.objects.select_for_update().get(pk=existing.pk)
    before = snapshot(existing)
    for name in ("phone_cipher", "phone_hash", "phone_masked", "phone_last4"):
        if not getattr(existing, name) and getattr(new, name):
            setattr(existing, name, getattr(new, name))
    for name in ("gender", "birth_date", "nationality", "id_type"):
        if not getattr(existing, name) and getattr(new, name):
            setattr(existing, name, getattr(new, name))
    existing.save()
    record_update(actor, existing, before, verb=_("merged a duplicate registration"))
    return existing


def update_person(*, person: Person, actor, allow_placeholders: bool = False, **fields) -> Person:
    """Change a person. `id_number` / `phone` given (even empty) replace the stored number;
    left out, they stay as they are."""
    _reject_unknown(fields, PERSON_FIELDS)
    ensure_can(actor, "people.change_person", person.site_id)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        before = snapshot(person)
        for name in ("name", "kind", "gender", "birth_date", "nationality", "note"):
            if name in fields:
                setattr(person, name, fields[name] if fields[name] is not None else "")
        if person.birth_date == "":
            person.birth_date = None
        notes = [n for n in person.clean_notes.split("; ") if n] if person.to_clean else []
        document = None
        if "id_number" in fields or "id_type" in fields or "kind" in fields:
            number = fields.get("id_number")
            if number is None:
                number = _current_document(person)
            document = {
                "kind": person.kind,
                "id_type": fields.get("id_type", person.id_type) or "",
                "id_number": number,
            }
            notes = [n for n in notes if n != _("placeholder document number")]
        if "phone" in fields:
            notes = [n for n in notes if n != _("placeholder phone number")]
        with collecting() as errors:
            notes += _identity_notes(
                person,
                errors,
                document=document,
                phone=(fields["phone"] or "") if "phone" in fields else None,
                allow_placeholders=allow_placeholders,
            )
            _check_person(person, errors)
            clash = _duplicate_of(person.site_id, person) if person.id_number_hash else None
            if clash is not None and not errors.has("id_number"):
                errors.add(
                    "id_number",
                    _("This document number is already registered to %(name)s.")
                    % {"name": clash.name},
                    "document_taken",
                )
        _set_clean_flag(person, notes)
        person.save()
        record_update(actor, person, before)
    return person


def _current_document(person: Person) -> str:
    from wuye.core.crypto import decrypt

    return decrypt(person.id_number_cipher)


# ---------------------------------------------------------------------------------------------
# Register entries


def _related_on_site(entry, name: str, site_id: int) -> None:
    related = getattr(entry, name, None)
    if related is not None and related.site_id != site_id:
        raise invalid(name, _("This record is not on this site."), "wrong_site")


def _date(entry, name: str):
    value = getattr(entry, name, None)
    return value if isinstance(value, datetime.date) else None


def check_entry(register: Register, entry: RegisterEntry) -> None:
    """What every entry of `register` must satisfy before it is saved; every field's error is
    told at once."""
    with collecting() as errors:
        # Text with a NUL character or longer than its column, numbers beyond theirs: refused
        # before any check below looks them up.
        check_columns(errors, entry)
        person = getattr(entry, register.person_field, None)
        if person is None:
            errors.add(register.person_field, _("Choose a person."), "required")
        else:
            errors.check(_related_on_site, entry, register.person_field, entry.site_id)
        if register.unit_field:
            errors.check(_related_on_site, entry, register.unit_field, entry.site_id)
        today = timezone.localdate()
        for name in register.past_dates:
            value = _date(entry, name)
            if value and value > today:
                errors.add(
                    name,
                    _("%(label)s can't be in the future.")
                    % {"label": entry._meta.get_field(name).verbose_name},
                    "future",
                )
        for later, earlier in _DATE_ORDER.get(register.code, ()):
            after, before = _date(entry, later), _date(entry, earlier)
            if after and before and after < before and not errors.has(later, earlier):
                errors.add(
                    later,
                    _("%(later)s can't be before %(earlier)s.")
                    % {
                        "later": entry._meta.get_field(later).verbose_name,
                        "earlier": entry._meta.get_field(earlier).verbose_name,
                    },
                    "before_start",
                )
        extra = _EXTRA_CHECKS.get(register.code)
        if extra:
            extra(entry, errors)


_DATE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "owners": (("ended_on", "title_date"),),
    "tenants": (("lease_end", "lease_start"), ("moved_out_on", "lease_start")),
    "household": (("left_on", "since"),),
    "shops": (("closed_on", "opened_on"),),
    "foreign": (("left_on", "arrived_on"),),
    "helpers": (("ended_on", "started_on"),),
    "dogs": (("vaccination_expiry", "vaccinated_on"),),
    "vehicles": (("space_term_end", "space_term_start"),),
    "special": (("until", "since"),),
    "suppliers": (("ended_on", "started_on"),),
    "committee": (("term_end", "term_start"), ("ended_on", "term_start")),
}


def _required(entry, errors: FieldErrors, *names: str) -> None:
    for name in names:
        value = getattr(entry, name, None)
        if value in (None, ""):
            errors.add(
                name,
                _("%(label)s is required.") % {"label": entry._meta.get_field(name).verbose_name},
                "required",
            )


def _check_owner(entry: Ownership, errors: FieldErrors) -> None:
    _required(entry, errors, "unit", "title_date", "share")
    if errors.has("share"):
        return
    if not Decimal("0") < Decimal(entry.share) <= Decimal("100"):
        errors.add("share", _("A share is more than 0% and at most 100%."), "share_range")
        return
    if errors.has("unit"):
        return  # the shares the unit's other owners hold need the unit
    others = Ownership.objects.filter(unit_id=entry.unit_id, ended_on__isnull=True).exclude(
        pk=entry.pk
    ).aggregate(total=Sum("share"))["total"] or Decimal("0")
    if entry.ended_on is None and others + Decimal(entry.share) > 100:
        errors.add(
            "share",
            _("The owners of %(unit)s already hold %(held)s%%; at most %(left)s%% is left.")
            % {"unit": entry.unit.code, "held": others, "left": Decimal("100") - others},
            "shares_exceed",
        )


def _check_tenant(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "unit", "lease_start", "lease_end")


def _check_unit_required(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "unit")


def _check_shop(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "unit", "name", "licence_number")
    if not errors.has("unit") and entry.unit.use not in (Unit.Use.SHOP, Unit.Use.OFFICE):
        errors.add(
            "unit",
            _("%(unit)s is a %(use)s, not a shop.")
            % {"unit": entry.unit.code, "use": entry.unit.get_use_display()},
            "not_a_shop",
        )
    if not errors.has("licence_number"):
        code = errors.check(check_uscc, entry.licence_number, "licence_number")
        if code is not None:
            entry.licence_number = code


def _check_dog(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "unit", "breed")


def _check_vehicle(entry, errors: FieldErrors) -> None:
    entry.plate = normalize_plate(entry.plate)
    if not PLATE.match(entry.plate):
        errors.add(
            "plate",
            _("%(plate)s is not a plate number (e.g. 粤B12345 or 粤BD12345).")
            % {"plate": entry.plate or "—"},
            "bad_plate",
        )
    errors.check(_related_on_site, entry, "parking_space", entry.site_id)
    if entry.parking_space_id is None and (entry.space_term_start or entry.space_term_end):
        errors.add("parking_space", _("Choose the parking space the term is for."), "required")
    if errors.has("plate"):
        return
    clash = (
        type(entry)
        .objects.of_site(entry.site_id)
        .filter(plate=entry.plate, ended_on__isnull=True)
        .exclude(pk=entry.pk)
    )
    if entry.ended_on is None and clash.exists():
        errors.add(
            "plate",
            _("%(plate)s is already registered on this site.") % {"plate": entry.plate},
            "duplicate",
        )


def _check_special(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "kind")
    errors.check(_related_on_site, entry, "carer", entry.site_id)


def _check_supplier(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "company", "job")


def _check_committee(entry, errors: FieldErrors) -> None:
    _required(entry, errors, "term_start", "term_end")
    if errors.has("person"):
        return
    is_owner = Ownership.objects.filter(
        person_id=entry.person_id, site_id=entry.site_id, ended_on__isnull=True
    ).exists()
    if not is_owner:
        errors.add(
            "person", _("Only a current owner can sit on the owners' committee."), "not_owner"
        )


_EXTRA_CHECKS = {
    "owners": _check_owner,
    "tenants": _check_tenant,
    "household": _check_unit_required,
    "shops": _check_shop,
    "foreign": _check_unit_required,
    "helpers": _check_unit_required,
    "dogs": _check_dog,
    "vehicles": _check_vehicle,
    "special": _check_special,
    "suppliers": _check_supplier,
    "committee": _check_committee,
}


def normalize_plate(text: str) -> str:
    return re.sub(r"[\s·.\-]", "", text or "").upper()


def _duplicate_entry(register: Register, entry) -> ValidationError:
    return invalid(
        register.person_field,
        _("%(person)s is already in this register for %(unit)s.")
        % {
            "person": getattr(entry, register.person_field),
            "unit": getattr(entry, register.unit_field) if register.unit_field else "—",
        },
        "duplicate",
    )


def _save_entry(register: Register, entry) -> None:
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise _duplicate_entry(register, entry) from exc


def add_entry(
    *, register: str | Register, site, actor, authorised: bool = False, **fields
) -> RegisterEntry:
    """Add an entry to one of the registers (R-CUS-01). `authorised`: the caller applied its
    own rules instead of the actor's role (an owner approving their household)."""
    register = REGISTERS[register] if isinstance(register, str) else register
    _reject_unknown(fields, register.fields)
    if not authorised:
        ensure_can(actor, register.perm("add"), site)
    with transaction.atomic():
        entry = register.model(site_id=getattr(site, "pk", site), **fields)
        if register.code == "owners":
            list(Unit.objects.select_for_update(of=("self",)).filter(pk=entry.unit_id).order_by())
        check_entry(register, entry)
        _save_entry(register, entry)
        record_create(actor, entry)
    return entry


def update_entry(*, entry: RegisterEntry, actor, **fields) -> RegisterEntry:
    register = register_of(entry)
    _reject_unknown(fields, set(register.fields) - {register.person_field})
    ensure_can(actor, register.perm("change"), entry.site_id)
    with transaction.atomic():
        entry = register.model.objects.select_for_update().get(pk=entry.pk)
        before = snapshot(entry)
        for name, value in fields.items():
            setattr(entry, name, value)
        check_entry(register, entry)
        _save_entry(register, entry)
        record_update(actor, entry, before)
    return entry


def end_entry(*, entry: RegisterEntry, actor, on: datetime.date, note: str = "") -> RegisterEntry:
    """Close an entry (moved out, left, no longer kept…); it stays in the register as history."""
    register = register_of(entry)
    ensure_can(actor, register.perm("change"), entry.site_id)
    with transaction.atomic():
        entry = register.model.objects.select_for_update().get(pk=entry.pk)
        if getattr(entry, register.end_field) is not None:
            raise invalid(register.end_field, _("This entry has already ended."), "ended")
        before = snapshot(entry)
        setattr(entry, register.end_field, on)
        if note:
            entry.note = f"{entry.note}\n{note}".strip()
        check_entry(register, entry)
        entry.save()
        record_update(actor, entry, before, verb=_("ended"))
    return entry


# ---------------------------------------------------------------------------------------------
# Verification (R-CUS-02)


def verify_entries(*, register: str | Register, site, actor, ids) -> int:
    """Mark the chosen current entries of a register verified now, by `actor`, in one
    statement; returns how many were marked."""
    register = REGISTERS[register] if isinstance(register, str) else register
    ensure_can(actor, register.perm("change"), site)
    ids = [int(pk) for pk in ids]
    now = timezone.now()
    with transaction.atomic():
        entries = list(
            register.current(register.model.objects.of_site(site)).filter(pk__in=ids).order_by("pk")
        )
        if not entries:
            return 0
        register.model.objects.filter(pk__in=[e.pk for e in entries]).update(
            verified_at=now, verified_by=actor
        )
        _record_bulk_action(actor, entries, _("verified"))
    return len(entries)


def _record_bulk_action(actor, entries, verb: str) -> None:
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(entries[0])
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                site_id=entry.site_id,
                actor=actor,
                action=AuditEntry.Action.ACTION,
                verb=verb,
                content_type=content_type,
                object_id=str(entry.pk),
                object_repr=f"{register_of(entry).label}: {entry.pk}"[:200],
                changes={},
            )
            for entry in entries
        ],
        batch_size=500,
    )


def set_register_settings(*, site, actor, verification_months: int, expiry_warning_days: int):
    ensure_can(actor, "people.change_registersettings", site)
    with collecting() as errors:
        if not 1 <= verification_months <= 12:
            errors.add(
                "verification_months", _("Verify at least once a year (1–12 months)."), "range"
            )
        if not 0 <= expiry_warning_days <= 365:
            errors.add("expiry_warning_days", _("Warn at most 365 days ahead."), "range")
    with transaction.atomic():
        current, _created = RegisterSettings.objects.select_for_update().get_or_create(site=site)
        before = snapshot(current)
        current.verification_months = verification_months
        current.expiry_warning_days = expiry_warning_days
        current.save()
        record_update(actor, current, before)
    return current
