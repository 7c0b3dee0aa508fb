"""Every change to fee items, rates and bill lines. Bill runs are in `bill_runs.py`.

Each function checks the actor's role and site, owns its transaction and writes the audit
trail. Nothing posted is edited or deleted: a wrong line is cancelled with a reason, by someone
whose authority covers its amount (R-ADM-02).
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.approvals.authority import require_authority
from wuye.core.audit import record_action, record_create, record_update, snapshot
from wuye.core.errors import FieldErrors, collecting, invalid
from wuye.core.money import format_yuan_precise
from wuye.core.permissions import ensure_can
from wuye.estate.models import Building, Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import BillLine
from wuye.staff.models import AuthorityRule

from . import figures, formulas
from .charges import compute, rate_for
from .models import FeeItem, Rate
from .money import RoundingMode, RoundingUnit, as_decimal
from .payments import line_paid

Method = FeeItem.Method
# Meters are read, and leases priced, month by month.
MONTHLY_ONLY = {Method.METER, Method.RENT}
FEE_ITEM_FIELDS = {
    "code", "name", "kind", "is_cyclic", "is_prepaid", "cycle", "due_day", "method", "formula",
    "rounding_unit", "rounding_mode", "vacant", "vacant_percent", "is_active",
}  # fmt: skip


def _check_fee_item(item: FeeItem, errors: FieldErrors) -> None:
    if item.method not in Method.values:
        errors.add("method", _("Choose how the amount is worked out."), "invalid_choice")
    if item.method in MONTHLY_ONLY and (not item.is_cyclic or item.cycle != FeeItem.Cycle.MONTHLY):
        errors.add("cycle", _("Metered charges and rent are billed monthly."), "monthly_only")
    if item.method == Method.RENT and item.kind != FeeItem.Kind.RENT:
        errors.add("method", _("Rent by lease is for rent fee items."), "mismatch")
    if item.method == Method.FORMULA:
        formula = errors.check(formulas.check_formula, item.formula)
        item.formula = item.formula if formula is None else formula
    else:
        item.formula = ""
    if item.rounding_unit not in RoundingUnit.values:
        errors.add("rounding_unit", _("Choose how to round."), "invalid_choice")
    if item.rounding_mode not in RoundingMode.values:
        errors.add("rounding_mode", _("Choose how to round."), "invalid_choice")
    if not 1 <= int(item.due_day) <= 28:
        errors.add("due_day", _("The due day is between 1 and 28."), "range")
    if item.vacant == FeeItem.Vacant.SHARE and not 0 < int(item.vacant_percent) <= 100:
        errors.add("vacant_percent", _("A vacant share is 1 to 100 percent."), "range")
    if item.method == Method.PER_PARKING and item.kind != FeeItem.Kind.PARKING:
        errors.add("method", _("Per parking space is for parking fees."), "mismatch")


def save_fee_item(*, site, actor, item: FeeItem | None = None, **fields) -> FeeItem:
    ensure_can(actor, "billing.change_feeitem" if item else "billing.add_feeitem", site)
    unknown = set(fields) - FEE_ITEM_FIELDS
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    before = snapshot(item) if item else None
    changing_method = item is not None and fields.get("method", item.method) != item.method
    was_kind = item.kind if item is not None else None
    if changing_method and item.lines.exists():
        raise invalid("method", _("Bills were posted by this method; add a new fee item instead."), "posted")  # fmt: skip
    item = item or FeeItem(site=site)
    for name, value in fields.items():
        setattr(item, name, value)
    with collecting() as errors:
        if not (item.name or "").strip():
            errors.add("name", _("Name the fee item."), "required")
        _check_fee_item(item, errors)
    try:
        with transaction.atomic():
            item.save()
            if before is None:
                record_create(actor, item)
            else:
                record_update(actor, item, before)
                figures.fee_item_kind_changed(item, was_kind)
    except IntegrityError:
        raise invalid("code", _("Another fee item has this code."), "duplicate") from None
    return item


def _overlaps(fee_item, unit_use, building, valid_from, valid_to, exclude=None):
    others = Rate.objects.filter(fee_item=fee_item, unit_use=unit_use or "", building=building)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        others = others.filter(valid_from__lte=valid_to)
    return others.order_by("valid_from").first()


def set_rate(
    *, fee_item: FeeItem, actor, amount, valid_from: datetime.date,
    valid_to: datetime.date | None = None, unit_use: str = "", building: Building | None = None,
    tiers: list | None = None, multiplier=1, loss_percent=0, escalation_percent=0,
) -> Rate:  # fmt: skip
    """A rate from a date, for a use and a building or for all. A rate overlapping another of
    the same scope is refused: end the old one first (R-FEE-01)."""
    ensure_can(actor, "billing.add_rate", fee_item.site)
    with transaction.atomic():
        FeeItem.objects.select_for_update().filter(
            pk=fee_item.pk
        ).first()  # one rate change at a time
        with collecting() as errors:
            try:
                amount = as_decimal(amount)
            except ValueError:
                errors.add("amount", _("Enter the rate in yuan, like 2.80."), "invalid")
            else:
                if amount < 0:
                    errors.add("amount", _("A rate can't be negative."), "negative")
            if valid_to is not None and valid_to < valid_from:
                errors.add("valid_to", _("The rate ends before it starts."), "order")
            if unit_use and unit_use not in Unit.Use.values:
                errors.add("unit_use", _("Unknown unit use."), "invalid_choice")
            if building is not None and building.site_id != fee_item.site_id:
                errors.add("building", _("No such building at this site."), "not_found")
            tiers = errors.check(_check_tiers, tiers or [])
            # Which rate it overlaps means something only for a valid period and scope.
            if not errors.has("valid_to", "unit_use", "building"):
                clash = _overlaps(fee_item, unit_use, building, valid_from, valid_to)
                if clash is not None:
                    errors.add(
                        "valid_from",
                        _(
                            "This overlaps the rate of %(amount)s from %(start)s; end that one first."
                        )
                        % {"amount": format_yuan_precise(clash.amount), "start": clash.valid_from},
                        "overlap",
                    )
        rate = Rate.objects.create(
            site_id=fee_item.site_id, fee_item=fee_item, unit_use=unit_use or "", building=building,
            valid_from=valid_from, valid_to=valid_to, amount=amount, tiers=tiers,
            multiplier=as_decimal(multiplier), loss_percent=as_decimal(loss_percent),
            escalation_percent=as_decimal(escalation_percent),
        )  # fmt: skip
        record_create(actor, rate)
    return rate


def end_rate(*, rate: Rate, actor, valid_to: datetime.date) -> Rate:
    ensure_can(actor, "billing.change_rate", rate.site_id)
    if valid_to < rate.valid_from:
        raise invalid("valid_to", _("The rate ends before it starts."), "order")
    with transaction.atomic():
        before = snapshot(rate)
        rate.valid_to = valid_to
        rate.save()
        record_update(actor, rate, before, verb=_("rate ended"))
    return rate


def _check_tiers(tiers: list) -> list:
    clean, last = [], Decimal(0)
    for i, tier in enumerate(tiers):
        try:
            price = as_decimal(tier["rate"])
            upto = tier.get("upto")
            top = as_decimal(upto) if upto not in (None, "") else None
        except (KeyError, TypeError, ValueError):
            raise invalid(
                "tiers", _("Each tier needs a rate and an upper bound."), "invalid"
            ) from None
        if price < 0 or (top is not None and top <= last):
            raise invalid("tiers", _("Tiers go upwards and rates can't be negative."), "order")
        if top is None and i != len(tiers) - 1:
            raise invalid("tiers", _("Only the last tier is without a bound."), "order")
        clean.append({"upto": str(top) if top is not None else None, "rate": str(price)})
        last = top or last
    return clean


# ---------------------------------------------------------------------------------------------
# One-off charges and cancellations


def due_date_for(
    fee_item: FeeItem, period_start: datetime.date, period_end: datetime.date
) -> datetime.date:
    """Prepaid: the due day of the period's first month; postpaid: of the month after it."""
    day = fee_item.due_day
    if fee_item.is_prepaid:
        return period_start.replace(day=min(day, 28))
    year, month = (
        (period_end.year + 1, 1)
        if period_end.month == 12
        else (period_end.year, period_end.month + 1)
    )
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_charge(
    *, site, actor, fee_item: FeeItem, unit: Unit, period_start: datetime.date,
    period_end: datetime.date | None = None, amount=None, note: str = "", key: str = "",
) -> BillLine:  # fmt: skip
    """A single one-off charge on a unit (a paid service, a replacement card…): the amount
    given, or the fee item's own amount for the unit. `key` names the charge so that
    posting it twice posts it once (billing takes a paid-service ticket's number)."""
    ensure_can(actor, "ledger.add_billline", site)
    period_end = period_end or period_start
    with collecting() as errors:
        if fee_item.site_id != site.pk or unit.site_id != site.pk:
            errors.add("unit", _("No such unit at this site."), "not_found")
        if fee_item.kind == FeeItem.Kind.DEPOSIT:
            errors.add("fee_item", _("A deposit is taken as a deposit, not charged."), "deposit")
        if period_end < period_start:
            errors.add("period_end", _("The period ends before it starts."), "order")
        if amount not in (None, ""):
            try:
                amount = as_decimal(amount).quantize(Decimal("0.01"))
            except ValueError:
                errors.add("amount", _("Enter an amount in yuan, like 80.00."), "invalid")
            else:
                if amount <= 0:
                    errors.add("amount", _("A charge must be more than zero."), "not_positive")
            quantity, rate_amount = Decimal(1), amount
        elif not errors.has("unit", "fee_item"):  # the rate is the fee item's for this unit
            rate = rate_for(fee_item, unit, period_start)
            if rate is None:
                errors.add(
                    "fee_item", _("This fee item has no rate in force for the unit."), "no_rate"
                )
            else:
                charge = errors.check(compute, fee_item, rate, unit=unit)
                if charge is not None:
                    quantity, rate_amount, amount = charge.quantity, charge.rate, charge.amount
    target = f"once:{key}" if key else f"once:{unit.pk}:{timezone.now().timestamp()}"
    try:
        with transaction.atomic():
            line = BillLine.objects.create(
                site=site, fee_item=fee_item, target=target[:40], unit=unit,
                period_start=period_start, period_end=period_end, quantity=quantity,
                rate=rate_amount, amount=amount, due_date=due_date_for(fee_item, period_start, period_end),
                note=note.strip()[:200],
            )  # fmt: skip
            figures.lines_posted(site_id=site.pk, lines=[line.pk])
            record_create(actor, line)
    except IntegrityError:
        return BillLine.objects.get(fee_item=fee_item, target=target[:40], period_start=period_start, reversed=False)  # fmt: skip
    return line


def cancel_bill_line(*, line: BillLine, actor, reason: str) -> BillLine:
    """Cancel a wrong line (it stays, marked), if the actor's post may cancel one of its amount
    (authority matrix: cancel bill line); otherwise the refusal names who may."""
    ensure_can(actor, "billing.cancel_billline", line.site_id)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the line is cancelled."), "required")
    with transaction.atomic():
        line = BillLine.objects.select_for_update().get(pk=line.pk)
        if line.cancelled_at is not None:
            raise invalid(None, _("This line is already cancelled."), "cancelled")
        if line_paid(line) > 0:
            raise invalid(None, _("This line is paid; void or refund the payment first."), "paid")
        require_authority(actor, line.site_id, AuthorityRule.Action.CANCEL_BILL_LINE, line.amount)
        # Before it is marked: both count the live line.
        receivables.lines_cancelled(lines=[line.pk], day=figures.local_day(line.site_id))
        figures.lines_cancelled(site_id=line.site_id, lines=[line.pk])
        line.cancelled_at, line.cancelled_by, line.cancel_reason = (
            timezone.now(),
            actor,
            reason[:200],
        )
        line.save()
        record_action(actor, line, _("cancelled"), {"reason": [None, reason]})
    return line


def post_paid_services(*, site, actor, fee_item: FeeItem) -> int:
    """Post the service desk's completed paid jobs (R-REP-03) as one-off charges on their
    units, keyed by the ticket number (posting twice posts once), and tell the desk."""
    from wuye.servicedesk.services import mark_charged, paid_service_charges

    ensure_can(actor, "ledger.add_billline", site)
    if fee_item.site_id != site.pk:
        raise invalid("fee_item", _("No such fee item at this site."), "not_found")
    posted = 0
    for ticket in (
        paid_service_charges(site).filter(unit__isnull=False).select_related("unit", "price_item")
    ):
        with transaction.atomic():
            completed = timezone.localdate(ticket.completed_at)
            line = add_charge(
                site=site, actor=actor, fee_item=fee_item, unit=ticket.unit, period_start=completed,
                amount=ticket.charge_amount, key=ticket.number,
                note=f"{ticket.number} {ticket.price_item.name if ticket.price_item else ''}",
            )  # fmt: skip
            mark_charged(ticket=ticket, actor=actor, reference=f"BL-{line.pk}")
            posted += 1
    return posted
