"""Importing a month's meter readings from an .xlsx file, as a background job (R-FEE-02).

Columns: 表号 (meter number), 读数 (reading) and, optionally, 抄表日期 (read on). Each row is
recorded through `meters.record_reading` (source "import"), on its own: a bad row — an unknown
meter, a reading that is not a number or is negative, a meter already read this month — is
reported with its row number and message, and the other rows go on. A reading the service
holds for a second look is recorded and reported as held. The template lists the site's meters
with their last reading, so the reader fills in one column.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wuye.core.errors import field_errors
from wuye.core.jobs import Progress, input_bytes, job_handler, row_report, start_job
from wuye.core.models import Job
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import build_workbook, cell_date, cell_text, read_sheet

from . import meter_queries
from .meters import record_reading
from .models import Meter, MeterReading

JOB_KIND = "billing.import_readings"
READING_COLUMNS = {
    "code": ("表号", "meter number", "meter", "meter no.", "code"),
    "value": ("读数", "本月读数", "reading", "value"),
    "read_on": ("抄表日期", "read on", "date"),
}
REQUIRED_COLUMNS = ("code", "value")
# What the service's fields are called in the sheet: its "period" (already read, out of
# order) and "meter" (not in use) concern the row's meter.
SERVICE_FIELDS = {"value": "value", "period": "code", "meter": "code"}


def column_label(name: str) -> str:
    labels = {
        "code": _("表号 / meter number"),
        "value": _("读数 / reading"),
        "read_on": _("抄表日期 / read on"),
    }
    return labels.get(name, name)


def _number(value) -> Decimal | str:
    """A cell as a Decimal (through str, so 1234.5 read as a float stays 1234.5); text that is
    not a number is handed on as it is, for the service to refuse in its own words."""
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = cell_text(value)
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def import_readings(
    *, site, actor, data: bytes, month: datetime.date, progress: Progress | None = None
) -> dict:
    """Record each row's reading of `month`; bad rows are reported, the others recorded."""
    ensure_can(actor, "billing.add_meterreading", site)
    rows, missing = read_sheet(data, READING_COLUMNS)
    missing = [name for name in missing if name in REQUIRED_COLUMNS]
    if missing:
        raise ValidationError(
            {
                "file": [
                    ValidationError(
                        _("The file lacks the columns: %(columns)s")
                        % {"columns": ", ".join(column_label(name) for name in missing)},
                        code="missing_columns",
                    )
                ]
            }
        )
    if not rows:
        raise ValidationError({"file": [ValidationError(_("The file has no rows."), code="empty")]})
    if progress:
        progress.start(len(rows), _("Recording readings"))
    meters = {m.code: m for m in Meter.objects.of_site(site)}
    errors: list[dict] = []
    held: list[dict] = []
    accepted = 0

    def fail(row: int, name: str, message: str, code: str) -> None:
        errors.append({"field": f"rows.{row}.{name}", "message": message, "code": code})

    today = timezone.localdate()
    for row in rows:
        n, values, reported = row.number, row.values, len(errors)
        code = cell_text(values.get("code"))
        meter = meters.get(code)
        try:
            read_on = cell_date(values.get("read_on"))
        except ValueError:
            read_on = None
            fail(n, "read_on", _("Write the date like 2026-05-28."), "invalid_date")
        if read_on is not None and read_on > today:
            fail(n, "read_on", _("The date is in the future."), "future")
        if not code:
            fail(n, "code", _("Give the meter's number."), "required")
        elif meter is None:
            message = _("There is no meter %(code)s at this site.") % {"code": code}
            fail(n, "code", message, "unknown_meter")
        elif cell_text(values.get("value")) == "":
            fail(n, "value", _("Give the reading."), "required")
        if len(errors) == reported:  # a row already reported is not recorded
            try:
                reading = record_reading(
                    site=site, actor=actor, meter=meter, period=month,
                    value=_number(values.get("value")), read_on=read_on,
                    source=MeterReading.Source.IMPORT,
                )  # fmt: skip
            except ValidationError as exc:
                for error in field_errors(exc):
                    name = SERVICE_FIELDS.get(error["field"] or NON_FIELD_ERRORS, "code")
                    fail(n, name, error["message"], error["code"])
            else:
                if reading.state == MeterReading.State.HELD:
                    usage = format(reading.usage.normalize(), "f")
                    held.append({"row": n, "code": code, "usage": usage,
                                 "reason": reading.hold_reason, "reading": reading.pk})  # fmt: skip
                else:
                    accepted += 1
        if progress:
            progress.advance()
    bad_rows = len({e["field"].split(".")[1] for e in errors})
    if progress:
        progress.job.message = ngettext(
            "%(count)s reading recorded", "%(count)s readings recorded", accepted + len(held)
        ) % {"count": accepted + len(held)}
    return {
        "month": f"{month:%Y-%m}",
        "rows": len(rows),
        "accepted": accepted,
        "held": len(held),
        "failed": bad_rows,
        "held_rows": held,
        "errors": errors,
    }


@job_handler(JOB_KIND)
def run_reading_import(job: Job, progress: Progress) -> dict:
    data = input_bytes(job)
    month = datetime.date.fromisoformat(job.params["month"])
    return import_readings(
        site=job.site, actor=job.actor, data=data, month=month, progress=progress
    )


def start_reading_import(*, site, actor, upload, month: datetime.date) -> Job:
    """Queue the import of `upload` as the readings of `month`; refused at once if the actor
    may not record readings here."""
    ensure_can(actor, "billing.add_meterreading", site)
    return start_job(
        site=site,
        actor=actor,
        kind=JOB_KIND,
        title=_("Readings of %(month)s from %(file)s")
        % {"month": f"{month:%Y-%m}", "file": getattr(upload, "name", "file")},
        params={"month": month.replace(day=1).isoformat()},
        input_file=upload,
    )


def import_report(job: Job) -> list[dict]:
    """The bad rows, in row order (errors about the file as a whole first)."""
    return row_report(job, column_label)


def reading_template(site) -> bytes:
    """The site's meters in use with their last reading: fill in 读数 (and 抄表日期)."""
    headers = [
        "表号",
        "读数",
        "抄表日期",
        _("Kind"),
        _("Unit or location"),
        _("Last reading"),
        _("Last month read"),
    ]
    rows = [
        [
            meter.code,
            None,
            None,
            meter.get_kind_display(),
            meter.unit.code if meter.unit_id else (meter.location or _("shared")),
            meter.start_value if meter.last_value is None else meter.last_value,
            f"{meter.last_period:%Y-%m}" if meter.last_period else "",
        ]
        for meter in meter_queries.meters_of(site).filter(is_active=True)
    ]
    return build_workbook(_("Readings"), headers, rows)
