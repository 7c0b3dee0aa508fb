"""押金: deposits (renovation, keys…) taken from a unit, held apart from its bills, and later
refunded (`refunds.refund`) or applied to its charges. Taking one issues a receipt like any
payment; until applied, it pays nothing and the unit's balance does not move."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from wuye.core import clock
from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.money import format_yuan
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation

from . import figures
from .models import Deposit, FeeItem, Payment
from .money import ZERO
from .payments import checked_money, issue_receipt, lock_open_lines


def held(deposit: Deposit) -> Decimal:
    """What is still held: the amount less what was applied and refunded (nothing, once its
    payment is voided)."""
    if deposit.payment.voided_at is not None:
        return ZERO
    applied = deposit.allocations.filter(undone=False).aggregate(t=Sum("amount"))["t"] or 0
    refunded = deposit.refunds.aggregate(t=Sum("amount"))["t"] or 0
    return (deposit.amount - Decimal(applied) - Decimal(refunded)).quantize(ZERO)


def deposits_of(unit: Unit) -> list[Deposit]:
    """The unit's deposits, newest first, each with `held`."""
    found = list(Deposit.objects.filter(unit=unit).select_related("fee_item", "payment__receipt"))
    for deposit in found:
        deposit.held = held(deposit)
    return found


def take_deposit(
    *, site, actor, unit: Unit, fee_item: FeeItem, amount, method: str, tendered=None,
    payer: str = "", reference: str = "", note: str = "",
) -> Deposit:  # fmt: skip
    """Take a deposit for `fee_item` (a deposit kind) from the unit, with its receipt."""
    ensure_can(actor, "billing.add_deposit", site)
    with collecting() as errors:
        if unit.site_id != site.pk:
            errors.add("unit", _("No such unit at this site."), "not_found")
        if fee_item.site_id != site.pk or fee_item.kind != FeeItem.Kind.DEPOSIT:
            errors.add("fee_item", _("Choose one of this site's deposit items."), "not_deposit")
        money = errors.check(checked_money, method, amount, tendered)
    amount, tendered, change = money
    with transaction.atomic():
        payment = Payment.objects.create(
            site=site, unit=unit, payer=payer.strip()[:100], method=method, amount=amount,
            tendered=tendered, change=change, reference=reference.strip()[:60], cashier=actor,
            received_at=clock.now(), note=_("deposit") + f" · {fee_item.name}",
        )  # fmt: skip
        deposit = Deposit.objects.create(
            site=site, unit=unit, fee_item=fee_item, payment=payment, amount=amount,
            note=note.strip()[:200],
        )  # fmt: skip
        issue_receipt(payment)
        figures.received(payment)
        record_create(actor, deposit)
    return deposit


def apply_deposit(*, deposit: Deposit, actor, amount=None, lines=None) -> Decimal:
    """Pay the unit's open lines (oldest first, or `lines`) from the deposit — all that is held,
    or `amount`. Returns what was applied."""
    ensure_can(actor, "billing.add_payment", deposit.site_id)
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update(of=("self",)).select_related("payment", "unit").get(pk=deposit.pk)  # fmt: skip
        available = held(deposit)
        if amount not in (None, ""):
            amount, _tendered, _change = checked_money(Payment.Method.TRANSFER, amount, None)
            if amount > available:
                raise invalid("amount", _("Only %(held)s of this deposit is held.") % {"held": format_yuan(available)}, "more_than_held")  # fmt: skip
        else:
            amount = available
        if amount <= 0:
            raise invalid(None, _("Nothing of this deposit is held."), "nothing_held")
        open_ = lock_open_lines(deposit.unit, lines)
        if not open_:
            raise invalid("lines", _("The unit has no open lines to pay."), "nothing_open")
        left, made, day = amount, [], figures.local_day(deposit.site_id)
        for line in open_:
            part = min(left, line.outstanding)
            if part <= 0:
                break
            made.append(Allocation.objects.create(bill_line=line, deposit=deposit, amount=part, collected_on=day).pk)  # fmt: skip
            left -= part
        receivables.allocated(made)
        figures.allocated(site_id=deposit.site_id, allocations=made)
        applied = amount - left
        record_action(actor, deposit, _("applied"), {"amount": [None, str(applied)]})
    return applied
