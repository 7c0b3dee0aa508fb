"""Payments, receipts and prepaid credit (docs/billing.md, Payments, credit and receipts), and
voids within the authority matrix (R-ADM-02; docs/billing.md, Corrections without edits).

A payment is allocated to the unit's open lines — oldest first, or the lines the cashier
chose — inside one transaction that locks those lines, so two cashiers paying the same line at
once cannot both succeed. What is left over becomes prepaid credit when the cashier takes it
as credit; otherwise a payment larger than what is open is refused. A client retrying with the
same idempotency key gets the first payment back. Each payment gets a receipt whose number is
taken inside the same transaction: gap-free per site and year. The rows a whole site shares —
the receipt number and the collection figures — are taken last, just before the transaction
commits, so payments of different units of one site wait for each other only that long; every
lock is waited for at most `WUYE_LOCK_TIMEOUT_MS`, after which the cashier is told the system is
busy (`wuye.core.locking`).

The ledger of a unit always balances (`ledger`):
    billed − cancelled − paid + refunded − credit used − relief = balance
where relief is the live relief entries on lines not cancelled (`relief.py`): a line owes
amount − paid − relief (`with_outstanding`), never less than nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.approvals.authority import require_authority
from wuye.core import clock
from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.locking import busy_on_lock_timeout, set_lock_timeout
from wuye.core.money import format_yuan
from wuye.core.numbering import format_document_number, next_document_number
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine
from wuye.ledger.services import MONEY
from wuye.staff.models import AuthorityRule

from . import figures
from .models import CreditEntry, FeeItem, Payment, Receipt, Refund, ReliefEntry
from .money import CENT, ZERO, as_decimal


def _sum(qs, field="amount") -> Decimal:
    """A sum of money to the fen (SQLite hands sums back with float digits)."""
    total = qs.aggregate(total=Coalesce(Sum(field), Value(ZERO), output_field=MONEY))["total"]
    return Decimal(total).quantize(CENT)


def with_outstanding(lines):
    """Lines with what is paid on them (`paid`) and the relief granted on them (`relief`), as
    the receivables ledger keeps them on each line (`receivables`): a line owes amount − paid − relief
    (`open_amount`)."""
    return lines.annotate(paid=F("paid_amount"), relief=F("relief_amount"))


def line_paid(line: BillLine) -> Decimal:
    """What is paid on a line and not refunded."""
    return BillLine.objects.values_list("paid_amount", flat=True).get(pk=line.pk)


def line_outstanding(line: BillLine) -> Decimal:
    """What is still owed on a line: amount − paid − relief (nothing on a cancelled line)."""
    return BillLine.objects.values_list("open_amount", flat=True).get(pk=line.pk)


def open_lines(unit: Unit):
    """The unit's lines not cancelled and not fully paid, oldest first."""
    lines = with_outstanding(BillLine.objects.filter(unit=unit, cancelled_at__isnull=True))
    return _still_open(lines.select_related("fee_item").order_by("due_date", "period_start", "id"))


def _still_open(lines) -> list[BillLine]:
    """The lines with something left to pay, each with `paid` and `outstanding` to the fen
    (SQLite hands sums back with float digits)."""
    found = []
    for line in lines:
        line.paid = line.paid.quantize(CENT)
        line.relief = line.relief.quantize(CENT)
        line.outstanding = line.amount - line.paid - line.relief
        if line.outstanding > 0:
            found.append(line)
    return found


def credit_balance(unit: Unit, fee_item: FeeItem | None = None) -> Decimal:
    """Credit the unit holds: general (`fee_item` None) or earmarked for one fee item."""
    return _sum(CreditEntry.objects.filter(unit=unit, fee_item=fee_item))


@dataclass(frozen=True)
class Ledger:
    billed: Decimal
    cancelled: Decimal
    paid: Decimal
    refunded: Decimal
    credit_in: Decimal
    credit_used: Decimal
    relief: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """What the unit owes (negative: what it holds in credit)."""
        return (
            self.billed
            - self.cancelled
            - self.paid
            + self.refunded
            - self.credit_used
            - self.relief
        )


def ledger(unit: Unit) -> Ledger:
    lines = BillLine.objects.filter(unit=unit)
    allocations = Allocation.objects.filter(bill_line__unit=unit, undone=False)
    credits = CreditEntry.objects.filter(unit=unit)
    return Ledger(
        billed=_sum(lines),
        cancelled=_sum(lines.filter(cancelled_at__isnull=False)),
        paid=_sum(allocations.filter(from_credit=False)),
        refunded=_sum(Refund.objects.filter(unit=unit, source=Refund.Source.LINE)),
        credit_in=_sum(credits.filter(amount__gt=0)),
        credit_used=_sum(allocations.filter(from_credit=True)),
        relief=_sum(
            ReliefEntry.objects.filter(
                unit=unit, cancelled_at__isnull=True, bill_line__cancelled_at__isnull=True
            )
        ),
    )


def checked_money(method: str, amount, tendered) -> tuple[Decimal, Decimal | None, Decimal]:
    """The amount, the cash tendered and the change of money taken, or the field errors of
    all three at once."""
    with collecting() as errors:
        try:
            amount = as_decimal(amount).quantize(CENT)
            tendered = None if tendered in (None, "") else as_decimal(tendered).quantize(CENT)
        except ValueError:
            errors.add("amount", _("Enter the amount in yuan, like 350.00."), "invalid")
        else:
            if amount <= 0:
                errors.add("amount", _("A payment must be more than zero."), "not_positive")
        if method not in Payment.Method.values:
            errors.add("method", _("Choose how the money was paid."), "invalid_choice")
        elif (
            method == Payment.Method.CASH
            and tendered is not None
            and not errors.has("amount")  # short of a valid amount only
            and tendered < amount
        ):
            errors.add("tendered", _("The cash handed over is less than the amount."), "short")
    if method != Payment.Method.CASH or tendered is None:
        return amount, None, ZERO
    return amount, tendered, tendered - amount


def lock_open_lines(unit: Unit, chosen: Iterable[int] | None):
    """The unit's open lines (or the `chosen` ones), locked, oldest first. One statement: the
    rows lock in id order, and what a payment that held one committed meanwhile is what this
    reads of it (PostgreSQL reads a row it waited for afresh), so two payments of one line
    never both see it open."""
    lines = BillLine.objects.select_for_update().filter(unit=unit, cancelled_at__isnull=True)
    if chosen is not None:
        chosen = list(chosen)
        lines = lines.filter(pk__in=chosen)
    else:
        lines = lines.filter(open_amount__gt=0)
    locked = list(with_outstanding(lines).order_by("pk"))
    if chosen is not None and len(locked) != len(set(chosen)):
        raise invalid("lines", _("Choose open lines of this unit."), "not_found")
    locked.sort(key=lambda line: (line.due_date, line.period_start, line.pk))
    return _still_open(locked)


def take_payment(
    *, site, actor, unit: Unit, method: str, amount, lines: Iterable[int] | None = None,
    tendered=None, take_rest_as_credit: bool = False, earmark: FeeItem | None = None,
    payer: str = "", reference: str = "", idempotency_key: str = "", note: str = "",
    channel: str = Payment.Channel.COUNTER, verb: str = "",
) -> Payment:  # fmt: skip
    """Take a payment for `unit` against its open lines (oldest first, or `lines`).

    `channel` online: money a resident paid through a gateway — no cashier took it, so `actor`
    is None and `verb` says for the audit entry which order and gateway it came by."""
    online = channel == Payment.Channel.ONLINE
    if not online:
        ensure_can(actor, "billing.add_payment", site)
    if unit.site_id != site.pk:
        raise invalid("unit", _("No such unit at this site."), "not_found")
    key = (idempotency_key or "").strip()[:80]
    if key:
        earlier = _by_key(site, key)
        if earlier is not None:
            return _same_retry(earlier, unit, amount)
    with collecting() as errors:
        money = errors.check(checked_money, method, amount, tendered)
        if earmark is not None and (earmark.site_id != site.pk or not take_rest_as_credit):
            errors.add("earmark", _("Earmark credit of this site's fee items, taken as credit."), "invalid")  # fmt: skip
    amount, tendered, change = money
    try:
        with busy_on_lock_timeout(), transaction.atomic():
            set_lock_timeout()
            open_ = lock_open_lines(unit, lines)
            outstanding = sum((line.outstanding for line in open_), ZERO)
            if amount > outstanding and not take_rest_as_credit:
                if key:  # a retry that waited for the lines' locks finds the payment made meanwhile
                    earlier = _by_key(site, key)
                    if earlier is not None:
                        return _same_retry(earlier, unit, amount)
                if outstanding == 0:  # another cashier paid it a moment ago
                    raise _nothing_open(chosen=lines is not None)
                raise invalid(
                    "amount",
                    _(
                        "%(amount)s is more than the %(open)s open; take the rest as credit or lower the amount."
                    )
                    % {"amount": format_yuan(amount), "open": format_yuan(outstanding)},
                    "more_than_open",
                )
            payment = Payment.objects.create(
                site=site, unit=unit, payer=payer.strip()[:100], method=method, amount=amount,
                tendered=tendered, change=change, reference=reference.strip()[:60],
                idempotency_key=key, cashier=None if online else actor, channel=channel,
                received_at=clock.now(), note=note.strip()[:200],
            )  # fmt: skip
            left, allocations = amount, []
            day = figures.local_day(site, payment.received_at)
            for line in open_:
                if left <= 0:
                    break
                part = min(left, line.outstanding)
                allocations.append(Allocation(bill_line=line, payment=payment, amount=part, collected_on=day))  # fmt: skip
                left -= part
            Allocation.objects.bulk_create(allocations)
            receivables.allocated(a.pk for a in allocations)
            if left > 0:
                CreditEntry.objects.create(site=site, unit=unit, fee_item=earmark, amount=left,
                                           payment=payment, note=_("overpayment"))  # fmt: skip
            record_create(None if online else actor, payment, verb=verb[:100])
            settle(payment, allocations=[a.pk for a in allocations])
    except IntegrityError:
        if key:  # the same key, taken by a concurrent retry a moment ago
            return _same_retry(_by_key(site, key), unit, amount)
        raise
    return payment


def _nothing_open(*, chosen: bool):
    if chosen:
        return invalid("lines", _("These lines were just paid: nothing is open on them any more."), "nothing_open")  # fmt: skip
    return invalid("amount", _("Nothing is open on this unit any more: it was just paid."), "nothing_open")  # fmt: skip


def settle(payment: Payment, *, allocations: list[int]) -> Receipt:
    """The end of a payment: its receipt number, then its income and collected money in the
    figures — the rows the whole site shares, so taken last, in this order (as a batch does),
    and held only until the caller's transaction commits."""
    receipt = issue_receipt(payment)
    figures.taken(payment, allocations=allocations)
    return receipt


def _by_key(site, key: str) -> Payment | None:
    # The "not empty" condition lets SQLite use the partial unique index on (site, key).
    return (
        Payment.objects.filter(site=site, idempotency_key=key).exclude(idempotency_key="").first()
    )


def _same_retry(earlier: Payment, unit: Unit, amount) -> Payment:
    if earlier.unit_id != unit.pk or earlier.amount != as_decimal(amount).quantize(Decimal("0.01")):
        raise invalid("idempotency_key", _("This key was used for another payment."), "key_reused")
    return earlier


def issue_receipt(payment: Payment) -> Receipt:
    year = timezone.localtime(payment.received_at, ZoneInfo(payment.site.time_zone)).year
    sequence = next_document_number(site=payment.site, kind="receipt", year=year)
    return Receipt.objects.create(
        site_id=payment.site_id, payment=payment, year=year, sequence=sequence,
        number=format_document_number("RC-", payment.site, year, sequence),
        issued_at=payment.received_at,
    )  # fmt: skip


def apply_credit(*, unit: Unit, actor=None) -> Decimal:
    """Draw the unit's credit onto its open lines, oldest first — earmarked credit onto its
    fee item's lines, general credit onto any. Returns what was used."""
    used, made = ZERO, []
    with transaction.atomic():
        day = figures.local_day(unit.site_id)
        for line in lock_open_lines(unit, None):
            left = line.outstanding
            for earmark in (line.fee_item, None):
                if left <= 0:
                    break
                available = credit_balance(unit, earmark)
                part = min(available, left)
                if part <= 0:
                    continue
                made.append(Allocation.objects.create(bill_line=line, from_credit=True, amount=part, collected_on=day).pk)  # fmt: skip
                CreditEntry.objects.create(site_id=unit.site_id, unit=unit, fee_item=earmark,
                                           amount=-part, bill_line=line, note=_("used"))  # fmt: skip
                left -= part
                used += part
        receivables.allocated(made)
        figures.allocated(site_id=unit.site_id, allocations=made)
    return used


def void_payment(*, payment: Payment, actor, reason: str) -> Payment:
    """Void a payment: its allocations are undone (the lines are open again) and its credit
    taken back — refused when that credit was already used."""
    ensure_can(actor, "billing.void_payment", payment.site_id)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the payment is voided."), "required")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.voided_at is not None:
            raise invalid(None, _("This payment is already voided."), "voided")
        require_authority(actor, payment.site_id, AuthorityRule.Action.VOID_PAYMENT, payment.amount)
        if Refund.objects.filter(bill_line__allocations__payment=payment).exists():
            raise invalid(None, _("Money paid by this payment was refunded; it can't be voided."), "refunded")  # fmt: skip
        deposit = getattr(payment, "deposit", None)
        if deposit is not None and (deposit.allocations.filter(undone=False).exists() or deposit.refunds.exists()):  # fmt: skip
            raise invalid(None, _("This deposit was applied or refunded; it can't be voided."), "deposit_used")  # fmt: skip
        credit = _sum(payment.credits.all())
        if credit > 0:
            earmark = payment.credits.values_list("fee_item", flat=True).first()
            if credit_balance(payment.unit, FeeItem.objects.filter(pk=earmark).first()) < credit:
                raise invalid(None, _("Credit from this payment was already used; cancel or refund that first."), "credit_used")  # fmt: skip
            CreditEntry.objects.create(site_id=payment.site_id, unit_id=payment.unit_id,
                                       fee_item_id=earmark, amount=-credit, payment=payment,
                                       note=_("voided"))  # fmt: skip
        receivables.voided(payment, figures.local_day(payment.site_id))  # before they are undone
        figures.voided(payment)
        payment.allocations.update(undone=True)
        payment.voided_at, payment.voided_by, payment.void_reason = (
            timezone.now(),
            actor,
            reason[:200],
        )
        payment.save()
        record_action(actor, payment, _("voided"), {"reason": [None, reason]})
    return payment
