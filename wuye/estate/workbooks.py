"""The estate's .xlsx files: the unit import template and the exports of each register.

The unit export has the same columns as the import template (plus the unit code, which an
import ignores), so a clerk can export, correct and import the file back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from wuye.core.spreadsheets import build_workbook

from .models import Building, Facility, ParkingSpace, Unit

# Column name → the header texts that mean it. The first is what the template shows; English
# headers (and those of an English export) are accepted too.
UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼栋号", "楼栋编号", "building", "building number"),
    "entrance": ("单元", "单元号", "entrance", "entrance number"),
    "floor": ("楼层", "floor"),
    "number": ("房号", "unit number", "number"),
    "floor_area": ("建筑面积", "建筑面积(m²)", "建筑面积（m²）", "floor area", "floor area (m²)"),
    "indoor_area": (
        "套内面积",
        "套内面积(m²)",
        "套内面积（m²）",
        "indoor area",
        "indoor area (m²)",
    ),
    "use": ("用途", "use"),
    "state": ("状态", "state"),
    "fee_coefficient": ("收费系数", "fee coefficient"),
}
REQUIRED_UNIT_COLUMNS = ("building", "floor", "number", "floor_area")

_HEADER_LABELS = {
    "building": gettext_lazy("Building"),
    "entrance": gettext_lazy("Entrance"),
    "floor": gettext_lazy("Floor"),
    "number": gettext_lazy("Unit number"),
    "floor_area": gettext_lazy("Floor area"),
    "indoor_area": gettext_lazy("Indoor area"),
    "use": gettext_lazy("Use"),
    "state": gettext_lazy("State"),
    "fee_coefficient": gettext_lazy("Fee coefficient"),
}


def column_label(name: str) -> str:
    """A column as the reader of a report knows it: its header in the current language."""
    return str(_HEADER_LABELS.get(name, name))


def _text_column(content: bytes, letter: str) -> bytes:
    """Format a column as text, so Excel keeps the leading zero of room number 0101."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    # The column style covers cells typed later; written cells carry their own format.
    ws.column_dimensions[letter].number_format = "@"
    for (cell,) in ws.iter_rows(min_col=ws[f"{letter}1"].column, max_col=ws[f"{letter}1"].column):
        cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def unit_template() -> bytes:
    """The import template: Chinese headers whatever the reader's language, and two example
    rows that show the formats."""
    headers = [texts[0] for texts in UNIT_COLUMNS.values()]
    with translation.override("zh-hans"):
        examples = [
            ["1", "1", 18, "1801", 128.6, 102.9, str(Unit.Use.RESIDENCE.label),
             str(Unit.State.OCCUPIED.label), 1],
            ["2", "", 1, "0102", 89.5, "", str(Unit.Use.SHOP.label),
             str(Unit.State.VACANT.label), 1.2],
        ]  # fmt: skip
    return _text_column(build_workbook(_("Units"), headers, examples), "D")


def _n(value):
    return float(value) if value is not None else None


def export_units(units: QuerySet[Unit]) -> bytes:
    headers = [_("Unit code")] + [column_label(name) for name in UNIT_COLUMNS]
    rows = (
        [
            u.code,
            u.building.code,
            u.entrance.code if u.entrance_id else "",
            u.floor,
            u.number,
            _n(u.floor_area),
            _n(u.indoor_area),
            u.get_use_display(),
            u.get_state_display(),
            _n(u.fee_coefficient),
        ]
        for u in units.select_related("building", "entrance").iterator(chunk_size=2000)
    )
    return _text_column(build_workbook(_("Units"), headers, rows), "E")


def export_buildings(buildings: Iterable[Building]) -> bytes:
    headers = [
        _("Building number"),
        _("Name"),
        _("Floors above ground"),
        _("Floors below ground"),
        _("Completed on"),
        _("Units"),
        *[str(label) for label in Unit.State.labels],
        _("Note"),
    ]
    rows = (
        [
            b.code,
            b.name,
            b.floors_above,
            b.floors_below,
            b.completed_on,
            b.unit_count,
            *[getattr(b, f"units_{state}") for state in Unit.State.values],
            b.note,
        ]
        for b in buildings
    )
    return build_workbook(_("Buildings"), headers, rows)


def export_parking(spaces: QuerySet[ParkingSpace]) -> bytes:
    headers = [_("Space number"), _("Zone"), _("Kind"), _("State"), _("Floor area"), _("Note")]
    rows = (
        [s.code, s.zone, s.get_kind_display(), s.get_state_display(), _n(s.floor_area), s.note]
        for s in spaces.iterator(chunk_size=2000)
    )
    return build_workbook(_("Parking spaces"), headers, rows)


def export_facilities(facilities: QuerySet[Facility]) -> bytes:
    headers = [
        _("Facility number"),
        _("Name"),
        _("Kind"),
        _("Building"),
        _("Location"),
        _("State"),
        _("Installed on"),
        _("Maintained by"),
        _("Note"),
    ]
    rows = (
        [
            f.code,
            f.name,
            f.get_kind_display(),
            f.building.name if f.building_id else "",
            f.location,
            f.get_state_display(),
            f.installed_on,
            f.maintainer,
            f.note,
        ]
        for f in facilities.select_related("building").iterator(chunk_size=2000)
    )
    return build_workbook(_("Facilities"), headers, rows)
