"""How much one charge is: the period a run bills an item for, the share of it a unit bears
(vacancy, a mid-period move-in), the rate in force for a unit, and the amount by the fee item's
method, rounded once by its rule. The bill run computes the area and fixed methods in SQL with
the same arithmetic (`bill_runs.py`); this module is the reference the tests hold both to, and
what one-off charges and the custom formula use."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from wuye.core.errors import invalid
from wuye.estate.models import Unit

from . import formulas
from .models import FeeItem, Rate
from .money import ZERO, as_decimal, round_charge

Method = FeeItem.Method
CYCLE_MONTHS = {FeeItem.Cycle.MONTHLY: 1, FeeItem.Cycle.QUARTERLY: 3, FeeItem.Cycle.YEARLY: 12}
VACANT_STATES = (Unit.State.VACANT, Unit.State.UNSOLD)


def period_of(
    fee_item: FeeItem, month: datetime.date
) -> tuple[datetime.date, datetime.date] | None:
    """The period a run for `month` bills for this item, or None when its cycle does not start
    that month (quarters start in January, April, July and October; years in January)."""
    months = CYCLE_MONTHS[fee_item.cycle]
    if (month.month - 1) % months:
        return None
    end_month = month.month + months - 1
    end_year = month.year + (end_month - 1) // 12
    end_month = (end_month - 1) % 12 + 1
    return month, datetime.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])


def unit_factor(fee_item: FeeItem, unit: Unit, start, end, moved_in=None) -> Decimal:
    """The part of the period's charge a unit bears. Vacant and unsold units bear the item's
    vacant share; a unit moved into mid-period bears the days before by the vacant rule and
    the days from the move-in in full: (occupied days + other days × share) / period days."""
    share = {FeeItem.Vacant.FULL: Decimal(1), FeeItem.Vacant.NONE: Decimal(0)}.get(
        fee_item.vacant, Decimal(fee_item.vacant_percent) / 100
    )
    if moved_in is not None:
        days = (end - start).days + 1
        occupied = (end - moved_in).days + 1
        return (occupied + (days - occupied) * share) / days
    return share if unit.state in VACANT_STATES else Decimal(1)


def rates_in_force(fee_item: FeeItem, day: datetime.date):
    return Rate.objects.filter(fee_item=fee_item, valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def specificity(rate: Rate) -> int:
    """A building-and-use rate beats a building rate, which beats a use rate, which beats the
    item's general rate."""
    return (2 if rate.building_id else 0) + (1 if rate.unit_use else 0)


def rate_for(fee_item: FeeItem, unit: Unit | None, day: datetime.date) -> Rate | None:
    """The most specific rate of `fee_item` in force on `day` that applies to `unit`."""
    best = None
    for rate in rates_in_force(fee_item, day):
        if unit is not None:
            if rate.building_id and rate.building_id != unit.building_id:
                continue
            if rate.unit_use and rate.unit_use != unit.use:
                continue
        elif rate.building_id or rate.unit_use:
            continue
        if best is None or specificity(rate) > specificity(best):
            best = rate
    return best


@dataclass(frozen=True)
class Charge:
    quantity: Decimal
    rate: Decimal
    amount: Decimal


def tiered(usage: Decimal, tiers: list[dict], flat: Decimal) -> Decimal:
    """Usage priced by tiers: each tier's `rate` up to its `upto` (cumulative), the last
    without a limit; no tiers: the flat rate."""
    if not tiers:
        return usage * flat
    total, below = ZERO, Decimal(0)
    for tier in tiers:
        upto = tier.get("upto")
        top = as_decimal(upto) if upto not in (None, "") else None
        portion = usage - below if top is None else max(min(usage, top) - below, Decimal(0))
        total += portion * as_decimal(tier["rate"])
        if top is None or usage <= top:
            break
        below = top
    return total


def metered_usage(raw: Decimal, rate: Rate) -> Decimal:
    """usage = (this − last) × multiplier, plus the loss allowance (R-FEE-02)."""
    usage = as_decimal(raw) * rate.multiplier
    return usage + usage * rate.loss_percent / 100


def compute(
    fee_item: FeeItem,
    rate: Rate,
    *,
    unit: Unit | None = None,
    usage: Decimal | None = None,
    factor: Decimal = Decimal(1),
    days: int | None = None,
    period_days: int | None = None,
) -> Charge:
    """The charge of one object for one period. `factor` is the vacant share or the part of the
    period charged (proration), applied before rounding."""
    method = fee_item.method
    amount_rate = rate.amount
    if method == Method.FLOOR_AREA:
        quantity = unit.floor_area
    elif method == Method.INDOOR_AREA:
        quantity = unit.indoor_area or ZERO
    elif method in (Method.PER_UNIT, Method.PER_PARKING):
        quantity = Decimal(1)
    elif method == Method.METER:
        if usage is None or usage < 0:
            raise invalid("usage", _("A metered charge needs the period's usage."), "usage")
        quantity = metered_usage(usage, rate)
        raw = tiered(quantity, rate.tiers, amount_rate)
        return Charge(quantity, amount_rate, round_charge(raw * factor, fee_item.rounding_unit, fee_item.rounding_mode))  # fmt: skip
    elif method == Method.FORMULA:
        names = {
            "area": unit.floor_area if unit else ZERO,
            "indoor_area": (unit.indoor_area or ZERO) if unit else ZERO,
            "floor": Decimal(unit.floor) if unit else ZERO,
            "coefficient": unit.fee_coefficient if unit else Decimal(1),
            "rate": amount_rate,
            "usage": as_decimal(usage) if usage is not None else ZERO,
            "days": Decimal(days if days is not None else 30),
            "period_days": Decimal(period_days if period_days is not None else 30),
        }
        raw = formulas.evaluate(fee_item.formula, names)
        if raw < 0:
            raise invalid("formula", _("The formula gives a negative amount."), "negative")
        return Charge(Decimal(1), amount_rate, round_charge(raw * factor, fee_item.rounding_unit, fee_item.rounding_mode))  # fmt: skip
    else:  # rent is priced by its lease (`rent_charge`)
        raise ValueError(method)
    raw = quantity * amount_rate * factor
    return Charge(
        quantity, amount_rate, round_charge(raw, fee_item.rounding_unit, fee_item.rounding_mode)
    )


def full_years(since: datetime.date, day: datetime.date) -> int:
    """Whole years from `since` to `day` (a lease's anniversaries passed)."""
    return day.year - since.year - ((day.month, day.day) < (since.month, since.day))


def covered_days(start: datetime.date, end: datetime.date, first: datetime.date,
                 last: datetime.date | None) -> int:  # fmt: skip
    """How many days of the period [start, end] fall within [first, last]."""
    low, high = max(start, first), min(end, last) if last else end
    return max((high - low).days + 1, 0)


def rent_charge(fee_item: FeeItem, lease, start: datetime.date, end: datetime.date) -> Charge:
    """A lease's rent for the period [start, end]: the monthly rent × the period's months,
    raised by the yearly escalation for each full year since the lease began, × the part of
    the period the lease covers (a first or last month is prorated by days), rounded once."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    period_days = (end - start).days + 1
    days = covered_days(start, end, lease.starts_on, lease.last_day)
    years = full_years(lease.starts_on, max(start, lease.starts_on))
    monthly = lease.monthly_rent * (1 + lease.escalation_percent / 100) ** years
    raw = monthly * months * Decimal(days) / Decimal(period_days)
    return Charge(
        Decimal(days), monthly, round_charge(raw, fee_item.rounding_unit, fee_item.rounding_mode)
    )
