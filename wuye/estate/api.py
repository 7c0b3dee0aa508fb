"""The estate's API: buildings, entrances, units, parking spaces and facilities.

Lists cover every site the caller may see (narrowed with `?site=`); a row of another site
answers 404 exactly like a missing one. Writes go through the same services as the pages, so
the rules and the error body (400 from a service, 422 from the schema) are the same.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from wuye.core.errors import invalid
from wuye.core.models import Site
from wuye.core.scoping import access_object, can_access_site

from . import queries, services
from .models import Building, Entrance, Facility, ParkingSpace, Unit

router = Router(tags=["estate"])


def _scoped(model_or_qs, request, site: int | None):
    qs = model_or_qs.objects.all() if isinstance(model_or_qs, type) else model_or_qs
    qs = qs.visible_to(request.user)
    return qs.of_site(site) if site is not None else qs


def _site(request, site_id: int) -> Site:
    """The site a new row goes on; a site the caller is not a member of is refused, whether
    or not it exists."""
    if not can_access_site(request.user, site_id):
        raise PermissionDenied(_("You are not a member of this site."))
    return Site.objects.get(pk=site_id)


def _related(model, request, pk: int | None, *, site_id: int, field: str):
    """A row named in a payload (a unit's building…): it must be on the same site."""
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


# ---------------------------------------------------------------------------------------------
# Buildings


class BuildingOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    code: str
    name: str
    floors_above: int
    floors_below: int
    completed_on: date | None
    note: str
    created_at: datetime
    updated_at: datetime


class BuildingListOut(BuildingOut):
    unit_count: int
    units_occupied: int
    units_vacant: int
    units_unsold: int
    units_renovating: int


class BuildingIn(Schema):
    site: int
    code: str = Field(max_length=20)
    name: str = Field(max_length=50)
    floors_above: int = Field(1, ge=0, le=32767)
    floors_below: int = Field(0, ge=0, le=32767)
    completed_on: date | None = None
    note: str = ""


class BuildingPatch(Schema):
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=50)
    floors_above: int | None = Field(None, ge=0, le=32767)
    floors_below: int | None = Field(None, ge=0, le=32767)
    completed_on: date | None = None
    note: str | None = None


def _changes(payload: Schema, nullable: tuple[str, ...] = ()) -> dict:
    """The fields a PATCH sets. Null clears a field that may be empty; on any other field it
    means "leave as is", as the column can't hold it."""
    return {
        name: value
        for name, value in payload.model_dump(exclude_unset=True).items()
        if value is not None or name in nullable
    }


@router.get("/buildings", response=list[BuildingListOut], summary="Buildings with unit counts")
@paginate
def list_buildings(request, site: int | None = None, q: str = ""):
    return queries.buildings_with_counts(_scoped(Building, request, site), q=q)


@router.get("/buildings/{building_id}", response=BuildingOut, summary="One building")
def get_building(request, building_id: int):
    return access_object(Building, request.user, building_id)


@router.post("/buildings", response={201: BuildingOut}, summary="Create a building")
def create_building(request, payload: BuildingIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    return Status(201, services.create_building(site=site, actor=request.user, **data))


@router.patch("/buildings/{building_id}", response=BuildingOut, summary="Change a building")
def update_building(request, building_id: int, payload: BuildingPatch):
    building = access_object(Building, request.user, building_id)
    return services.update_building(
        building=building, actor=request.user, **_changes(payload, ("completed_on",))
    )


class GenerateUnitsIn(Schema):
    first_floor: int = Field(1, ge=-999, le=999)
    last_floor: int = Field(ge=-999, le=999)
    units_per_floor: int = Field(ge=1, le=99)
    floor_area: Decimal | list[Decimal] = Field(
        description="One area for every unit, or one per position on a floor."
    )
    entrance: int | None = None
    indoor_area: Decimal | None = None
    use: Unit.Use = Unit.Use.RESIDENCE
    state: Unit.State = Unit.State.UNSOLD
    fee_coefficient: Decimal = Decimal("1.000")


class GenerateUnitsOut(Schema):
    created: int
    codes: list[str]


@router.post(
    "/buildings/{building_id}/generate-units",
    response={201: GenerateUnitsOut},
    summary="Create a building's units: floors × units per floor, numbered 0101 … 1804",
)
def generate_units(request, building_id: int, payload: GenerateUnitsIn):
    building = access_object(Building, request.user, building_id)
    data = payload.model_dump()
    data["entrance"] = _related(
        Entrance, request, data["entrance"], site_id=building.site_id, field="entrance"
    )
    units = services.generate_units(building=building, actor=request.user, **data)
    return Status(201, {"created": len(units), "codes": [u.code for u in units]})


# ---------------------------------------------------------------------------------------------
# Entrances


class EntranceOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    building: int = Field(alias="building_id")
    code: str
    name: str


class EntranceIn(Schema):
    building: int
    code: str = Field(max_length=20)
    name: str = Field("", max_length=50)


class EntrancePatch(Schema):
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=50)


@router.get("/entrances", response=list[EntranceOut], summary="Entrances")
@paginate
def list_entrances(request, site: int | None = None, building: int | None = None):
    entrances = _scoped(Entrance, request, site)
    return entrances.filter(building_id=building) if building is not None else entrances


@router.get("/entrances/{entrance_id}", response=EntranceOut, summary="One entrance")
def get_entrance(request, entrance_id: int):
    return access_object(Entrance, request.user, entrance_id)


@router.post("/entrances", response={201: EntranceOut}, summary="Add an entrance to a building")
def create_entrance(request, payload: EntranceIn):
    building = access_object(Building, request.user, payload.building)
    entrance = services.create_entrance(
        building=building, actor=request.user, code=payload.code, name=payload.name
    )
    return Status(201, entrance)


@router.patch("/entrances/{entrance_id}", response=EntranceOut, summary="Change an entrance")
def update_entrance(request, entrance_id: int, payload: EntrancePatch):
    entrance = access_object(Entrance, request.user, entrance_id)
    return services.update_entrance(entrance=entrance, actor=request.user, **_changes(payload))


# ---------------------------------------------------------------------------------------------
# Units


class UnitOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    code: str
    building: int = Field(alias="building_id")
    building_name: str = Field(alias="building.name")
    entrance: int | None = Field(alias="entrance_id")
    floor: int
    number: str
    floor_area: Decimal
    indoor_area: Decimal | None
    use: str
    state: str
    fee_coefficient: Decimal
    note: str
    updated_at: datetime


class UnitIn(Schema):
    site: int
    building: int
    entrance: int | None = None
    floor: int = Field(ge=-999, le=999)
    number: str = Field(max_length=20)
    floor_area: Decimal = Field(max_digits=10, decimal_places=2)
    indoor_area: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    use: Unit.Use = Unit.Use.RESIDENCE
    state: Unit.State = Unit.State.UNSOLD
    fee_coefficient: Decimal = Field(Decimal("1.000"), max_digits=6, decimal_places=3)
    note: str = ""


class UnitPatch(Schema):
    building: int | None = None
    entrance: int | None = None
    floor: int | None = Field(None, ge=-999, le=999)
    number: str | None = Field(None, max_length=20)
    floor_area: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    indoor_area: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    use: Unit.Use | None = None
    state: Unit.State | None = None
    fee_coefficient: Decimal | None = Field(None, max_digits=6, decimal_places=3)
    note: str | None = None


@router.get("/units", response=list[UnitOut], summary="Units, searched and filtered")
@paginate
def list_units(
    request,
    site: int | None = None,
    q: str = "",
    building: int | None = None,
    entrance: int | None = None,
    floor: int | None = None,
    state: Unit.State | None = None,
    use: Unit.Use | None = None,
):
    return queries.search_units(
        _scoped(Unit, request, site),
        q=q,
        building=building,
        entrance=entrance,
        floor=floor,
        state=state or "",
        use=use or "",
    )


@router.get("/units/{unit_id}", response=UnitOut, summary="One unit")
def get_unit(request, unit_id: int):
    return access_object(Unit.objects.select_related("building"), request.user, unit_id)


@router.post("/units", response={201: UnitOut}, summary="Create a unit")
def create_unit(request, payload: UnitIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    building = _related(Building, request, data.pop("building"), site_id=site.pk, field="building")
    data["entrance"] = _related(
        Entrance, request, data["entrance"], site_id=site.pk, field="entrance"
    )
    return Status(201, services.create_unit(building=building, actor=request.user, **data))


@router.patch("/units/{unit_id}", response=UnitOut, summary="Change a unit")
def update_unit(request, unit_id: int, payload: UnitPatch):
    unit = access_object(Unit, request.user, unit_id)
    data = _changes(payload, ("entrance", "indoor_area"))
    if "building" in data:
        data["building"] = _related(
            Building, request, data["building"], site_id=unit.site_id, field="building"
        )
    if "entrance" in data:
        data["entrance"] = _related(
            Entrance, request, data["entrance"], site_id=unit.site_id, field="entrance"
        )
    return services.update_unit(unit=unit, actor=request.user, **data)


# ---------------------------------------------------------------------------------------------
# Parking spaces


class ParkingSpaceOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    code: str
    zone: str
    kind: str
    state: str
    floor_area: Decimal | None
    note: str


class ParkingSpaceIn(Schema):
    site: int
    code: str = Field(max_length=30)
    zone: str = Field("", max_length=50)
    kind: ParkingSpace.Kind = ParkingSpace.Kind.UNDERGROUND
    state: ParkingSpace.State = ParkingSpace.State.FREE
    floor_area: Decimal | None = Field(None, max_digits=8, decimal_places=2)
    note: str = ""


class ParkingSpacePatch(Schema):
    code: str | None = Field(None, max_length=30)
    zone: str | None = Field(None, max_length=50)
    kind: ParkingSpace.Kind | None = None
    state: ParkingSpace.State | None = None
    floor_area: Decimal | None = Field(None, max_digits=8, decimal_places=2)
    note: str | None = None


@router.get("/parking-spaces", response=list[ParkingSpaceOut], summary="Parking spaces")
@paginate
def list_parking_spaces(
    request,
    site: int | None = None,
    q: str = "",
    kind: ParkingSpace.Kind | None = None,
    state: ParkingSpace.State | None = None,
):
    return queries.search_parking(
        _scoped(ParkingSpace, request, site), q=q, kind=kind or "", state=state or ""
    )


@router.get("/parking-spaces/{space_id}", response=ParkingSpaceOut, summary="One parking space")
def get_parking_space(request, space_id: int):
    return access_object(ParkingSpace, request.user, space_id)


@router.post("/parking-spaces", response={201: ParkingSpaceOut}, summary="Create a space")
def create_parking_space(request, payload: ParkingSpaceIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    return Status(201, services.create_parking_space(site=site, actor=request.user, **data))


@router.patch(
    "/parking-spaces/{space_id}", response=ParkingSpaceOut, summary="Change a parking space"
)
def update_parking_space(request, space_id: int, payload: ParkingSpacePatch):
    space = access_object(ParkingSpace, request.user, space_id)
    return services.update_parking_space(
        space=space, actor=request.user, **_changes(payload, ("floor_area",))
    )


# ---------------------------------------------------------------------------------------------
# Facilities


class FacilityOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    code: str
    name: str
    kind: str
    building: int | None = Field(alias="building_id")
    location: str
    state: str
    installed_on: date | None
    maintainer: str
    note: str


class FacilityIn(Schema):
    site: int
    code: str = Field(max_length=30)
    name: str = Field(max_length=100)
    kind: Facility.Kind = Facility.Kind.OTHER
    building: int | None = None
    location: str = Field("", max_length=100)
    state: Facility.State = Facility.State.IN_SERVICE
    installed_on: date | None = None
    maintainer: str = Field("", max_length=100)
    note: str = ""


class FacilityPatch(Schema):
    code: str | None = Field(None, max_length=30)
    name: str | None = Field(None, max_length=100)
    kind: Facility.Kind | None = None
    building: int | None = None
    location: str | None = Field(None, max_length=100)
    state: Facility.State | None = None
    installed_on: date | None = None
    maintainer: str | None = Field(None, max_length=100)
    note: str | None = None


@router.get("/facilities", response=list[FacilityOut], summary="Facilities")
@paginate
def list_facilities(
    request,
    site: int | None = None,
    q: str = "",
    kind: Facility.Kind | None = None,
    state: Facility.State | None = None,
    building: int | None = None,
):
    return queries.search_facilities(
        _scoped(Facility, request, site),
        q=q,
        kind=kind or "",
        state=state or "",
        building=building,
    )


@router.get("/facilities/{facility_id}", response=FacilityOut, summary="One facility")
def get_facility(request, facility_id: int):
    return access_object(Facility, request.user, facility_id)


@router.post("/facilities", response={201: FacilityOut}, summary="Create a facility")
def create_facility(request, payload: FacilityIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    data["building"] = _related(
        Building, request, data["building"], site_id=site.pk, field="building"
    )
    return Status(201, services.create_facility(site=site, actor=request.user, **data))


@router.patch("/facilities/{facility_id}", response=FacilityOut, summary="Change a facility")
def update_facility(request, facility_id: int, payload: FacilityPatch):
    facility = access_object(Facility, request.user, facility_id)
    data = _changes(payload, ("building", "installed_on"))
    if "building" in data:
        data["building"] = _related(
            Building, request, data["building"], site_id=facility.site_id, field="building"
        )
    return services.update_facility(facility=facility, actor=request.user, **data)
