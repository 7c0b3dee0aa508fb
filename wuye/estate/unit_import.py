"""Importing units from an .xlsx file, as a background job.

Every row is checked before anything is written. If any row is bad nothing is saved and the
job's result lists every bad row (row number, column, message). Otherwise the units are
written in one transaction: a unit whose code already exists is updated, the rest are created,
all in bulk. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from wuye.core.audit import record_bulk_create, snapshot
from wuye.core.jobs import Progress, input_bytes, job_handler, row_report, start_job
from wuye.core.models import AuditEntry, Job
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import cell_text, read_sheet

from .models import Building, Entrance, Unit
from .services import unit_code
from .workbooks import REQUIRED_UNIT_COLUMNS, UNIT_COLUMNS, column_label

JOB_KIND = "estate.import_units"
IMPORTED_FIELDS = ("floor", "floor_area", "indoor_area", "use", "state", "fee_coefficient")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str
    code: str


# The words clerks write in their sheets. Written out here rather than read back from the
# translation catalog, so a reworded label can't break the import of last year's files.
CHINESE_USES = {
    "住宅": "residence",
    "商铺": "shop",
    "商业": "shop",
    "办公": "office",
    "车库": "garage",
}
CHINESE_STATES = {
    "未售": "unsold",
    "空置": "vacant",
    "已入住": "occupied",
    "入住": "occupied",
    "装修中": "renovating",
    "装修": "renovating",
}


def _choice_lookup(choices, chinese: dict[str, str]) -> dict[str, str]:
    """Codes and labels in both languages → code, so 已入住, occupied and Occupied all work."""
    lookup = dict(chinese)
    for code, label in choices:
        lookup[code.lower()] = code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup[str(label).strip().lower()] = code
    return lookup


def _decimal(value) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        # Through str so 89.5 read as a float becomes Decimal("89.5"), not its binary cousin.
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError from exc
    if not result.is_finite():
        raise ValueError
    return result


class _RowChecker:
    """Turns sheet rows into unit values, collecting every problem instead of stopping."""

    def __init__(self, site):
        self.site = site
        # A building is named by its number (1) or its name (1栋); numbers win a tie.
        buildings = list(Building.objects.of_site(site))
        self.buildings: dict[str, Building] = {b.name: b for b in buildings}
        self.buildings.update({b.code: b for b in buildings})
        self.entrances = {(e.building_id, e.code): e for e in Entrance.objects.of_site(site)}
        self.uses = _choice_lookup(Unit.Use.choices, CHINESE_USES)
        self.states = _choice_lookup(Unit.State.choices, CHINESE_STATES)
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}

    def error(self, row: int, field: str, message: str, code: str) -> None:
        self.errors.append(RowError(row, field, message, code))

    def check(self, sheet_row) -> dict | None:
        n, v = sheet_row.number, sheet_row.values
        before = len(self.errors)
        building = self.buildings.get(cell_text(v.get("building")))
        if not cell_text(v.get("building")):
            self.error(n, "building", _("Building is required."), "required")
        elif building is None:
            self.error(
                n,
                "building",
                _("There is no building %(building)s on this site.")
                % {"building": cell_text(v.get("building"))},
                "unknown_building",
            )
        entrance = None
        entrance_code = cell_text(v.get("entrance"))
        if entrance_code and building is not None:
            entrance = self.entrances.get((building.pk, entrance_code))
            if entrance is None:
                self.error(
                    n,
                    "entrance",
                    _("%(building)s has no entrance %(entrance)s.")
                    % {"building": building.name, "entrance": entrance_code},
                    "unknown_entrance",
                )
        floor = self._floor(n, v.get("floor"), building)
        number = cell_text(v.get("number"))
        if not number:
            self.error(n, "number", _("Unit number is required."), "required")
        elif any(ch.isspace() or ch == "-" for ch in number) or len(number) > 20:
            self.error(
                n,
                "number",
                _("Unit number may not contain spaces or “-” and has at most 20 characters."),
                "bad_code",
            )
        floor_area = self._area(n, "floor_area", v.get("floor_area"), required=True)
        indoor_area = self._area(n, "indoor_area", v.get("indoor_area"), required=False)
        if floor_area and indoor_area and indoor_area > floor_area:
            self.error(
                n, "indoor_area", _("Indoor area can't exceed the floor area."), "indoor_exceeds"
            )
        use = self._choice(n, "use", v.get("use"), self.uses)
        state = self._choice(n, "state", v.get("state"), self.states)
        coefficient = self._coefficient(n, v.get("fee_coefficient"))
        if len(self.errors) > before or building is None:
            return None
        code = unit_code(building, entrance, number)
        if code in self.seen:
            self.error(
                n,
                "number",
                _("Unit %(code)s appears twice in the file (first in row %(row)s).")
                % {"code": code, "row": self.seen[code]},
                "duplicate_in_file",
            )
            return None
        self.seen[code] = n
        return {
            "row": n,
            "code": code,
            "building": building,
            "entrance": entrance,
            "number": number,
            "floor": floor,
            "floor_area": floor_area,
            "indoor_area": indoor_area,
            "use": use,
            "state": state,
            "fee_coefficient": coefficient,
        }

    def _floor(self, n, value, building) -> int | None:
        text = cell_text(value)
        if not text:
            self.error(n, "floor", _("Floor is required."), "required")
            return None
        try:
            floor = int(text)
        except ValueError:
            self.error(n, "floor", _("Floor must be a whole number."), "not_a_number")
            return None
        if building is not None and (
            floor == 0 or floor > building.floors_above or floor < -building.floors_below
        ):
            self.error(
                n,
                "floor",
                _("Floor %(floor)s is outside %(building)s (floors -%(below)s to %(above)s).")
                % {
                    "floor": floor,
                    "building": building.name,
                    "below": building.floors_below,
                    "above": building.floors_above,
                },
                "floor_out_of_range",
            )
        return floor

    def _area(self, n, field, value, *, required) -> Decimal | None:
        try:
            area = _decimal(value)
        except ValueError:
            self.error(
                n, field, _("%(column)s must be a number.") % {"column": column_label(field)},
                "not_a_number",
            )  # fmt: skip
            return None
        if area is None:
            if required:
                self.error(
                    n, field, _("%(column)s is required.") % {"column": column_label(field)},
                    "required",
                )  # fmt: skip
            return None
        if area <= 0:
            self.error(
                n,
                field,
                _("%(column)s must be greater than 0 m².") % {"column": column_label(field)},
                "not_positive",
            )
            return None
        return area.quantize(Decimal("0.01"))

    def _choice(self, n, field, value, lookup) -> str | None:
        text = cell_text(value)
        if not text:
            return None
        code = lookup.get(text.lower())
        if code is None:
            self.error(
                n,
                field,
                _("“%(value)s” is not a known %(column)s.")
                % {"value": text, "column": column_label(field)},
                "invalid_choice",
            )
        return code

    def _coefficient(self, n, value) -> Decimal | None:
        try:
            coefficient = _decimal(value)
        except ValueError:
            self.error(n, "fee_coefficient", _("Fee coefficient must be a number."), "not_a_number")
            return None
        if coefficient is not None and coefficient < 0:
            self.error(n, "fee_coefficient", _("Fee coefficient can't be negative."), "negative")
            return None
        return coefficient.quantize(Decimal("0.001")) if coefficient is not None else None


def _as_validation_error(errors: list[RowError]) -> ValidationError:
    """Row errors keyed `rows.<row>.<field>`, the shape the job result and API report carry."""
    by_key: dict[str, list[ValidationError]] = {}
    for e in errors:
        by_key.setdefault(f"rows.{e.row}.{e.field}", []).append(
            ValidationError(e.message, code=e.code)
        )
    return ValidationError(by_key)


def import_units(*, site, actor, data: bytes, progress: Progress | None = None) -> dict:
    """Check every row of the file, then create or update its units, or write nothing."""
    ensure_can(actor, "estate.add_unit", site)
    ensure_can(actor, "estate.change_unit", site)
    rows, missing = read_sheet(data, UNIT_COLUMNS)
    missing = [name for name in missing if name in REQUIRED_UNIT_COLUMNS]
    if missing:
        raise ValidationError(
            {
                "file": [
                    ValidationError(
                        _("The file lacks the columns: %(columns)s")
                        % {"columns": ", ".join(UNIT_COLUMNS[name][0] for name in missing)},
                        code="missing_columns",
                    )
                ]
            }
        )
    if not rows:
        raise ValidationError({"file": [ValidationError(_("The file has no rows."), code="empty")]})
    if progress:
        progress.start(len(rows), _("Checking rows"))
    checker = _RowChecker(site)
    checked = []
    for row in rows:
        values = checker.check(row)
        if values is not None:
            checked.append(values)
        if progress:
            progress.advance()
    if checker.errors:
        raise _as_validation_error(checker.errors)
    if progress:
        progress.say(_("Saving"))
    try:
        with transaction.atomic():
            return _write(site, actor, checked)
    except IntegrityError as exc:
        # Someone added a unit with one of these codes between the check and the write.
        raise ValidationError(
            _("Units were changed while the file was imported; nothing was saved. Try again."),
            code="conflict",
        ) from exc


def _write(site, actor, checked: list[dict]) -> dict:
    existing = {
        u.code: u
        for u in Unit.objects.of_site(site)
        .select_for_update(of=("self",))
        .select_related("building", "entrance")
        .filter(code__in=[v["code"] for v in checked])
    }
    to_create, changed, unchanged = [], [], 0
    for values in checked:
        unit = existing.get(values["code"])
        if unit is None:
            to_create.append(
                Unit(
                    site=site,
                    building=values["building"],
                    entrance=values["entrance"],
                    number=values["number"],
                    code=values["code"],
                    floor=values["floor"],
                    floor_area=values["floor_area"],
                    indoor_area=values["indoor_area"],
                    use=values["use"] or Unit.Use.RESIDENCE,
                    state=values["state"] or Unit.State.UNSOLD,
                    fee_coefficient=values["fee_coefficient"] or Decimal("1.000"),
                )
            )
            continue
        before = snapshot(unit)
        for field in IMPORTED_FIELDS:
            # A blank optional cell keeps what the unit has; the file only says what it knows.
            if values[field] is not None:
                setattr(unit, field, values[field])
        if snapshot(unit) != before:
            changed.append((unit, before))
        else:
            unchanged += 1
    created = Unit.objects.bulk_create(to_create, batch_size=500)
    if created and not all(u.pk for u in created):
        created = list(Unit.objects.of_site(site).filter(code__in=[u.code for u in to_create]))
    record_bulk_create(actor, created, verb=_("imported"))
    if changed:
        Unit.objects.bulk_update([u for u, _b in changed], IMPORTED_FIELDS, batch_size=500)
        _record_bulk_update(actor, changed)
    return {"created": len(created), "updated": len(changed), "unchanged": unchanged}


def _record_bulk_update(actor, changed: list[tuple[Unit, dict]]) -> None:
    content_type = ContentType.objects.get_for_model(Unit)
    entries = []
    for unit, before in changed:
        after = snapshot(unit)
        entries.append(
            AuditEntry(
                site_id=unit.site_id,
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                verb=_("imported"),
                content_type=content_type,
                object_id=str(unit.pk),
                object_repr=str(unit)[:200],
                changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=500)


@job_handler(JOB_KIND)
def run_unit_import(job: Job, progress: Progress) -> dict:
    data = input_bytes(job)
    return import_units(site=job.site, actor=job.actor, data=data, progress=progress)


def start_unit_import(*, site, actor, upload) -> Job:
    """Queue an import of `upload`; refused at once if the actor may not import units here."""
    ensure_can(actor, "estate.add_unit", site)
    ensure_can(actor, "estate.change_unit", site)
    return start_job(
        site=site,
        actor=actor,
        kind=JOB_KIND,
        title=_("Import units from %(file)s") % {"file": getattr(upload, "name", "file")},
        input_file=upload,
    )


def import_report(job: Job) -> list[dict]:
    """The bad rows of a failed import, in row order (see `core.jobs.row_report`)."""
    return row_report(job, column_label)
