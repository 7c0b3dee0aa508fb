"""退款: money paid back, each with a reason, by someone whose authority covers the amount
(R-ADM-02) or once an approval request is approved.

- A line's payment: what was paid on the line goes down, so the line is open again (cancel it
  if it was wrong). This is the ledger's "refunded" term.
- Prepaid credit: the unit's credit (general or earmarked) goes down.
- A deposit: what is held goes down.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.approvals.authority import require_authority
from wuye.core.audit import record_create
from wuye.core.errors import collecting, invalid
from wuye.core.money import format_yuan
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import BillLine
from wuye.staff.models import AuthorityRule

from . import deposits, figures
from .models import CreditEntry, Deposit, FeeItem, Refund
from .payments import checked_money, credit_balance, line_paid

Source = Refund.Source


def check_available(*, unit: Unit, source: str, amount, bill_line=None, deposit=None,
                    fee_item=None) -> tuple:  # fmt: skip
    """That `amount` can be refunded from this source of the unit (a field error otherwise);
    returns the (bill line, deposit, fee item) the source names, the others None."""
    if source == Source.LINE:
        if bill_line is None or bill_line.unit_id != unit.pk:
            raise invalid("bill_line", _("Choose a line of this unit."), "not_found")
        BillLine.objects.select_for_update(of=("self",)).filter(pk=bill_line.pk).first()
        available, named = line_paid(bill_line), (bill_line, None, None)
    elif source == Source.CREDIT:
        if fee_item is not None and fee_item.site_id != unit.site_id:
            raise invalid("fee_item", _("No such fee item at this site."), "not_found")
        available, named = credit_balance(unit, fee_item), (None, None, fee_item)
    elif source == Source.DEPOSIT:
        if deposit is None or deposit.unit_id != unit.pk:
            raise invalid("deposit", _("Choose a deposit of this unit."), "not_found")
        deposit = Deposit.objects.select_for_update(of=("self",)).select_related("payment").get(pk=deposit.pk)  # fmt: skip
        available, named = deposits.held(deposit), (None, deposit, None)
    else:
        raise invalid("source", _("Choose what is refunded."), "invalid_choice")
    if amount > available:
        raise invalid("amount", _("Only %(available)s can be refunded.") % {"available": format_yuan(available)}, "more_than_available")  # fmt: skip
    return named


def refund(
    *, site, actor, unit: Unit, source: str, amount, method: str, reason: str,
    bill_line: BillLine | None = None, deposit: Deposit | None = None,
    fee_item: FeeItem | None = None, paid_to: str = "", approval=None,
) -> Refund:  # fmt: skip
    """Pay money back to the unit. `approval`: an approved request that covers it (the
    authority check is then the approver's, already made)."""
    ensure_can(actor, "billing.add_refund", site)
    reason = (reason or "").strip()
    with collecting() as errors:
        if unit.site_id != site.pk:
            errors.add("unit", _("No such unit at this site."), "not_found")
        if not reason:
            errors.add("reason", _("Say why the money is refunded."), "required")
        money = errors.check(checked_money, method, amount, None)
    amount, _tendered, _change = money
    if approval is None:
        require_authority(actor, site.pk, AuthorityRule.Action.REFUND, amount)
    with transaction.atomic():
        # One refund of a unit at a time, so two can't both take what is available.
        Unit.objects.select_for_update(of=("self",)).filter(pk=unit.pk).first()
        bill_line, deposit, fee_item = check_available(
            unit=unit, source=source, amount=amount, bill_line=bill_line, deposit=deposit,
            fee_item=fee_item,
        )  # fmt: skip
        now = timezone.now()
        made = Refund.objects.create(
            site=site, unit=unit, source=source, amount=amount, method=method,
            bill_line=bill_line, deposit=deposit, fee_item=fee_item, reason=reason[:200],
            paid_to=paid_to.strip()[:100], refunded_by=actor, refunded_at=now,
            refunded_on=figures.local_day(site, now), approval=approval,
        )  # fmt: skip
        receivables.refunded(made)
        figures.refunded(made)
        if source == Source.CREDIT:
            CreditEntry.objects.create(site=site, unit=unit, fee_item=fee_item, amount=-amount,
                                       note=_("refunded"))  # fmt: skip
        record_create(actor, made)
    return made
