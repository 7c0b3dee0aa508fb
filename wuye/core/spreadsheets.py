"""Reading and writing .xlsx files (openpyxl) for imports, exports and templates."""

from __future__ import annotations

import datetime
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from wuye.core.money import YUAN_FORMAT, format_yuan

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_text(value) -> str:
    """A cell as trimmed text; a whole number read as a float (101.0) as 101."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_date(value) -> datetime.date | None:
    """A date cell, or text such as 2024-03-15, 2024/3/15, 2024.3.15, 2024年3月15日 or 20240315;
    None when empty. Raises ValueError for anything else."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = (
        cell_text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-")
    )
    text = text.replace("日", "").strip("-")
    if not text:
        return None
    parts = text.split("-")
    if len(parts) == 1 and len(text) == 8 and text.isdigit():
        parts = [text[:4], text[4:6], text[6:]]
    try:
        return datetime.date.fromisoformat("-".join(part.zfill(2) for part in parts))
    except ValueError:
        raise ValueError(text) from None


def build_workbook(
    title: str, headers: Sequence[str], rows: Iterable[Sequence], *, money: Collection[int] = ()
) -> bytes:
    """One sheet with a bold header row, frozen under the header, columns sized to the text.

    The columns numbered in `money` (from 0) hold amounts: their numbers stay numbers, shown in
    the money format (`core.money.YUAN_FORMAT`, ¥1,234.50), so the sheet can sum them."""
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append([str(h) for h in headers])
    widths = [max(8, len(str(h)) * 2 + 2) for h in headers]
    money_columns = {i + 1 for i in money}  # openpyxl counts columns from 1
    for row in rows:
        values = ["" if v is None else v for v in row]
        ws.append(values)
        for cell in ws[ws.max_row]:
            if cell.column in money_columns and not isinstance(cell.value, str):  # "" is a blank
                cell.number_format = YUAN_FORMAT
        for i, v in enumerate(values[: len(widths)]):
            shown = format_yuan(v) if i + 1 in money_columns and not isinstance(v, str) else str(v)
            widths[i] = min(40, max(widths[i], len(shown) + 2))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF7")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@dataclass
class SheetRow:
    number: int  # the row number as the spreadsheet shows it
    values: dict[str, object] = field(default_factory=dict)


def read_sheet(
    data: bytes | io.IOBase, columns: dict[str, Sequence[str]]
) -> tuple[list[SheetRow], list[str]]:
    """Rows of the first sheet as dicts keyed by our column names.

    `columns` maps each column name to the header texts that mean it (Chinese and English),
    so a file made from the template or from an export reads the same. Blank rows are skipped.
    """
    try:
        wb = load_workbook(
            io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True
        )
    except Exception as exc:
        raise ValidationError(
            {"file": [ValidationError(_("This is not a readable .xlsx file."), code="not_xlsx")]}
        ) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ValidationError({"file": [ValidationError(_("The file is empty."), code="empty")]})
    aliases = {alias.strip().lower(): name for name, texts in columns.items() for alias in texts}
    index = {}
    for i, text in enumerate(header):
        name = aliases.get(str(text or "").strip().lower())
        if name and name not in index:
            index[name] = i
    result = []
    for number, raw in enumerate(rows, start=2):
        if raw is None or all(v is None or str(v).strip() == "" for v in raw):
            continue
        values = {
            name: (raw[i].strip() if isinstance(raw[i], str) else raw[i]) if i < len(raw) else None
            for name, i in index.items()
        }
        result.append(SheetRow(number=number, values=values))
    wb.close()
    return result, [name for name in columns if name not in index]
