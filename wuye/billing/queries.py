"""Reads the cashier's pages, the API and exports share: finding a unit, a unit's statement
with its running balance, and the home pages' lists (today's takings, the last receipts, the
approval requests one may decide)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wuye.core.money import format_yuan
from wuye.estate.models import Unit
from wuye.ledger.models import Allocation, BillLine
from wuye.people.queries import search_people, with_current_units

from .daily_close import CashierDay, cashier_days
from .figures import local_day
from .models import CreditEntry, Deposit, Payment, Refund, ReliefEntry
from .money import ZERO

FIND_LIMIT = 20


def find_units(site, text: str) -> list[tuple[Unit, list[str]]]:
    """Units by code, or by the name, pinyin, initials or phone digits of the people there now,
    each with those people's names."""
    text = (text or "").strip()
    if not text:
        return []
    found: dict[int, tuple[Unit, list[str]]] = {}
    for unit in (
        Unit.objects.of_site(site).filter(code__icontains=text).order_by("code")[:FIND_LIMIT]
    ):
        found[unit.pk] = (unit, [])
    for person in with_current_units(search_people(site, text))[:FIND_LIMIT]:
        for name in ("current_ownerships", "current_tenancies", "current_households"):
            for entry in getattr(person, name, []):
                found.setdefault(entry.unit.pk, (entry.unit, []))[1].append(person.name)
    return sorted(found.values(), key=lambda pair: pair[0].code)[:FIND_LIMIT]


@dataclass
class Entry:
    at: datetime.datetime
    what: str
    reference: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    balance: Decimal = ZERO


def statement(unit: Unit) -> list[Entry]:
    """Every bill line, relief, payment, credit or deposit use, cancellation, void, deposit and
    refund of the unit in order, with the running balance of what is owed (it ends at
    `payments.ledger(unit).balance`). Deposits and refunds of credit or deposits are listed
    without moving the balance: they are held apart from the bills."""
    entries: list[Entry] = []
    reliefs = list(ReliefEntry.objects.filter(unit=unit).select_related("bill_line__fee_item").order_by("created_at", "id"))  # fmt: skip
    for line in (
        BillLine.objects.filter(unit=unit).select_related("fee_item").order_by("created_at", "id")
    ):
        label = f"{line.fee_item.name} {line.period_start:%Y-%m}"
        entries.append(Entry(line.created_at, _("billed") + f" · {label}", "", debit=line.amount))
        if line.cancelled_at:
            # Relief still live on a cancelled line was already taken off: the rest is cancelled.
            kept = sum((r.amount for r in reliefs if r.bill_line_id == line.pk and r.cancelled_at is None), ZERO)  # fmt: skip
            entries.append(Entry(line.cancelled_at, _("cancelled") + f" · {label} · {line.cancel_reason}", "", credit=line.amount - kept))  # fmt: skip
    for made in reliefs:  # 减免: its own entry, and its cancellation another
        label = f"{made.get_kind_display()} · {made.bill_line.fee_item.name} {made.bill_line.period_start:%Y-%m} · {made.reason}"  # fmt: skip
        entries.append(Entry(made.created_at, _("relief") + f" · {label}", "", credit=made.amount))
        if made.cancelled_at:
            entries.append(Entry(made.cancelled_at, _("relief cancelled") + f" · {label} · {made.cancel_reason}", "", debit=made.amount))  # fmt: skip
    for payment in (
        Payment.objects.filter(unit=unit, deposit__isnull=True)
        .select_related("receipt")
        .prefetch_related("allocations", "credits")
        .order_by("received_at", "id")
    ):
        allocated = sum((a.amount for a in payment.allocations.all()), ZERO)
        to_credit = sum((c.amount for c in payment.credits.all() if c.amount > 0), ZERO)
        what = _("paid") + f" · {payment.get_method_display()}"
        if to_credit:
            what += " · " + _("%(amount)s to credit") % {"amount": format_yuan(to_credit)}
        number = payment.receipt.number if hasattr(payment, "receipt") else ""
        entries.append(Entry(payment.received_at, what, number, credit=allocated))
        if payment.voided_at:
            entries.append(
                Entry(
                    payment.voided_at,
                    _("voided") + f" · {payment.void_reason}",
                    number,
                    debit=allocated,
                )
            )
    for allocation in Allocation.objects.filter(bill_line__unit=unit, payment__isnull=True).select_related("bill_line__fee_item"):  # fmt: skip
        source = _("paid from credit") if allocation.from_credit else _("paid from deposit")
        entries.append(Entry(allocation.created_at, f"{source} · {allocation.bill_line.fee_item.name}", "", credit=allocation.amount))  # fmt: skip
    for deposit in Deposit.objects.filter(unit=unit).select_related("fee_item", "payment__receipt"):
        what = _("deposit taken · %(item)s · %(amount)s held apart") % {"item": deposit.fee_item.name, "amount": format_yuan(deposit.amount)}  # fmt: skip
        entries.append(Entry(deposit.created_at, what, deposit.payment.receipt.number))
    for made in Refund.objects.filter(unit=unit).select_related("bill_line__fee_item", "deposit__fee_item"):  # fmt: skip
        if made.source == Refund.Source.LINE:
            what = _("refunded") + f" · {made.bill_line.fee_item.name} {made.bill_line.period_start:%Y-%m} · {made.reason}"  # fmt: skip
            entries.append(Entry(made.refunded_at, what, "", debit=made.amount))
        else:
            of = made.deposit.fee_item.name if made.deposit_id else _("prepaid credit")
            what = _("refunded") + f" · {of} · {format_yuan(made.amount)} · {made.reason}"
            entries.append(Entry(made.refunded_at, what, ""))
    entries.sort(key=lambda e: e.at)
    balance = ZERO
    for entry in entries:
        balance += entry.debit - entry.credit
        entry.balance = balance
    return entries


def credit_held(unit: Unit) -> Decimal:
    return sum(
        CreditEntry.objects.filter(unit=unit).values_list("amount", flat=True), ZERO
    ).quantize(ZERO)


# ---------------------------------------------------------------------------------------------
# Work to do now: the cashier's and the approvers' home pages


def takings_today(site, cashier) -> CashierDay:
    """What `cashier` took today (the site's day), by method — their line of the daily close."""
    day = local_day(site)
    mine = next((e for e in cashier_days(site, day) if not e.online and e.cashier.pk == cashier.pk), None)  # fmt: skip
    return mine or CashierDay(cashier=cashier)


def last_receipts(site, cashier, limit: int = 8) -> QuerySet[Payment]:
    """The payments `cashier` took last at `site`, newest first, with their receipts and units."""
    return (
        Payment.objects.of_site(site)
        .filter(cashier=cashier, receipt__isnull=False)
        .select_related("receipt", "unit")
        .order_by("-received_at", "-id")[:limit]
    )
