"""Many payments at once (批量收款): a bank's direct-debit results (托收), an online channel's
settled day, a counter's takings keyed in after an outage — each payment received when the
batch says, allocated to its unit's open lines oldest first and given its receipt, exactly the
rows `payments.take_payment` writes, but in a handful of set-based statements: one read of the
units' open lines (locked), one insert each of payments, allocations and receipts (a block of
receipt numbers per year, in the order received), one addition to the collection and income
figures, and the audit entries in bulk.

All or nothing: every payment is checked first — its unit of the site, its method, an amount
above zero and no more than its unit has open (a batch takes no credit), a received time that
is aware and not later than now — and one bad row writes nothing, with an error per row. A
payment with an idempotency key already taken is left out (a bank file posted twice posts
once).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core import clock
from wuye.core.audit import record_bulk_create
from wuye.core.errors import FieldErrors, collecting, field_errors
from wuye.core.money import format_yuan
from wuye.core.numbering import format_document_number, next_document_numbers
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine

from . import figures
from .models import Payment, Receipt
from .money import ZERO
from .payments import _still_open, checked_money, with_outstanding


@dataclass(frozen=True)
class BatchPayment:
    """One payment of a batch: who paid, how much, how, and when it was received."""

    unit: Unit
    amount: Decimal
    method: str
    received_at: datetime.datetime | None = None  # None: now
    payer: str = ""
    reference: str = ""
    idempotency_key: str = ""
    note: str = ""
    # How the money came: a bank's debit file is `bank`, an online channel's settled day
    # `online` (no cashier: the one who posts the batch is in its audit entries only).
    channel: str = Payment.Channel.COUNTER


def take_payments(*, site, actor, batch: Sequence[BatchPayment]) -> list[Payment]:
    """Take every payment of `batch` for `site`, or none (field errors `rows.<n>.<field>`,
    counted from 1). Returns the payments made, in the order received."""
    ensure_can(actor, "billing.add_payment", site)
    with transaction.atomic():
        with collecting() as errors:
            rows = _checked_rows(site, batch, errors)
            units = {item.unit.pk for _n, item, *_rest in rows}
            plan = _allocate(rows, _open_lines(units), errors)
        return _write(site, actor, rows, plan)


def _checked_rows(site, batch: Sequence[BatchPayment], errors: FieldErrors) -> list[tuple]:
    """(row number, payment, amount, received at, key) of each payment to take, in the order
    received; a bad row's errors are kept and the row left out."""
    now = clock.now()
    taken = _taken_keys(site, batch)
    rows = []
    for n, item in enumerate(batch, start=1):
        key = (item.idempotency_key or "").strip()[:80]
        if key and key in taken:
            continue
        if key:
            taken.add(key)
        if item.unit.site_id != site.pk:
            errors.add(f"rows.{n}.unit", _("No such unit at this site."), "not_found")
            continue
        if item.channel not in Payment.Channel.values:
            errors.add(f"rows.{n}.channel", _("Choose how the money came in."), "invalid_choice")
        money = _in_row(errors, n, checked_money, item.method, item.amount, None)
        received_at = item.received_at or now
        if timezone.is_naive(received_at) or received_at > now:
            errors.add(f"rows.{n}.received_at", _("The date is in the future."), "future")
        elif money is not None:
            rows.append((n, item, money[0], received_at, key))
    return sorted(rows, key=lambda row: (row[3], row[0]))


def _in_row(errors: FieldErrors, n: int, check, *args):
    """`check(*args)`, or None with its errors kept under row `n`'s fields."""
    try:
        return check(*args)
    except ValidationError as exc:
        for item in field_errors(exc):
            errors.add(f"rows.{n}.{item['field'] or 'amount'}", item["message"], item["code"])
        return None


def _taken_keys(site, batch: Sequence[BatchPayment]) -> set[str]:
    keys = {(item.idempotency_key or "").strip()[:80] for item in batch} - {""}
    if not keys:
        return set()
    return set(
        Payment.objects.filter(site=site, idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )


def _open_lines(unit_ids: set[int]) -> dict[int, list[BillLine]]:
    """The units' open lines, oldest first, locked in primary-key order."""
    lines = BillLine.objects.select_for_update().filter(
        unit_id__in=unit_ids, cancelled_at__isnull=True
    )
    list(lines.order_by("pk").values_list("pk", flat=True))
    by_unit: dict[int, list[BillLine]] = defaultdict(list)
    ordered = with_outstanding(lines).order_by("unit_id", "due_date", "period_start", "id")
    for line in _still_open(ordered):
        by_unit[line.unit_id].append(line)
    return by_unit


def _allocate(
    rows, open_by_unit: dict[int, list[BillLine]], errors: FieldErrors
) -> list[list[tuple[BillLine, Decimal]]]:
    """Each payment's parts, line by line, in the order received; a payment larger than what
    its unit has open by then is a row error (a batch takes no credit)."""
    left = {line.pk: line.outstanding for lines in open_by_unit.values() for line in lines}
    plan = []
    for n, item, amount, _received_at, _key in rows:
        parts, rest = [], amount
        for line in open_by_unit.get(item.unit.pk, []):
            if rest <= 0:
                break
            part = min(rest, left[line.pk])
            if part > 0:
                parts.append((line, part))
                left[line.pk] -= part
                rest -= part
        if rest > 0:
            message = _("%(amount)s is more than the %(open)s its unit has open by then.")
            errors.add(f"rows.{n}.amount", message % {"amount": format_yuan(amount), "open": format_yuan(amount - rest)}, "more_than_open")  # fmt: skip
        plan.append(parts)
    return plan


def _write(site, actor, rows, plan) -> list[Payment]:
    zone = ZoneInfo(site.time_zone)
    payments = Payment.objects.bulk_create(
        [
            Payment(
                site=site, unit=item.unit, payer=item.payer.strip()[:100], method=item.method,
                amount=amount, change=ZERO, reference=item.reference.strip()[:60],
                idempotency_key=key, received_at=received_at, channel=item.channel,
                cashier=None if item.channel == Payment.Channel.ONLINE else actor,
                note=item.note.strip()[:200],
            )
            for _n, item, amount, received_at, key in rows
        ],
        batch_size=1000,
    )  # fmt: skip
    allocations = Allocation.objects.bulk_create(
        [
            Allocation(bill_line=line, payment=payment, amount=part,
                       collected_on=figures.local_day(site, payment.received_at))
            for payment, parts in zip(payments, plan, strict=True)
            for line, part in parts
        ],
        batch_size=1000,
    )  # fmt: skip
    receivables.allocated(a.pk for a in allocations)
    record_bulk_create(actor, payments)
    # Last, the rows the whole site shares, in the order a cashier's payment takes them (the
    # receipt numbers, then the figures), so a batch and a payment never wait for each other
    # in a circle.
    Receipt.objects.bulk_create(_receipts(site, payments, zone), batch_size=1000)
    figures.taken(*payments, allocations=[a.pk for a in allocations])
    return payments


def _receipts(site, payments: list[Payment], zone: ZoneInfo) -> list[Receipt]:
    """Gap-free receipt numbers per year, in the order the payments were received."""
    by_year: dict[int, list[Payment]] = defaultdict(list)
    for payment in payments:
        by_year[timezone.localtime(payment.received_at, zone).year].append(payment)
    receipts = []
    for year, of_year in sorted(by_year.items()):
        numbers = next_document_numbers(site=site, kind="receipt", year=year, count=len(of_year))
        receipts += [
            Receipt(site_id=site.pk, payment=payment, year=year, sequence=number,
                    number=format_document_number("RC-", site, year, number),
                    issued_at=payment.received_at)
            for payment, number in zip(of_year, numbers, strict=True)
        ]  # fmt: skip
    return receipts
