"""Importing a site's past bills and payments from .xlsx when it moves onto wuye
(docs/collections.md, Historical import).

A row is one bill line of the old system: unit, fee item, period, amount due and, when it was
paid, the amount paid, the date and the cashier (`rows.py` reads and checks them).

Every row is checked before anything is written; one bad row and nothing is saved, and the log
lists every bad row. The file is imported whole in one transaction with a handful of bulk
inserts. Importing the same file again adds nothing: an imported line is keyed by its unit, fee
item and period (`history:<unit>` targets under the bill lines' once-per-period constraint),
and a month that wuye has already billed itself is left out, so history never doubles a bill.
Imported payments get no wuye receipt (the old system issued one); they are allocated to their
line on the date paid, so arrears, statements and the collection figures see them as they were.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from wuye.billing import figures
from wuye.billing.models import Payment
from wuye.billing.services import due_date_for
from wuye.core.audit import insert_entries
from wuye.core.jobs import Progress, input_bytes, job_handler, row_report, start_job
from wuye.core.models import AuditEntry, Job
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import read_sheet
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine

from .rows import HISTORY_COLUMNS, NOTE, REQUIRED_COLUMNS, Checker, HistoryRow, Plan, column_label

# The kind its jobs were first recorded under, kept so past imports still show.
JOB_KIND = "billing.import_history"


def _existing(site, rows: list[HistoryRow]) -> dict[tuple[int, int, datetime.date], str]:
    """Of the plan's (unit, fee item, period), those already on the ledger: imported before
    ("history") or billed by wuye itself ("billed")."""
    unit_ids = {r.unit.pk for r in rows}
    starts = {r.period_start for r in rows}
    found = {}
    lines = BillLine.objects.filter(
        site=site, unit_id__in=unit_ids, period_start__in=starts, reversed=False
    ).filter(Q(cancelled_at__isnull=True) | Q(target__startswith="history:"))
    for unit_id, item_id, start, target in lines.values_list(
        "unit_id", "fee_item_id", "period_start", "target"
    ):
        found[(unit_id, item_id, start)] = "history" if target.startswith("history:") else "billed"
    return found


def _received_at(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    # Legacy files know the day, not the hour: noon keeps the day whatever the zone.
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)


def _write(site, actor, plan: Plan) -> dict:
    existing = _existing(site, plan.rows)
    new = []
    for row in plan.rows:
        seen = existing.get((row.unit.pk, row.fee_item.pk, row.period_start))
        if seen == "billed":
            plan.flags.append({"row": row.row, "column": column_label("period"), "message": _("wuye has already billed this unit for this fee item and month; the row was left out.")})  # fmt: skip
        elif seen is None:
            new.append(row)
    lines = BillLine.objects.bulk_create(
        [
            BillLine(
                site=site, fee_item=r.fee_item, target=f"history:{r.unit.pk}", unit=r.unit,
                period_start=r.period_start, period_end=r.period_end, quantity=Decimal(1),
                rate=r.amount, amount=r.amount,
                due_date=due_date_for(r.fee_item, r.period_start, r.period_end), note=NOTE,
            )
            for r in new
        ],
        batch_size=2000,
    )  # fmt: skip
    paid = [(row, line) for row, line in zip(new, lines, strict=True) if row.paid > 0]
    zone = ZoneInfo(site.time_zone)
    payments = Payment.objects.bulk_create(
        [
            Payment(
                site=site, unit=row.unit, payer=row.payer, method=row.method, amount=row.paid,
                cashier_id=row.cashier_id or actor.pk, channel=Payment.Channel.IMPORT,
                received_at=_received_at(row.paid_on, zone),
                idempotency_key=f"history:{line.pk}",
                note=f"{NOTE} {row.cashier_name}".strip()[:200],
            )
            for row, line in paid
        ],
        batch_size=2000,
    )  # fmt: skip
    allocations = Allocation.objects.bulk_create(
        [
            Allocation(bill_line=line, payment=payment, amount=row.paid, collected_on=row.paid_on)
            for (row, line), payment in zip(paid, payments, strict=True)
        ],
        batch_size=2000,
    )
    receivables.allocated(a.pk for a in allocations)
    insert_entries(
        actor,
        AuditEntry.Action.CREATE,
        NOTE,
        [(site.pk, line, {"amount": [None, str(line.amount)]}) for line in lines],  # fmt: skip
    )
    if new:
        # The months charged and the months paid in: figures and income both change there.
        months = {r.period_start for r in new} | {r.paid_on for r in new if r.paid_on}
        figures.rebuild_figures(site=site, months=months)
    kinds = Counter(existing.get((r.unit.pk, r.fee_item.pk, r.period_start)) for r in plan.rows)
    return {
        "rows": len(plan.rows),
        "lines": len(lines),
        "payments": len(payments),
        "paid": str(sum((row.paid for row, _ in paid), Decimal(0))),
        "already_imported": kinds["history"],
        "already_billed": kinds["billed"],
        "flags": sorted(plan.flags, key=lambda f: f["row"]),
    }


def import_history(*, site, actor, data: bytes, progress: Progress | None = None) -> dict:
    """Check every row of the file, then post its bills and payments, or write nothing."""
    ensure_can(actor, "billing.run_bills", site)
    ensure_can(actor, "billing.add_payment", site)
    rows, missing = read_sheet(data, HISTORY_COLUMNS)
    missing = [name for name in missing if name in REQUIRED_COLUMNS]
    if missing:
        message = _("The file lacks the columns: %(columns)s") % {"columns": ", ".join(column_label(n) for n in missing)}  # fmt: skip
        raise ValidationError({"file": [ValidationError(message, code="missing_columns")]})
    if not rows:
        raise ValidationError({"file": [ValidationError(_("The file has no rows."), code="empty")]})
    if progress:
        progress.start(len(rows), _("Checking rows"))
    checker = Checker(site)
    for row in rows:
        checker.check(row)
        if progress:
            progress.advance()
    if checker.errors:
        raise ValidationError(
            {e["field"]: [ValidationError(e["message"], code=e["code"])] for e in checker.errors}
        )
    if progress:
        progress.say(_("Saving"))
    try:
        with transaction.atomic():
            result = _write(site, actor, checker.plan)
    except IntegrityError as exc:
        raise ValidationError(
            _("The ledger changed while the file was imported; nothing was saved. Try again."),
            code="conflict",
        ) from exc
    if progress:
        progress.job.message = _("%(lines)s bills and %(payments)s payments imported") % result
    return result


@job_handler(JOB_KIND)
def run_history_import(job: Job, progress: Progress) -> dict:
    data = input_bytes(job)
    return import_history(site=job.site, actor=job.actor, data=data, progress=progress)


def start_history_import(*, site, actor, upload) -> Job:
    """Queue an import of `upload`; refused at once if the actor may not post bills here."""
    ensure_can(actor, "billing.run_bills", site)
    ensure_can(actor, "billing.add_payment", site)
    return start_job(
        site=site,
        actor=actor,
        kind=JOB_KIND,
        title=_("Past bills and payments from %(file)s")
        % {"file": getattr(upload, "name", "file")},
        input_file=upload,
    )


def import_report(job: Job) -> list[dict]:
    """Every bad row of a failed import: row, column (as the template heads it), message."""
    return row_report(job, column_label)
