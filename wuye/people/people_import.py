"""Importing owners, tenants and household members from an .xlsx file, as a background job.

Legacy registers are messy, so a row may name several people in one cell (张三、李四), write
the unit as 1-2-1001 or 1栋2单元1001, and fill required columns with placeholders
(18999999999, 111111111111111111), which are kept but flagged "to clean". Every row is checked
before anything is written; if any row is bad nothing is saved and the report lists every bad
row. People already registered (same document number, or same name and phone, or same name at
the same unit) are reused, never duplicated; entries that already exist are left alone, so
importing the same file again changes nothing. The writes are set-based: a handful of bulk
inserts whatever the size of the file.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wuye.core.audit import insert_entries, record_bulk_create
from wuye.core.bulk import insert_all
from wuye.core.identity import mask, name_pinyin
from wuye.core.jobs import Progress, input_bytes, job_handler, row_report, start_job
from wuye.core.models import AuditEntry, Job
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import cell_date, cell_text, read_sheet
from wuye.estate.models import Unit

from .lifecycle import NewOwner, split_shares
from .models import HouseholdMember, Ownership, Person, Tenancy
from .queries import unit_code_candidates
from .services import identity_columns, phone_columns
from .workbooks import PEOPLE_COLUMNS, REQUIRED_PEOPLE_COLUMNS

JOB_KIND = "people.import_people"
ROLES = {
    "业主": "owner",
    "产权人": "owner",
    "owner": "owner",
    "租户": "tenant",
    "承租人": "tenant",
    "tenant": "tenant",
    "家庭成员": "household",
    "住户": "household",
    "household": "household",
    "household member": "household",
}
ID_TYPES = {
    "身份证": Person.IdType.RESIDENT_ID,
    "居民身份证": Person.IdType.RESIDENT_ID,
    "护照": Person.IdType.PASSPORT,
    "passport": Person.IdType.PASSPORT,
    "港澳通行证": Person.IdType.HK_MACAO,
    "台胞证": Person.IdType.TAIWAN,
    "统一社会信用代码": Person.IdType.USCC,
    "营业执照": Person.IdType.USCC,
    "其他": Person.IdType.OTHER,
}
RELATIONS = {
    "配偶": "spouse",
    "夫妻": "spouse",
    "子女": "child",
    "儿子": "child",
    "女儿": "child",
    "父母": "parent",
    "父亲": "parent",
    "母亲": "parent",
    "亲属": "relative",
}
SEPARATORS = re.compile(r"[、/,，;；\n]+")
CJK_NAMES = re.compile(r"^[\u4e00-\u9fff·]+(\s+[\u4e00-\u9fff·]+)+$")
ORGANISATION_WORDS = ("公司", "有限", "集团", "中心", "银行", "合作社")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class PersonRow:
    """One person named in a row, with the stored form of their numbers."""

    name: str
    kind: str
    columns: dict
    notes: list[str]
    key: tuple = ()
    person_id: int | None = None
    _ref: Person | None = None

    def ref(self, site) -> Person:
        """The registered person as a reference for foreign keys and the audit trail's text,
        without reading the row back."""
        if self._ref is None:
            self._ref = Person.from_db(
                None, ["id", "site_id", "name"], [self.person_id, site.pk, self.name]
            )
            self._ref._state.fields_cache["site"] = site
        return self._ref


@dataclass
class EntryRow:
    row: int
    role: str
    unit: Unit
    person: PersonRow
    share: Decimal | None = None
    title_date: datetime.date | None = None
    lease_start: datetime.date | None = None
    lease_end: datetime.date | None = None
    relation: str = ""
    note: str = ""


@dataclass
class Plan:
    people: dict[tuple, PersonRow] = field(default_factory=dict)
    entries: list[EntryRow] = field(default_factory=list)


def split_cell(value) -> list[str]:
    """张三、李四 / 张三/李四 / 张三,李四 / 张三 李四 → the names (an English name keeps its
    space)."""
    text = cell_text(value)
    if not text:
        return []
    if CJK_NAMES.match(text):
        return text.split()
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


class _Checker:
    """Turns sheet rows into a plan, collecting every problem instead of stopping."""

    def __init__(self, site):
        self.site = site
        self.units = {u.code: u for u in Unit.objects.of_site(site).only("pk", "code", "state")}
        self.errors: list[RowError] = []
        self.plan = Plan()
        self.today = timezone.localdate()

    def error(self, row: int, field_name: str, message: str) -> None:
        self.errors.append(RowError(row, field_name, message))

    def check(self, sheet_row) -> None:
        n, v = sheet_row.number, sheet_row.values
        before = len(self.errors)
        unit = self._unit(n, v.get("unit"))
        role = ROLES.get(cell_text(v.get("role")).lower() or "业主")
        if role is None:
            self.error(n, "role", _("Role must be 业主, 租户 or 家庭成员."))
        names = split_cell(v.get("name"))
        if not names:
            self.error(n, "name", _("Name is required."))
        ids = split_cell(v.get("id_number"))
        phones = split_cell(v.get("phone"))
        for label, values in (
            (gettext_noop("document numbers"), ids),
            (gettext_noop("phones"), phones),
        ):
            if len(values) > len(names):  # the label is translated only for an error
                self.error(
                    n,
                    "id_number" if values is ids else "phone",
                    _("%(count)s %(what)s for %(names)s names.")
                    % {"count": len(values), "what": _(label), "names": len(names)},
                )
        dates = self._dates(n, v)
        share = self._share(n, v.get("share"), len(names))
        if len(self.errors) > before:
            return
        id_type = ID_TYPES.get(cell_text(v.get("id_type")).lower(), "")
        for i, name in enumerate(names):
            person = self._person(n, name, id_type, _at(ids, i), _at(phones, i), unit)
            if person is None:
                continue
            self.plan.entries.append(
                EntryRow(
                    row=n,
                    role=role,
                    unit=unit,
                    person=person,
                    share=share,
                    relation=RELATIONS.get(
                        cell_text(v.get("relation")), "other" if v.get("relation") else ""
                    ),
                    note=cell_text(v.get("note")),
                    **dates,
                )
            )

    def _unit(self, n, value) -> Unit | None:
        text = cell_text(value)
        if not text:
            self.error(n, "unit", _("Unit is required."))
            return None
        for code in unit_code_candidates(text):
            if code in self.units:
                return self.units[code]
        self.error(n, "unit", _("There is no unit %(unit)s on this site.") % {"unit": text})
        return None

    def _dates(self, n, v) -> dict:
        dates = {}
        for name in ("title_date", "lease_start", "lease_end"):
            try:
                dates[name] = cell_date(v.get(name))
            except ValueError:
                self.error(
                    n,
                    name,
                    _("“%(value)s” is not a date (2024-05-01).")
                    % {"value": cell_text(v.get(name))},
                )
                dates[name] = None
        role = ROLES.get(cell_text(v.get("role")).lower() or "业主")
        if dates["title_date"] and dates["title_date"] > self.today:
            self.error(n, "title_date", _("The title date can't be in the future."))
        if role == "tenant":
            if not dates["lease_start"] or not dates["lease_end"]:
                self.error(n, "lease_end", _("A tenant needs the lease's start and end."))
            elif dates["lease_end"] < dates["lease_start"]:
                self.error(n, "lease_end", _("The lease can't end before it starts."))
        return dates

    def _share(self, n, value, owners: int) -> Decimal | None:
        text = cell_text(value).rstrip("%")
        if not text:
            return None
        try:
            share = Decimal(text)
        except InvalidOperation:
            self.error(n, "share", _("The share must be a number of percent."))
            return None
        if not Decimal("0") < share <= Decimal("100"):
            self.error(n, "share", _("A share is more than 0% and at most 100%."))
            return None
        return share

    def _person(self, n, name, id_type, id_number, phone, unit) -> PersonRow | None:
        kind = (
            Person.Kind.ORGANISATION
            if id_type == Person.IdType.USCC or any(w in name for w in ORGANISATION_WORDS)
            else Person.Kind.INDIVIDUAL
        )
        try:
            columns = identity_columns(
                kind=kind, id_type=id_type, id_number=id_number, allow_placeholders=True
            )
        except ValidationError as exc:
            self.error(n, "id_number", f"{name} {mask(id_number)}: {exc.messages[0]}")
            return None
        try:
            phone_cols = phone_columns(phone, allow_placeholders=True)
        except ValidationError as exc:
            self.error(n, "phone", f"{name} {mask(phone)}: {exc.messages[0]}")
            return None
        notes = [note for note in (columns.pop("_clean"), phone_cols.pop("_clean")) if note]
        columns.update(phone_cols)
        if columns["id_number_hash"]:
            key = ("document", columns["id_number_hash"])
        elif columns["phone_hash"]:
            key = ("phone", name, columns["phone_hash"])
        else:
            key = ("unit", name, unit.pk)
        found = self.plan.people.get(key)
        if found is not None:
            if found.name != name:
                self.error(
                    n,
                    "id_number",
                    _("%(number)s is given for both %(first)s and %(second)s.")
                    % {"number": mask(id_number), "first": found.name, "second": name},
                )
                return None
            return found
        person = PersonRow(name=name, kind=kind, columns=columns, notes=notes, key=key)
        self.plan.people[key] = person
        return person


def _at(values: list[str], i: int) -> str:
    return values[i] if i < len(values) else ""


def _as_validation_error(errors: list[RowError]) -> ValidationError:
    by_key: dict[str, list[ValidationError]] = {}
    for e in errors:
        by_key.setdefault(f"rows.{e.row}.{e.field}", []).append(
            ValidationError(e.message, code="invalid")
        )
    return ValidationError(by_key)


# ---------------------------------------------------------------------------------------------
# Writing


def _match_existing(site, plan: Plan) -> None:
    """Point each planned person at the person already registered, where there is one."""
    people = Person.objects.of_site(site)
    documents = [k[1] for k in plan.people if k[0] == "document"]
    phones = [k[2] for k in plan.people if k[0] == "phone"]
    by_document: dict[str, tuple[int, str]] = {}
    by_phone: dict[tuple[str, str], int] = {}
    for chunk in _chunks(documents):
        rows = people.filter(id_number_hash__in=chunk).values_list("id_number_hash", "pk", "name")
        by_document.update({h: (pk, name) for h, pk, name in rows})
    for chunk in _chunks(phones):
        rows = people.filter(phone_hash__in=chunk).values_list("name", "phone_hash", "pk")
        by_phone.update({(name, h): pk for name, h, pk in rows})
    at_units = _current_names_at_units(site, {k[2] for k in plan.people if k[0] == "unit"})
    for key, planned in plan.people.items():
        if key[0] == "document":
            pk, name = by_document.get(key[1], (None, None))
            if pk is not None and name != planned.name:
                raise ValidationError(
                    _("%(number)s is registered to %(name)s, not %(other)s.")
                    % {
                        "number": planned.columns["id_number_masked"],
                        "name": name,
                        "other": planned.name,
                    },
                    code="document_taken",
                )
            planned.person_id = pk
        elif key[0] == "phone":
            planned.person_id = by_phone.get((key[1], key[2]))
        else:
            planned.person_id = at_units.get((key[2], key[1]))


def _current_names_at_units(site, unit_ids) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    for model, open_field in (
        (Ownership, "ended_on"),
        (Tenancy, "moved_out_on"),
        (HouseholdMember, "left_on"),
    ):
        for chunk in _chunks(sorted(unit_ids)):
            rows = model.objects.filter(
                site=site, unit_id__in=chunk, **{f"{open_field}__isnull": True}
            ).values_list("unit_id", "person__name", "person_id")
            found.update({(unit_id, name): pk for unit_id, name, pk in rows})
    return found


def _chunks(values, size: int = 900):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _create_people(site, actor, plan: Plan) -> int:
    new = [p for p in plan.people.values() if p.person_id is None]
    objs = []
    for planned in new:
        person = Person(
            site=site,
            name=planned.name,
            kind=planned.kind,
            name_pinyin=name_pinyin(planned.name),
            to_clean=bool(planned.notes),
            clean_notes="; ".join(planned.notes)[:200],
            **planned.columns,
        )
        objs.append(person)
    created = insert_all(Person, objs)
    if created and not all(p.pk for p in created):  # backends that don't return ids
        raise RuntimeError("bulk_create returned no ids")
    for planned, person in zip(new, created, strict=True):
        planned.person_id = person.pk
        planned._ref = person
    record_bulk_create(actor, created, verb=_("imported"))
    return len(created)


def _existing_entries(site, entries: list[EntryRow]) -> dict[str, set[tuple[int, int]]]:
    unit_ids = sorted({e.unit.pk for e in entries})
    existing: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for role, model, open_field in (
        ("owner", Ownership, "ended_on"),
        ("tenant", Tenancy, "moved_out_on"),
        ("household", HouseholdMember, "left_on"),
    ):
        for chunk in _chunks(unit_ids):
            existing[role].update(
                model.objects.filter(
                    site=site, unit_id__in=chunk, **{f"{open_field}__isnull": True}
                ).values_list("unit_id", "person_id")
            )
    return existing


def _owner_shares(site, owners: list[EntryRow], existing_pairs) -> dict[int, list[Decimal]]:
    """Shares of the new owners of each unit: as given, or 100% split; a unit that already
    has other owners is refused (that is an ownership transfer)."""
    by_unit: dict[int, list[EntryRow]] = defaultdict(list)
    for entry in owners:
        by_unit[entry.unit.pk].append(entry)
    current_units = {unit_id for unit_id, _person in existing_pairs}
    errors, shares = [], {}
    for unit_id, group in by_unit.items():
        if unit_id in current_units:
            errors.append(
                RowError(
                    group[0].row,
                    "unit",
                    _(
                        "%(unit)s already has other owners; a change of owner is an ownership "
                        "transfer."
                    )
                    % {"unit": group[0].unit.code},
                )
            )
            continue
        given = [e.share for e in group]
        if all(s is not None for s in given) and len(set(given)) == 1 and len(group) > 1:
            given = [None] * len(group)  # one share written on a row of several owners
        try:
            shares[unit_id] = split_shares(
                [NewOwner(person=None, share=s) for s in given]  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            errors.append(RowError(group[0].row, "share", exc.messages[0]))
    if errors:
        raise _as_validation_error(errors)
    return {uid: list(zip(by_unit[uid], s, strict=True)) for uid, s in shares.items()}


def _write(site, actor, plan: Plan) -> dict:
    _match_existing(site, plan)
    existing = _existing_entries(site, plan.entries)
    fresh = [
        e for e in plan.entries
        if e.person.person_id is None or (e.unit.pk, e.person.person_id) not in existing[e.role]
    ]  # fmt: skip
    new_owner_rows = [e for e in fresh if e.role == "owner"]
    owner_shares = _owner_shares(site, new_owner_rows, existing["owner"])
    people_created = _create_people(site, actor, plan)
    today = timezone.localdate()
    seen: set[tuple[str, int, int]] = set()
    owners, tenants, household = [], [], []
    for pairs in owner_shares.values():
        for entry, share in pairs:
            owners.append(
                Ownership(
                    site=site,
                    unit=entry.unit,
                    person=entry.person.ref(site),
                    share=share,
                    title_date=entry.title_date or today,
                    note=entry.note,
                )
            )
    for entry in fresh:
        key = (entry.role, entry.unit.pk, entry.person.person_id)
        if entry.role == "owner" or key in seen:
            continue
        seen.add(key)
        if entry.role == "tenant":
            tenants.append(
                Tenancy(
                    site=site,
                    unit=entry.unit,
                    person=entry.person.ref(site),
                    lease_start=entry.lease_start,
                    lease_end=entry.lease_end,
                    note=entry.note,
                )
            )
        else:
            household.append(
                HouseholdMember(
                    site=site,
                    unit=entry.unit,
                    person=entry.person.ref(site),
                    relation=entry.relation or HouseholdMember.Relation.OTHER,
                    note=entry.note,
                )
            )
    for model, objs in ((Ownership, owners), (Tenancy, tenants), (HouseholdMember, household)):
        created = insert_all(model, objs)
        record_bulk_create(actor, created, verb=_("imported"))
    occupied = _occupy(site, actor, {o.unit_id for o in owners} | {t.unit_id for t in tenants})
    return {
        "people_created": people_created,
        "people_reused": len(plan.people) - people_created,
        "owners": len(owners),
        "tenants": len(tenants),
        "household": len(household),
        "unchanged": len(plan.entries) - len(owners) - len(tenants) - len(household),
        "to_clean": sum(1 for p in plan.people.values() if p.notes),
        "units_occupied": occupied,
    }


def _occupy(site, actor, unit_ids: set[int]) -> int:
    """Units that gained owners or tenants and stood empty become occupied."""
    empty = list(
        Unit.objects.of_site(site)
        .filter(pk__in=unit_ids, state__in=[Unit.State.VACANT, Unit.State.UNSOLD])
        .only("pk", "code", "state", "site_id")
    )
    if not empty:
        return 0
    for chunk in _chunks([u.pk for u in empty]):
        Unit.objects.filter(pk__in=chunk).update(state=Unit.State.OCCUPIED)
    insert_entries(
        actor,
        AuditEntry.Action.UPDATE,
        _("imported"),
        [(site.pk, u, {"state": [u.state, Unit.State.OCCUPIED]}) for u in empty],
    )
    return len(empty)


def import_people(*, site, actor, data: bytes, progress: Progress | None = None) -> dict:
    """Check every row of the file, then register its people and entries, or write nothing."""
    ensure_can(actor, "people.add_person", site)
    ensure_can(actor, "people.add_ownership", site)
    ensure_can(actor, "people.add_tenancy", site)
    rows, missing = read_sheet(data, PEOPLE_COLUMNS)
    missing = [name for name in missing if name in REQUIRED_PEOPLE_COLUMNS]
    if missing:
        raise ValidationError(
            {
                "file": [
                    ValidationError(
                        _("The file lacks the columns: %(columns)s")
                        % {"columns": ", ".join(PEOPLE_COLUMNS[n][0] for n in missing)},
                        code="missing_columns",
                    )
                ]
            }
        )
    if not rows:
        raise ValidationError({"file": [ValidationError(_("The file has no rows."), code="empty")]})
    if progress:
        progress.start(len(rows), _("Checking rows"))
    checker = _Checker(site)
    for row in rows:
        checker.check(row)
        if progress:
            progress.advance()
    if checker.errors:
        raise _as_validation_error(checker.errors)
    if progress:
        progress.say(_("Saving"))
    try:
        with transaction.atomic():
            return _write(site, actor, checker.plan)
    except IntegrityError as exc:
        raise ValidationError(
            _("The registers changed while the file was imported; nothing was saved. Try again."),
            code="conflict",
        ) from exc


@job_handler(JOB_KIND)
def run_people_import(job: Job, progress: Progress) -> dict:
    data = input_bytes(job)
    return import_people(site=job.site, actor=job.actor, data=data, progress=progress)


def start_people_import(*, site, actor, upload) -> Job:
    """Queue an import of `upload`; refused at once if the actor may not import people here."""
    ensure_can(actor, "people.add_person", site)
    ensure_can(actor, "people.add_ownership", site)
    return start_job(
        site=site,
        actor=actor,
        kind=JOB_KIND,
        title=_("Import owners and tenants from %(file)s") % {"file": upload.name},
        input_file=upload,
    )


def import_report(job: Job) -> list[dict]:
    """Every bad row of a failed import: row, column (as the template heads it), message."""
    return row_report(job, lambda name: PEOPLE_COLUMNS.get(name, (name,))[0])
