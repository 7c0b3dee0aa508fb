"""Meters and their monthly readings (R-FEE-02).

A reading's usage is (this − last) × the meter's multiplier. A reading that goes backwards, or
whose usage jumps far beyond the meter's own history, is held for a second look: it bills only
once someone confirms it (a backwards one can only be rejected and read again). A shared meter
— a building's or the whole site's — has its usage split among the units it serves by floor
area, by household or by a formula's weight, to the ten-thousandth, the parts adding up to the
whole exactly.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.permissions import ensure_can
from wuye.estate.models import Building, Unit
from wuye.ledger.models import BillLine

from . import formulas
from .models import FeeItem, Meter, MeterReading
from .money import as_decimal

State = MeterReading.State
USAGE_STEP = Decimal("0.0001")
BILLABLE = (State.ACCEPTED, State.CONFIRMED)
# A reading is held when its usage is more than JUMP_FACTOR times the meter's average over its
# last HISTORY billable readings (and at least JUMP_MINIMUM more), once there are MIN_HISTORY.
JUMP_FACTOR = Decimal(3)
JUMP_MINIMUM = Decimal(10)
HISTORY = 6
MIN_HISTORY = 3
# The names a split formula may weigh a unit by.
SPLIT_NAMES = ("area", "indoor_area", "floor", "coefficient")
HOUSEHOLD_STATES = (Unit.State.OCCUPIED, Unit.State.RENOVATING)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _weight_names(unit: Unit) -> dict[str, Decimal]:
    return {
        "area": unit.floor_area,
        "indoor_area": unit.indoor_area or Decimal(0),
        "floor": Decimal(unit.floor),
        "coefficient": unit.fee_coefficient,
    }


def check_split_formula(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise invalid("split_formula", _("Write the formula that weighs each unit."), "required")
    try:
        formulas.evaluate(text, dict.fromkeys(SPLIT_NAMES, Decimal(1)))
    except ValidationError as exc:  # the evaluator's error names the "formula" field
        raise invalid("split_formula", exc.messages[0], "invalid") from None
    return text


def add_meter(
    *, site, actor, code: str, kind: str, fee_item: FeeItem, installed_on: datetime.date,
    unit: Unit | None = None, building: Building | None = None, split: str = "",
    split_formula: str = "", multiplier=1, start_value=0, location: str = "",
) -> Meter:  # fmt: skip
    """A unit's own meter (`unit`), or a shared one (no unit, a `split`) serving a building's
    units or, with no building, the whole site's."""
    ensure_can(actor, "billing.add_meter", site)
    code = (code or "").strip()
    with collecting() as errors:
        if not code:
            errors.add("code", _("Give the meter's number."), "required")
        if kind not in Meter.Kind.values:
            errors.add("kind", _("Choose water, electricity or gas."), "invalid_choice")
        if fee_item.site_id != site.pk or fee_item.method != FeeItem.Method.METER:
            errors.add("fee_item", _("Choose a metered fee item of this site."), "not_metered")
        for field, obj in (("unit", unit), ("building", building)):
            if obj is not None and obj.site_id != site.pk:
                errors.add(field, _("Choose one of this site's."), "not_found")
        if unit is not None:
            split, split_formula, building = "", "", unit.building
        elif split not in Meter.Split.values:
            errors.add("split", _("A shared meter needs a way to split its usage."), "required")
        elif split == Meter.Split.FORMULA:
            split_formula = errors.check(check_split_formula, split_formula)
        else:
            split_formula = ""
        try:
            multiplier = as_decimal(multiplier)
            start_value = as_decimal(start_value)
        except ValueError:
            errors.add("multiplier", _("Enter a number."), "invalid")
        else:
            if multiplier <= 0:
                errors.add("multiplier", _("The multiplier is more than zero."), "not_positive")
            if start_value < 0:
                errors.add("start_value", _("A reading can't be negative."), "negative")
    meter = Meter(
        site=site, code=code[:40], kind=kind, fee_item=fee_item, unit=unit, building=building,
        split=split, split_formula=split_formula, multiplier=multiplier,
        start_value=start_value, installed_on=installed_on, location=location.strip()[:100],
    )  # fmt: skip
    try:
        with transaction.atomic():
            meter.save()
            record_create(actor, meter)
    except IntegrityError:
        raise invalid("code", _("Another meter has this number."), "duplicate") from None
    return meter


def previous_value(meter: Meter, period: datetime.date) -> Decimal:
    """The last reading before `period` that stands (not rejected), or the start reading."""
    last = (
        MeterReading.objects.filter(meter=meter, period__lt=period)
        .exclude(state=State.REJECTED)
        .order_by("-period")
        .values_list("value", flat=True)
        .first()
    )
    return meter.start_value if last is None else last


def why_suspicious(meter: Meter, previous: Decimal, value: Decimal, usage: Decimal,
                   period: datetime.date) -> str:  # fmt: skip
    """Why a reading needs a second look before it bills, or "" when it does not."""
    if value < previous:
        return _("The reading %(value)s is below the last one, %(previous)s.") % {
            "value": value, "previous": previous}  # fmt: skip
    history = list(
        MeterReading.objects.filter(meter=meter, period__lt=period, state__in=BILLABLE)
        .order_by("-period")
        .values_list("usage", flat=True)[:HISTORY]
    )
    if len(history) < MIN_HISTORY:
        return ""
    average = sum(history, Decimal(0)) / len(history)
    if usage > average * JUMP_FACTOR and usage - average >= JUMP_MINIMUM:
        return _("Usage %(usage)s is more than %(factor)s times the average of %(average)s.") % {
            "usage": format(usage.normalize(), "f"), "factor": JUMP_FACTOR,
            "average": average.quantize(Decimal("0.01")),
        }  # fmt: skip
    return ""


def record_reading(
    *, site, actor, meter: Meter, period: datetime.date, value, read_on: datetime.date | None = None,
    source: str = MeterReading.Source.PHONE,
) -> MeterReading:  # fmt: skip
    """抄表: record a meter's reading for a month. Held for a second look when suspicious."""
    ensure_can(actor, "billing.add_meterreading", site)
    if meter.site_id != site.pk:
        raise invalid("meter", _("No such meter at this site."), "not_found")
    if not meter.is_active:
        raise invalid("meter", _("This meter is no longer in use."), "inactive")
    period = month_start(period)
    read_on = read_on or timezone.localdate()
    with transaction.atomic():
        Meter.objects.select_for_update().filter(pk=meter.pk).first()  # one reader at a time
        with collecting() as errors:
            try:
                value = as_decimal(value).quantize(Decimal("0.01"))
            except ValueError:
                errors.add("value", _("Enter the reading as a number, like 1234.5."), "invalid")
            else:
                if value < 0:
                    errors.add("value", _("A reading can't be negative."), "negative")
            if period < month_start(meter.installed_on):
                errors.add("period", _("The meter was installed after this month."), "before_install")  # fmt: skip
            elif MeterReading.objects.filter(meter=meter, period=period).exclude(state=State.REJECTED).exists():  # fmt: skip
                errors.add("period", _("This meter is already read for %(month)s; reject that reading first to read it again.") % {"month": f"{period:%Y-%m}"}, "already_read")  # fmt: skip
            elif MeterReading.objects.filter(meter=meter, period__gt=period).exclude(state=State.REJECTED).exists():  # fmt: skip
                errors.add("period", _("A later month is already read; readings go in order."), "out_of_order")  # fmt: skip
        previous = previous_value(meter, period)
        usage = ((value - previous) * meter.multiplier).quantize(USAGE_STEP)
        reason = why_suspicious(meter, previous, value, usage, period)
        reading = MeterReading.objects.create(
            site=site, meter=meter, period=period, value=value, previous_value=previous,
            usage=usage, read_on=read_on, read_by=actor, source=source,
            state=State.HELD if reason else State.ACCEPTED, hold_reason=reason[:200],
        )  # fmt: skip
        record_create(actor, reading)
    return reading


def _billed(reading: MeterReading) -> bool:
    return BillLine.objects.filter(reading=reading, cancelled_at__isnull=True).exists()


def confirm_reading(*, reading: MeterReading, actor, note: str = "") -> MeterReading:
    """The second look: the held reading is right and may bill."""
    ensure_can(actor, "billing.change_meterreading", reading.site_id)
    with transaction.atomic():
        reading = MeterReading.objects.select_for_update().get(pk=reading.pk)
        if reading.state != State.HELD:
            raise invalid(None, _("Only a held reading waits for a second look."), "wrong_state")
        if reading.usage < 0:
            raise invalid(None, _("A reading below the last one can't bill; reject it and read the meter again."), "backwards")  # fmt: skip
        reading.state, reading.checked_by, reading.checked_at = (
            State.CONFIRMED,
            actor,
            timezone.now(),
        )
        reading.check_note = (note or "").strip()[:200]
        reading.save()
        record_action(actor, reading, _("confirmed"), {"check_note": [None, reading.check_note]})
    return reading


def reject_reading(*, reading: MeterReading, actor, note: str) -> MeterReading:
    """A wrong reading is set aside (kept) so the meter can be read again; not once billed."""
    ensure_can(actor, "billing.change_meterreading", reading.site_id)
    note = (note or "").strip()
    if not note:
        raise invalid("note", _("Say what is wrong with the reading."), "required")
    with transaction.atomic():
        reading = MeterReading.objects.select_for_update().get(pk=reading.pk)
        if reading.state == State.REJECTED:
            raise invalid(None, _("This reading is already rejected."), "wrong_state")
        if _billed(reading):
            raise invalid(None, _("This reading is billed; cancel its bill line first."), "billed")
        if MeterReading.objects.filter(meter_id=reading.meter_id, period__gt=reading.period).exclude(state=State.REJECTED).exists():  # fmt: skip
            raise invalid(None, _("A later month is read on top of this one; reject that first."), "not_last")  # fmt: skip
        reading.state, reading.checked_by, reading.checked_at = (
            State.REJECTED,
            actor,
            timezone.now(),
        )
        reading.check_note = note[:200]
        reading.save()
        record_action(actor, reading, _("rejected"), {"check_note": [None, note]})
    return reading


def served_units(meter: Meter):
    """The units a shared meter's usage is split among: its building's (or the site's); by
    household, only those lived in."""
    units = Unit.objects.filter(site_id=meter.site_id)
    if meter.building_id:
        units = units.filter(building_id=meter.building_id)
    if meter.split == Meter.Split.HOUSEHOLD:
        units = units.filter(state__in=HOUSEHOLD_STATES)
    return units.order_by("id")


def split_usage(meter: Meter, usage: Decimal, units) -> dict[int, Decimal]:
    """Each unit's part of a shared meter's usage, to 0.0001, adding up to `usage` exactly:
    every part is rounded down, and the ten-thousandths left over go one each to the units
    that lost most in rounding (largest remainder)."""
    units = list(units)
    if meter.split == Meter.Split.AREA:
        weights = [unit.floor_area for unit in units]
    elif meter.split == Meter.Split.HOUSEHOLD:
        weights = [Decimal(1) for _unit in units]
    else:
        weights = [formulas.evaluate(meter.split_formula, _weight_names(unit)) for unit in units]
    if any(w < 0 for w in weights):
        raise invalid("split_formula", _("The split formula gives a negative weight."), "negative")
    total = sum(weights, Decimal(0))
    if not units or total == 0:
        return {}
    exact = [usage * w / total for w in weights]
    parts = [e.quantize(USAGE_STEP, rounding=ROUND_DOWN) for e in exact]
    left = int((usage - sum(parts, Decimal(0))) / USAGE_STEP)
    by_loss = sorted(range(len(units)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in by_loss[:left]:
        parts[i] += USAGE_STEP
    return {unit.pk: part for unit, part in zip(units, parts, strict=True)}
