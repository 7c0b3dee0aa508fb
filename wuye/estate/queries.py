"""Reads that the estate pages, the API and exports share."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from .models import Building, Facility, ParkingSpace, Unit


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def search_units(
    units: QuerySet[Unit],
    *,
    q: str = "",
    building=None,
    entrance=None,
    floor=None,
    state: str = "",
    use: str = "",
) -> QuerySet[Unit]:
    """Units matching a search box (code or number) and filters. Filter values may come
    straight from a query string: blanks and junk are ignored rather than failing the page."""
    units = units.select_related("building", "entrance")
    q = (q or "").strip()
    if q:
        units = units.filter(Q(code__icontains=q) | Q(number__icontains=q))
    if (building_id := _as_int(building)) is not None:
        units = units.filter(building_id=building_id)
    if (entrance_id := _as_int(entrance)) is not None:
        units = units.filter(entrance_id=entrance_id)
    if (floor_number := _as_int(floor)) is not None:
        units = units.filter(floor=floor_number)
    if state in Unit.State.values:
        units = units.filter(state=state)
    if use in Unit.Use.values:
        units = units.filter(use=use)
    return units


def buildings_with_counts(buildings: QuerySet[Building], *, q: str = "") -> QuerySet[Building]:
    """Buildings with their unit counts, in total and by state, in one query (distinct, as the
    entrance join multiplies rows)."""
    q = (q or "").strip()
    if q:
        buildings = buildings.filter(Q(code__icontains=q) | Q(name__icontains=q))
    counts = {
        f"units_{state}": Count("units", filter=Q(units__state=state), distinct=True)
        for state in Unit.State.values
    }
    # Meta.ordering doesn't apply to a grouped query, so the order is said here.
    return buildings.annotate(
        unit_count=Count("units", distinct=True),
        entrance_count=Count("entrances", distinct=True),
        **counts,
    ).order_by("code", "pk")


def search_parking(
    spaces: QuerySet[ParkingSpace], *, q: str = "", kind: str = "", state: str = ""
) -> QuerySet[ParkingSpace]:
    q = (q or "").strip()
    if q:
        spaces = spaces.filter(Q(code__icontains=q) | Q(zone__icontains=q))
    if kind in ParkingSpace.Kind.values:
        spaces = spaces.filter(kind=kind)
    if state in ParkingSpace.State.values:
        spaces = spaces.filter(state=state)
    return spaces


def search_facilities(
    facilities: QuerySet[Facility], *, q: str = "", kind: str = "", state: str = "", building=None
) -> QuerySet[Facility]:
    facilities = facilities.select_related("building")
    q = (q or "").strip()
    if q:
        facilities = facilities.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(location__icontains=q)
        )
    if kind in Facility.Kind.values:
        facilities = facilities.filter(kind=kind)
    if state in Facility.State.values:
        facilities = facilities.filter(state=state)
    if (building_id := _as_int(building)) is not None:
        facilities = facilities.filter(building_id=building_id)
    return facilities


@dataclass
class FloorRow:
    floor: int
    units: list[Unit] = field(default_factory=list)


def floor_grid(building: Building) -> list[FloorRow]:
    """The building's units by floor, top floor first, as a floor plan reads."""
    rows: dict[int, FloorRow] = {}
    units = (
        Unit.objects.filter(building=building)
        .select_related("entrance")
        .order_by("-floor", "entrance__code", "number")
    )
    for unit in units:
        rows.setdefault(unit.floor, FloorRow(unit.floor)).units.append(unit)
    return list(rows.values())


def state_counts(units: QuerySet[Unit]) -> dict[str, int]:
    """How many of `units` are in each state, every state present."""
    found = dict(units.order_by().values_list("state").annotate(n=Count("id")))
    return {state: found.get(state, 0) for state in Unit.State.values}
