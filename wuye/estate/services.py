"""Every change to the estate: buildings, entrances, units, parking spaces and facilities.

Each function checks the actor's role and site membership first, owns its transaction and
writes the audit trail. Rules the database also enforces (unique numbers, positive areas) are
checked here first so the user gets a clear message; a race that slips past the check still
ends as the same `ValidationError`, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from wuye.core.audit import record_bulk_create, record_create, record_update, snapshot
from wuye.core.errors import FieldErrors, check_column, check_columns, collecting, invalid
from wuye.core.permissions import ensure_can

from .models import Building, Entrance, Facility, ParkingSpace, Unit

# Field values a caller may change on each model; anything else is refused, so a typo in an
# API payload or a form can't silently do nothing.
BUILDING_FIELDS = {"code", "name", "floors_above", "floors_below", "completed_on", "note"}
ENTRANCE_FIELDS = {"code", "name"}
UNIT_FIELDS = {
    "building",
    "entrance",
    "floor",
    "number",
    "floor_area",
    "indoor_area",
    "use",
    "state",
    "fee_coefficient",
    "note",
}
PARKING_FIELDS = {"code", "zone", "kind", "state", "floor_area", "note"}
FACILITY_FIELDS = {
    "code",
    "name",
    "kind",
    "building",
    "location",
    "state",
    "installed_on",
    "maintainer",
    "note",
}

MAX_GENERATED_UNITS = 5000


def unit_code(building: Building, entrance: Entrance | None, number: str) -> str:
    """The unit code clerks type and print: 1-2-1804 (building, entrance, number) or 1-1804."""
    if entrance is not None:
        return f"{building.code}-{entrance.code}-{number}"
    return f"{building.code}-{number}"


def unit_number(floor: int, position: int) -> str:
    """0101 … 1804: the floor, then the position on the floor, two digits each."""
    return f"{floor:02d}{position:02d}"


def _reject_unknown(fields: dict, allowed: set[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(unknown)}")


def _apply(obj, fields: dict) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


def _clean_text(value) -> str:
    return str(value or "").strip()


# ---------------------------------------------------------------------------------------------
# Checks shared by create and update


def _check_code(field: str, code: str, label: str) -> None:
    if not code:
        raise invalid(field, _("%(label)s is required.") % {"label": label}, "required")
    if len(code) > 20 or any(ch.isspace() or ch == "-" for ch in code):
        raise invalid(
            field,
            _("%(label)s may not contain spaces or “-” and has at most 20 characters.")
            % {"label": label},
            "bad_code",
        )


def _check_area(field: str, value, label: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise invalid(field, _("%(label)s is required.") % {"label": label}, "required")
        return
    if Decimal(value) <= 0:
        raise invalid(
            field,
            _("%(label)s must be greater than 0 m².") % {"label": label},
            "not_positive",
        )


def _check_building(building: Building, errors: FieldErrors) -> None:
    errors.check(_check_code, "code", building.code, _("Building number"))
    if not _clean_text(building.name):
        errors.add("name", _("Name is required."), "required")
    if building.floors_above is None or building.floors_above < 1:
        errors.add("floors_above", _("A building has at least one floor above ground."), "too_few")
    if building.floors_below is None or building.floors_below < 0:
        errors.add("floors_below", _("Floors below ground can't be negative."), "negative")
    check_columns(errors, building)
    clash = Building.objects.of_site(building.site_id).filter(code=building.code)
    if not errors.has("code") and clash.exclude(pk=building.pk).exists():
        errors.absorb(_building_clash(building))


def _check_floor(building: Building, floor: int, field: str = "floor") -> None:
    if floor == 0 or floor > building.floors_above or floor < -building.floors_below:
        if building.floors_below:
            message = _(
                "Floor must be between -%(below)s and %(above)s (no floor 0) in %(building)s."
            ) % {
                "below": building.floors_below,
                "above": building.floors_above,
                "building": building.name,
            }
        else:
            message = _("Floor must be between 1 and %(above)s in %(building)s.") % {
                "above": building.floors_above,
                "building": building.name,
            }
        raise invalid(field, message, "floor_out_of_range")


def _unit_clash(unit: Unit) -> ValidationError | None:
    """The error for a unit whose number or code another unit already has; None if free."""
    same_place = Unit.objects.filter(
        building_id=unit.building_id, entrance_id=unit.entrance_id, number=unit.number
    ).exclude(pk=unit.pk)
    if same_place.exists():
        return invalid(
            "number",
            _("Unit number %(number)s already exists in this building/entrance.")
            % {"number": unit.number},
            "duplicate",
        )
    same_code = Unit.objects.of_site(unit.site_id).filter(code=unit.code).exclude(pk=unit.pk)
    if same_code.exists():
        return invalid(
            "number",
            _("Unit code %(code)s is already used on this site.") % {"code": unit.code},
            "duplicate_code",
        )
    return None


def _check_unit(unit: Unit) -> None:
    """Every field of the unit checked, all errors told at once; the checks that need the
    building (floor range, entrance, code) wait for a building on this site."""
    building = unit.building
    with collecting() as errors:
        if building.site_id != unit.site_id:
            errors.add("building", _("The building is not on this site."), "wrong_site")
        elif unit.entrance is not None and unit.entrance.building_id != building.pk:
            errors.add(
                "entrance",
                _("Entrance %(entrance)s is not part of %(building)s.")
                % {"entrance": unit.entrance.name, "building": building.name},
                "wrong_building",
            )
        unit.number = _clean_text(unit.number)
        errors.check(_check_code, "number", unit.number, _("Unit number"))
        if unit.floor is None:
            errors.add("floor", _("Floor is required."), "required")
        elif not errors.has("building"):
            errors.check(_check_floor, building, unit.floor)
        errors.check(_check_area, "floor_area", unit.floor_area, _("Floor area"), required=True)
        errors.check(_check_area, "indoor_area", unit.indoor_area, _("Indoor area"), required=False)
        if (
            unit.indoor_area is not None
            and not errors.has("floor_area", "indoor_area")
            and unit.indoor_area > unit.floor_area
        ):
            errors.add(
                "indoor_area", _("Indoor area can't exceed the floor area."), "indoor_exceeds_floor"
            )
        if unit.fee_coefficient is None or unit.fee_coefficient < 0:
            errors.add("fee_coefficient", _("Fee coefficient can't be negative."), "negative")
        check_columns(errors, unit, UNIT_FIELDS - {"building", "entrance"})
        if not errors.has("building", "entrance", "number"):
            unit.code = unit_code(building, unit.entrance, unit.number)
            check_column(errors, Unit, "code", unit.code, field="number")
        if not errors.has("building", "entrance", "number"):
            clash = _unit_clash(unit)
            if clash is not None:
                errors.absorb(clash)


def _save(obj, *, on_clash: Callable[[], ValidationError | None]) -> None:
    """Save inside a savepoint; a unique constraint that trips because two clerks saved at
    once becomes the same message the check gives, never a server error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise on_clash() or ValidationError(
            _("Someone else changed this record at the same time; please try again."),
            code="conflict",
        ) from exc


# ---------------------------------------------------------------------------------------------
# Buildings and entrances


def create_building(*, site, actor, **fields) -> Building:
    _reject_unknown(fields, BUILDING_FIELDS)
    ensure_can(actor, "estate.add_building", site)
    with transaction.atomic():
        building = Building(site=site, **fields)
        building.code = _clean_text(building.code)
        with collecting() as errors:
            _check_building(building, errors)
        _save(building, on_clash=lambda: _building_clash(building))
        record_create(actor, building)
    return building


def _building_clash(building: Building) -> ValidationError:
    return invalid(
        "code",
        _("Building number %(code)s is already used on this site.") % {"code": building.code},
        "duplicate",
    )


def update_building(*, building: Building, actor, **fields) -> Building:
    _reject_unknown(fields, BUILDING_FIELDS)
    ensure_can(actor, "estate.change_building", building.site_id)
    with transaction.atomic():
        building = Building.objects.select_for_update().get(pk=building.pk)
        before = snapshot(building)
        _apply(building, fields)
        building.code = _clean_text(building.code)
        with collecting() as errors:
            _check_building(building, errors)
            lowest, highest = _unit_floor_span(building)
            if (
                highest is not None
                and not errors.has("floors_above")
                and highest > building.floors_above
            ):
                errors.add(
                    "floors_above",
                    _("Units exist up to floor %(floor)s; the building can't have fewer floors.")
                    % {"floor": highest},
                    "units_above",
                )
            if (
                lowest is not None
                and not errors.has("floors_below")
                and lowest < -building.floors_below
            ):
                errors.add(
                    "floors_below",
                    _("Units exist down to floor %(floor)s; the building can't have fewer floors.")
                    % {"floor": lowest},
                    "units_below",
                )
        _save(building, on_clash=lambda: _building_clash(building))
        if before["code"] != building.code:
            _recode_units(building)
        record_update(actor, building, before)
    return building


def _unit_floor_span(building: Building) -> tuple[int | None, int | None]:
    span = Unit.objects.filter(building=building).aggregate(low=Min("floor"), high=Max("floor"))
    return span["low"], span["high"]


def _recode_units(building: Building, entrances: Sequence[Entrance] | None = None) -> None:
    """Unit codes are derived from building and entrance codes: renumbering either rewrites
    the codes of the units below it in one statement per entrance."""
    units = Unit.objects.filter(building=building)
    if entrances is None:
        entrances = list(building.entrances.all())
        units.filter(entrance__isnull=True).update(
            code=Concat(Value(f"{building.code}-"), "number")
        )
    for entrance in entrances:
        units.filter(entrance=entrance).update(
            code=Concat(Value(f"{building.code}-{entrance.code}-"), "number")
        )


def _check_entrance(entrance: Entrance) -> None:
    with collecting() as errors:
        errors.check(_check_code, "code", entrance.code, _("Entrance number"))
        if not _clean_text(entrance.name) and not errors.has("code"):
            entrance.name = _("Entrance %(code)s") % {"code": entrance.code}
        check_columns(errors, entrance)
        if (
            not errors.has("code")
            and Entrance.objects.filter(building_id=entrance.building_id, code=entrance.code)
            .exclude(pk=entrance.pk)
            .exists()
        ):
            errors.absorb(_entrance_clash(entrance))


def _entrance_clash(entrance: Entrance) -> ValidationError:
    return invalid(
        "code",
        _("Entrance %(code)s already exists in this building.") % {"code": entrance.code},
        "duplicate",
    )


def create_entrance(*, building: Building, actor, code: str, name: str = "") -> Entrance:
    ensure_can(actor, "estate.add_entrance", building.site_id)
    with transaction.atomic():
        entrance = Entrance(
            site_id=building.site_id, building=building, code=_clean_text(code), name=name
        )
        _check_entrance(entrance)
        _save(entrance, on_clash=lambda: _entrance_clash(entrance))
        record_create(actor, entrance)
    return entrance


def update_entrance(*, entrance: Entrance, actor, **fields) -> Entrance:
    _reject_unknown(fields, ENTRANCE_FIELDS)
    ensure_can(actor, "estate.change_entrance", entrance.site_id)
    with transaction.atomic():
        entrance = (
            Entrance.objects.select_for_update(of=("self",))
            .select_related("building")
            .get(pk=entrance.pk)
        )
        before = snapshot(entrance)
        _apply(entrance, fields)
        entrance.code = _clean_text(entrance.code)
        _check_entrance(entrance)
        _save(entrance, on_clash=lambda: _entrance_clash(entrance))
        if before["code"] != entrance.code:
            _recode_units(entrance.building, [entrance])
        record_update(actor, entrance, before)
    return entrance


# ---------------------------------------------------------------------------------------------
# Units


def create_unit(*, building: Building, actor, **fields) -> Unit:
    _reject_unknown(fields, UNIT_FIELDS - {"building"})
    ensure_can(actor, "estate.add_unit", building.site_id)
    with transaction.atomic():
        unit = Unit(site_id=building.site_id, building=building, **fields)
        _check_unit(unit)
        _save(unit, on_clash=lambda: _unit_clash(unit))
        record_create(actor, unit)
    return unit


def update_unit(*, unit: Unit, actor, **fields) -> Unit:
    _reject_unknown(fields, UNIT_FIELDS)
    ensure_can(actor, "estate.change_unit", unit.site_id)
    with transaction.atomic():
        unit = (
            Unit.objects.select_for_update(of=("self",))
            .select_related("building", "entrance")
            .get(pk=unit.pk)
        )
        before = snapshot(unit)
        if "building" in fields and "entrance" not in fields:
            # Moving to another building drops an entrance that belongs to the old one.
            fields["entrance"] = None
        _apply(unit, fields)
        _check_unit(unit)
        _save(unit, on_clash=lambda: _unit_clash(unit))
        record_update(actor, unit, before)
    return unit


def planned_numbers(first_floor: int, last_floor: int, units_per_floor: int) -> list[tuple]:
    """(floor, number) for every unit a generate run would create, floor 0 skipped."""
    return [
        (floor, unit_number(floor, position))
        for floor in range(first_floor, last_floor + 1)
        if floor != 0
        for position in range(1, units_per_floor + 1)
    ]


def existing_numbers(building: Building, entrance: Entrance | None, numbers) -> list[str]:
    """Which of `numbers` already exist in the building (or entrance), sorted."""
    return sorted(
        Unit.objects.filter(
            building=building, entrance=entrance, number__in=list(numbers)
        ).values_list("number", flat=True)
    )


def _check_generate(
    errors: FieldErrors, building, entrance, first_floor, last_floor, units_per_floor
) -> None:
    if entrance is not None and entrance.building_id != building.pk:
        errors.add(
            "entrance",
            _("Entrance %(entrance)s is not part of %(building)s.")
            % {"entrance": entrance.name, "building": building.name},
            "wrong_building",
        )
    errors.check(_check_floor, building, first_floor, "first_floor")
    errors.check(_check_floor, building, last_floor, "last_floor")
    if not errors.has("first_floor", "last_floor") and last_floor < first_floor:
        errors.add("last_floor", _("The last floor can't be below the first floor."), "bad_range")
    if not 1 <= units_per_floor <= 99:
        errors.add(
            "units_per_floor", _("Units per floor must be between 1 and 99."), "out_of_range"
        )
    if errors.has("first_floor", "last_floor", "units_per_floor"):
        return
    count = len(planned_numbers(first_floor, last_floor, units_per_floor))
    if count > MAX_GENERATED_UNITS:
        errors.add(
            None,
            _("At most %(max)s units can be generated at once.") % {"max": MAX_GENERATED_UNITS},
            "too_many",
        )


def generate_units(
    *,
    building: Building,
    actor,
    first_floor: int,
    last_floor: int,
    units_per_floor: int,
    floor_area: Decimal | Sequence[Decimal],
    entrance: Entrance | None = None,
    indoor_area: Decimal | None = None,
    use: str = Unit.Use.RESIDENCE,
    state: str = Unit.State.UNSOLD,
    fee_coefficient: Decimal = Decimal("1.000"),
) -> list[Unit]:
    """Create a building's (or entrance's) units in one step: floors × units per floor,
    numbered 0101 … 1804. `floor_area` is one area for all, or one per position on a floor
    (corner flats are larger). If any number already exists nothing is written and the error
    lists every clashing number."""
    ensure_can(actor, "estate.add_unit", building.site_id)
    areas = (
        list(floor_area) if isinstance(floor_area, list | tuple) else [floor_area] * units_per_floor
    )
    with transaction.atomic():
        # Locking the building serialises generate runs on it, so two runs can't interleave.
        building = Building.objects.select_for_update().get(pk=building.pk)
        with collecting() as errors:
            if len(areas) != units_per_floor:
                errors.add(
                    "floor_area", _("Give one floor area per unit on a floor."), "areas_mismatch"
                )
            for area in areas:
                errors.check(_check_area, "floor_area", area, _("Floor area"), required=True)
            errors.check(_check_area, "indoor_area", indoor_area, _("Indoor area"), required=False)
            if fee_coefficient is None or fee_coefficient < 0:
                errors.add("fee_coefficient", _("Fee coefficient can't be negative."), "negative")
            for name, value in (("indoor_area", indoor_area), ("fee_coefficient", fee_coefficient)):
                check_column(errors, Unit, name, value)
            for area in areas:
                check_column(errors, Unit, "floor_area", area)
            if use not in Unit.Use.values:
                errors.add("use", _("Unknown use."), "invalid_choice")
            if state not in Unit.State.values:
                errors.add("state", _("Unknown state."), "invalid_choice")
            _check_generate(errors, building, entrance, first_floor, last_floor, units_per_floor)
        planned = planned_numbers(first_floor, last_floor, units_per_floor)
        clash = _generate_clash(building, entrance, [number for _floor, number in planned])
        if clash is not None:
            raise clash
        units = [
            Unit(
                site_id=building.site_id,
                building=building,
                entrance=entrance,
                floor=floor,
                number=number,
                code=unit_code(building, entrance, number),
                floor_area=areas[int(number[-2:]) - 1],
                indoor_area=indoor_area,
                use=use,
                state=state,
                fee_coefficient=fee_coefficient,
            )
            for floor, number in planned
        ]
        try:
            with transaction.atomic():
                created = Unit.objects.bulk_create(units, batch_size=500)
        except IntegrityError as exc:
            raise _generate_clash(building, entrance, [n for _f, n in planned]) or ValidationError(
                _("Someone else changed this building at the same time; please try again."),
                code="conflict",
            ) from exc
        if not all(u.pk for u in created):
            # Backends that don't return ids from bulk inserts: read them back for the audit.
            created = list(
                Unit.objects.filter(
                    building=building, entrance=entrance, number__in=[u.number for u in units]
                )
            )
        record_bulk_create(actor, created, verb=_("generated"))
    return created


def _generate_clash(building, entrance, numbers) -> ValidationError | None:
    taken = existing_numbers(building, entrance, numbers)
    if taken:
        shown = ", ".join(taken[:30]) + (" …" if len(taken) > 30 else "")
        return invalid(
            None,
            _("%(count)s unit numbers already exist, nothing was created: %(numbers)s")
            % {"count": len(taken), "numbers": shown},
            "numbers_exist",
        )
    codes = [unit_code(building, entrance, n) for n in numbers]
    taken_codes = sorted(
        Unit.objects.of_site(building.site_id).filter(code__in=codes).values_list("code", flat=True)
    )
    if taken_codes:
        return invalid(
            None,
            _("These unit codes are already used on this site, nothing was created: %(codes)s")
            % {"codes": ", ".join(taken_codes[:30])},
            "codes_exist",
        )
    return None


# ---------------------------------------------------------------------------------------------
# Parking spaces and facilities


def _check_parking(space: ParkingSpace) -> None:
    space.code = _clean_text(space.code)
    with collecting() as errors:
        if not space.code:
            errors.add("code", _("Space number is required."), "required")
        errors.check(_check_area, "floor_area", space.floor_area, _("Floor area"), required=False)
        check_columns(errors, space)
        taken = ParkingSpace.objects.of_site(space.site_id).filter(code=space.code)
        if not errors.has("code") and taken.exclude(pk=space.pk).exists():
            errors.absorb(_parking_clash(space))


def _parking_clash(space: ParkingSpace) -> ValidationError:
    return invalid(
        "code",
        _("Parking space %(code)s already exists on this site.") % {"code": space.code},
        "duplicate",
    )


def create_parking_space(*, site, actor, **fields) -> ParkingSpace:
    _reject_unknown(fields, PARKING_FIELDS)
    ensure_can(actor, "estate.add_parkingspace", site)
    with transaction.atomic():
        space = ParkingSpace(site=site, **fields)
        _check_parking(space)
        _save(space, on_clash=lambda: _parking_clash(space))
        record_create(actor, space)
    return space


def update_parking_space(*, space: ParkingSpace, actor, **fields) -> ParkingSpace:
    _reject_unknown(fields, PARKING_FIELDS)
    ensure_can(actor, "estate.change_parkingspace", space.site_id)
    with transaction.atomic():
        space = ParkingSpace.objects.select_for_update().get(pk=space.pk)
        before = snapshot(space)
        _apply(space, fields)
        _check_parking(space)
        _save(space, on_clash=lambda: _parking_clash(space))
        record_update(actor, space, before)
    return space


def _check_facility(facility: Facility) -> None:
    facility.code = _clean_text(facility.code)
    with collecting() as errors:
        if not facility.code:
            errors.add("code", _("Facility number is required."), "required")
        if not _clean_text(facility.name):
            errors.add("name", _("Name is required."), "required")
        if facility.building is not None and facility.building.site_id != facility.site_id:
            errors.add("building", _("The building is not on this site."), "wrong_site")
        check_columns(errors, facility)
        taken = Facility.objects.of_site(facility.site_id).filter(code=facility.code)
        if not errors.has("code") and taken.exclude(pk=facility.pk).exists():
            errors.absorb(_facility_clash(facility))


def _facility_clash(facility: Facility) -> ValidationError:
    return invalid(
        "code",
        _("Facility %(code)s already exists on this site.") % {"code": facility.code},
        "duplicate",
    )


def create_facility(*, site, actor, **fields) -> Facility:
    _reject_unknown(fields, FACILITY_FIELDS)
    ensure_can(actor, "estate.add_facility", site)
    with transaction.atomic():
        facility = Facility(site=site, **fields)
        _check_facility(facility)
        _save(facility, on_clash=lambda: _facility_clash(facility))
        record_create(actor, facility)
    return facility


def update_facility(*, facility: Facility, actor, **fields) -> Facility:
    _reject_unknown(fields, FACILITY_FIELDS)
    ensure_can(actor, "estate.change_facility", facility.site_id)
    with transaction.atomic():
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        before = snapshot(facility)
        _apply(facility, fields)
        _check_facility(facility)
        _save(facility, on_clash=lambda: _facility_clash(facility))
        record_update(actor, facility, before)
    return facility
