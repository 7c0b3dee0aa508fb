"""The meters API (R-FEE-02): a site's meters and adding one, recording a meter's reading of a
month, the readings of a month or state, the second look (confirm or reject a held reading) and
usage by building and month. Through the same services and queries as the pages; another site's
meter or reading answers 404, what a service refuses 400 with its fields."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site
from wuye.estate.models import Building, Unit

from . import meter_queries, meters
from .models import FeeItem, Meter, MeterReading

router = Router(tags=["billing"])


class MeterOut(Schema):
    id: int
    code: str
    kind: str
    fee_item: int = Field(alias="fee_item_id")
    unit: int | None = Field(None, alias="unit_id")
    building: int | None = Field(None, alias="building_id")
    location: str
    split: str
    split_formula: str
    multiplier: Decimal
    start_value: Decimal
    installed_on: datetime.date
    is_active: bool


class MeterListOut(MeterOut):
    unit_code: str | None = None
    last_value: Decimal | None = None
    last_period: datetime.date | None = None

    @staticmethod
    def resolve_unit_code(meter) -> str | None:
        return meter.unit.code if meter.unit_id else None


@router.get("/meters", response=list[MeterListOut], summary="A site's meters, last reading")
@paginate
def list_meters(
    request, site: int | None = None, kind: str = "", building: int | None = None,
    shared: bool | None = None,
):  # fmt: skip
    """Filter by `kind`, `building` (a unit's meter counts to its unit's building) and
    `shared` (true: shared meters only; false: units' own meters only)."""
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_meter", where)
    return meter_queries.meters_of(
        where,
        kind=kind,
        building=str(building) if building is not None else "",
        shared="" if shared is None else ("shared" if shared else "own"),
    )


class MeterIn(Schema):
    site: int | None = None
    code: str = Field(max_length=40)
    kind: str
    fee_item: int
    unit: int | None = None
    building: int | None = None
    split: str = ""
    split_formula: str = Field("", max_length=200)
    multiplier: Decimal = Decimal(1)
    start_value: Decimal = Decimal(0)
    installed_on: datetime.date | None = None
    location: str = Field("", max_length=100)


@router.post("/meters", response={201: MeterOut}, summary="Add a meter (own or shared)")
def create_meter(request, payload: MeterIn):
    data = payload.model_dump()
    where = one_site(request.user, data.pop("site"))
    ensure_can(request.user, "billing.add_meter", where)
    fee_item = access_object(FeeItem, request.user, data.pop("fee_item"), site=where)
    unit, building = data.pop("unit"), data.pop("building")
    unit = access_object(Unit, request.user, unit, site=where) if unit is not None else None
    if building is not None:
        building = access_object(Building, request.user, building, site=where)
    installed_on = data.pop("installed_on") or timezone.localdate()
    meter = meters.add_meter(
        site=where, actor=request.user, fee_item=fee_item, unit=unit, building=building,
        installed_on=installed_on, **data,
    )  # fmt: skip
    meter.refresh_from_db()  # the numbers as stored (to their places)
    return Status(201, meter)


class UsageRowOut(Schema):
    building: int | None = Field(description="Null: the whole site's shared meters (or totals).")
    name: str
    months: list[Decimal | None] = Field(description="January to December; null: not read.")
    previous_year: list[Decimal | None] = Field(description="The same months a year before.")
    total: Decimal
    previous_total: Decimal
    change_percent: Decimal | None = Field(
        description="The change on the same months of the year before (those read this year)."
    )


class UsageOut(Schema):
    year: int
    kind: str
    rows: list[UsageRowOut]
    totals: UsageRowOut


def _usage_row(row: meter_queries.UsageRow) -> dict:
    return {
        "building": int(row.key) if row.key.isdigit() else None,
        "name": row.name,
        "months": row.months,
        "previous_year": row.before,
        "total": row.total,
        "previous_total": row.total_before,
        "change_percent": row.total_change,
    }


@router.get("/meters/usage", response=UsageOut, summary="Usage by building and month of a year")
def usage(request, year: int, kind: str, site: int | None = None):
    """Billable usage (accepted and confirmed readings) of `kind` in `year` by building and
    month, with the same months of the year before. A unit's meter counts to its unit's
    building, a shared meter to the building it serves or to the whole site."""
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_meterreading", where)
    if kind not in Meter.Kind.values:
        raise invalid("kind", _("Choose water, electricity or gas."), "invalid_choice")
    table = meter_queries.usage_by_building(where, year=year, kind=kind)
    return {
        "year": year,
        "kind": kind,
        "rows": [_usage_row(row) for row in table.rows],
        "totals": _usage_row(table.totals),
    }


@router.get("/meters/{meter_id}", response=MeterOut, summary="One meter")
def get_meter(request, meter_id: int):
    meter = access_object(Meter, request.user, meter_id)
    ensure_can(request.user, "billing.view_meter", meter.site_id)
    return meter


class ReadingIn(Schema):
    month: datetime.date = Field(description="Any day of the month read; its first is kept.")
    value: Decimal
    read_on: datetime.date | None = None


class ReadingOut(Schema):
    id: int
    meter: int = Field(alias="meter_id")
    meter_code: str
    period: datetime.date
    value: Decimal
    previous_value: Decimal
    usage: Decimal
    state: str
    hold_reason: str
    read_on: datetime.date
    source: str
    check_note: str

    @staticmethod
    def resolve_meter_code(reading) -> str:
        return reading.meter.code


@router.post(
    "/meters/{meter_id}/readings", response={201: ReadingOut},
    summary="Record a meter's reading of a month (suspicious ones are held)",
)  # fmt: skip
def record_reading(request, meter_id: int, payload: ReadingIn):
    meter = access_object(Meter.objects.select_related("site"), request.user, meter_id)
    reading = meters.record_reading(
        site=meter.site, actor=request.user, meter=meter, period=payload.month,
        value=payload.value, read_on=payload.read_on, source=MeterReading.Source.API,
    )  # fmt: skip
    return Status(201, reading)


@router.get("/readings", response=list[ReadingOut], summary="Readings of a month or state")
@paginate
def list_readings(
    request, site: int | None = None, month: datetime.date | None = None, state: str = "",
    meter: int | None = None, kind: str = "",
):  # fmt: skip
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_meterreading", where)
    readings = MeterReading.objects.of_site(where).select_related("meter")
    if month is not None:
        readings = readings.filter(period=month.replace(day=1))
    if state:
        readings = readings.filter(state=state)
    if meter is not None:
        readings = readings.filter(meter_id=meter)
    if kind:
        readings = readings.filter(meter__kind=kind)
    return readings.order_by("-period", "meter__code", "id")


class NoteIn(Schema):
    note: str = Field("", max_length=200)


def _reading(request, reading_id: int) -> MeterReading:
    return access_object(MeterReading.objects.select_related("meter"), request.user, reading_id)


@router.post(
    "/readings/{reading_id}/confirm", response=ReadingOut,
    summary="Second look: the held reading is right and may bill",
)  # fmt: skip
def confirm(request, reading_id: int, payload: NoteIn):
    return meters.confirm_reading(
        reading=_reading(request, reading_id), actor=request.user, note=payload.note
    )


@router.post(
    "/readings/{reading_id}/reject", response=ReadingOut,
    summary="Set a wrong reading aside (say why) so the meter can be read again",
)  # fmt: skip
def reject(request, reading_id: int, payload: NoteIn):
    return meters.reject_reading(
        reading=_reading(request, reading_id), actor=request.user, note=payload.note
    )
