"""Bill runs (R-FEE-01): one action posts a period's lines for every chargeable unit and
parking space of a site.

Area and fixed charges are posted with one `INSERT … SELECT` per fee item: the rate in force
for each unit is a CASE over the item's rates (most specific first), and the amount is worked
out in integer millionths of a yuan — exact on SQLite and PostgreSQL alike — then rounded by
the item's rule, the same arithmetic as `charges.compute`. Custom formulas are evaluated per
unit in Python and bulk-inserted. A line is keyed by (fee item, object, period), so a second
run of a period posts nothing and says so; the whole run is one transaction, so a run killed
half-way leaves nothing of itself. The relief rules in use are granted on the run's lines at
its end (`relief.apply_to_run`), before prepaid credit is drawn. A run is reversed as a whole
(its lines and their relief cancelled, marked reversed) while no payment touches it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core import clock
from wuye.core.audit import record_action, record_create
from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can
from wuye.estate.models import ParkingSpace, Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine
from wuye.people.models import MoveIn

from . import figures, relief
from .charges import (
    VACANT_STATES,
    compute,
    period_of,
    rate_for,
    rates_in_force,
    rent_charge,
    specificity,
    unit_factor,
)
from .meters import served_units, split_usage
from .models import BillRun, CreditEntry, FeeItem, Lease, Meter, MeterReading
from .money import CENT, MICRO_STEPS, RoundingMode
from .payments import apply_credit
from .services import due_date_for

Method = FeeItem.Method
SQL_METHODS = {Method.FLOOR_AREA, Method.INDOOR_AREA, Method.PER_UNIT, Method.PER_PARKING}
CHARGED_PARKING = (ParkingSpace.State.SOLD, ParkingSpace.State.RENTED)


def _literal(value: Decimal) -> str:
    return format(Decimal(value), "f")


def _rounded(micro_expr: str, fee_item: FeeItem) -> str:
    """SQL: the amount in yuan of `micro_expr` (integer 1e-8 yuan), rounded by the item's rule."""
    step = MICRO_STEPS[fee_item.rounding_unit] * 100  # 1e-8 yuan per rounding step
    if fee_item.rounding_mode == RoundingMode.HALF_UP:
        count = f"(({micro_expr}) + {step // 2}) / {step}"
    elif fee_item.rounding_mode == RoundingMode.UP:
        count = f"(({micro_expr}) + {step - 1}) / {step}"
    else:
        count = f"({micro_expr}) / {step}"
    yuan = Decimal(step) / Decimal(100_000_000)
    return f"CAST({count} AS NUMERIC) * {_literal(yuan)}" if connection.vendor == "postgresql" else f"({count}) * {_literal(yuan)}"  # fmt: skip


def _rate_case(rates, column_building: str, column_use: str, value) -> str:
    whens = []
    for rate in sorted(rates, key=specificity, reverse=True):
        conditions = []
        if rate.building_id:
            conditions.append(f"{column_building} = {int(rate.building_id)}")
        if rate.unit_use:
            conditions.append(f"{column_use} = '{rate.unit_use}'")
        whens.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN {value(rate)}")
    return f"(CASE {' '.join(whens)} END)" if whens else "NULL"


def _insert_sql(
    fee_item: FeeItem, run: BillRun, start, end, due, skip_units=()
) -> tuple[str, list]:
    rates = list(rates_in_force(fee_item, start))
    q = connection.ops.quote_name
    int_type = "BIGINT" if connection.vendor == "postgresql" else "INTEGER"
    if fee_item.method == Method.PER_PARKING:
        table, alias, target = q(ParkingSpace._meta.db_table), "o", "'parking:'"
        rates = [r for r in rates if not r.building_id and not r.unit_use]
        states = ", ".join(f"'{s}'" for s in CHARGED_PARKING)
        where, factor = f"o.state IN ({states})", "100"
        quantity_c, unit_col, parking_col = "100", "NULL", "o.id"
        building_col = use_col = "NULL"
    else:
        table, alias, target = q(Unit._meta.db_table), "o", "'unit:'"
        building_col, use_col = "o.building_id", "o.use"
        vacant = ", ".join(f"'{s}'" for s in VACANT_STATES)
        if fee_item.vacant == FeeItem.Vacant.NONE:
            where, factor = f"o.state NOT IN ({vacant})", "100"
        else:
            share = 100 if fee_item.vacant == FeeItem.Vacant.FULL else int(fee_item.vacant_percent)
            where, factor = "1 = 1", f"(CASE WHEN o.state IN ({vacant}) THEN {share} ELSE 100 END)"
        area = {"floor_area": "o.floor_area", "indoor_area": "COALESCE(o.indoor_area, 0)"}.get(fee_item.method)  # fmt: skip
        quantity_c = f"CAST(ROUND({area} * 100) AS {int_type})" if area else "100"
        unit_col, parking_col = "o.id", "NULL"
        if skip_units:  # posted prorated, one by one
            where += f" AND o.id NOT IN ({', '.join(str(int(pk)) for pk in skip_units)})"
    rate_int = _rate_case(rates, building_col, use_col, lambda r: f"CAST({int(r.amount * 10000)} AS {int_type})")  # fmt: skip
    rate_dec = _rate_case(rates, building_col, use_col, lambda r: _literal(r.amount))
    micro = f"{quantity_c} * {rate_int} * {factor}"
    quantity = f"CAST({quantity_c} AS NUMERIC) / 100" if connection.vendor == "postgresql" else f"({quantity_c}) / 100.0"  # fmt: skip
    line = BillLine._meta
    columns = [
        "site_id", "created_at", "updated_at", "fee_item_id", "target", "unit_id",
        "parking_space_id", "period_start", "period_end", "quantity", "rate", "amount",
        "due_date", "run_id", "note", "cancel_reason", "reversed",
    ]  # fmt: skip
    now = connection.ops.adapt_datetimefield_value(clock.now())
    # `NOT b.reversed` is written out, not bound: SQLite takes the partial unique index
    # (bill_line_once_per_period) only for a condition it can see matches the index's own;
    # with a parameter it scans the item's every line for each unit.
    sql = f"""
        INSERT INTO {q(line.db_table)} ({", ".join(q(line.get_field(c.removesuffix("_id")).column) for c in columns)})
        SELECT o.site_id, %s, %s, %s, {target} || o.id, {unit_col}, {parking_col}, %s, %s,
               {quantity}, {rate_dec}, {_rounded(micro, fee_item)}, %s, %s, '', '', %s
        FROM {table} {alias}
        WHERE o.site_id = %s AND {where} AND {rate_int} IS NOT NULL
          AND NOT EXISTS (
            SELECT 1 FROM {q(line.db_table)} b
            WHERE b.fee_item_id = %s AND b.target = {target} || o.id
              AND b.period_start = %s AND NOT b.reversed)
    """  # fmt: skip
    params = [
        now, now, fee_item.pk, start, end, due, run.pk, False, run.site_id, fee_item.pk, start,
    ]  # fmt: skip
    return sql, [connection.ops.adapt_datefield_value(p) if isinstance(p, datetime.date) else p for p in params]  # fmt: skip


def _taken(fee_item: FeeItem, start) -> set[str]:
    return set(
        BillLine.objects.filter(fee_item=fee_item, period_start=start, reversed=False).values_list(
            "target", flat=True
        )
    )


def moved_in_during(site_id, start, end) -> dict[int, datetime.date]:
    """Units moved into after the period's first day, with the day (the latest, if several)."""
    return dict(
        MoveIn.objects.filter(site_id=site_id, moved_in_on__gt=start, moved_in_on__lte=end)
        .order_by("moved_in_on")
        .values_list("unit_id", "moved_in_on")
    )


def _post_per_unit(fee_item: FeeItem, run: BillRun, start, end, due, units, moved_in) -> int:
    """Formula items, and the prorated units of area and fixed items: worked out one unit at a
    time by the reference computation and bulk-inserted."""
    taken = _taken(fee_item, start)
    days = (end - start).days + 1
    lines = []
    for unit in units.iterator(chunk_size=2000):
        target = f"unit:{unit.pk}"
        rate = rate_for(fee_item, unit, start)
        factor = unit_factor(fee_item, unit, start, end, moved_in.get(unit.pk))
        if target in taken or rate is None or factor == 0:
            continue
        charged_days = (end - moved_in[unit.pk]).days + 1 if unit.pk in moved_in else days
        charge = compute(
            fee_item, rate, unit=unit, factor=factor, days=charged_days, period_days=days
        )
        lines.append(BillLine(
            site_id=run.site_id, fee_item=fee_item, target=target, unit=unit, period_start=start,
            period_end=end, quantity=charge.quantity, rate=charge.rate, amount=charge.amount,
            due_date=due, run=run,
            note=_("from %(day)s (moved in)") % {"day": moved_in[unit.pk]} if unit.pk in moved_in else "",
        ))  # fmt: skip
    BillLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def _post_metered(fee_item: FeeItem, run: BillRun, start, end, due, skipped: dict) -> int:
    """The month's billable readings of the item's meters: a unit's own meter bills its unit;
    a shared meter's usage is split among the units it serves. Held readings wait."""
    taken = _taken(fee_item, start)
    lines, read = [], set()
    readings = (
        MeterReading.objects.filter(meter__fee_item=fee_item, period=start)
        .exclude(state=MeterReading.State.REJECTED)
        .select_related("meter__unit")
        .order_by("meter_id")
    )
    for reading in readings:
        read.add(reading.meter_id)
        if reading.state == MeterReading.State.HELD:
            skipped["held_readings"] = skipped.get("held_readings", 0) + 1
            continue
        meter = reading.meter
        if meter.unit_id:
            units, parts = {meter.unit_id: meter.unit}, {meter.unit_id: reading.usage}
        else:
            units = {unit.pk: unit for unit in served_units(meter)}
            parts = split_usage(meter, reading.usage, units.values())
        for unit_id, usage in parts.items():
            target = f"meter:{meter.pk}" if meter.unit_id else f"shared:{meter.pk}:{unit_id}"
            rate = rate_for(fee_item, units[unit_id], start)
            if target in taken or rate is None:
                continue
            charge = compute(fee_item, rate, unit=units[unit_id], usage=usage)
            lines.append(BillLine(
                site_id=run.site_id, fee_item=fee_item, target=target, unit_id=unit_id,
                period_start=start, period_end=end, quantity=charge.quantity, rate=charge.rate,
                amount=charge.amount, due_date=due, run=run, reading=reading,
                note=f"{meter.code} {reading.previous_value}→{reading.value}",
            ))  # fmt: skip
    missing = (
        Meter.objects.filter(fee_item=fee_item, is_active=True, installed_on__lte=end)
        .exclude(pk__in=read)
        .count()
    )
    if missing:
        skipped["missing_readings"] = skipped.get("missing_readings", 0) + missing
    BillLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def _post_rent(fee_item: FeeItem, run: BillRun, start, end, due) -> int:
    """Every lease of the item running in the period, prorated by days in its first and last
    month (a move-in or move-out mid-period)."""
    taken = _taken(fee_item, start)
    leases = Lease.objects.filter(fee_item=fee_item, starts_on__lte=end).filter(
        Q(terminated_on__isnull=True, ends_on__gte=start) | Q(terminated_on__gte=start)
    )
    lines = []
    for lease in leases.order_by("id"):
        target = f"lease:{lease.pk}"
        if target in taken:
            continue
        charge = rent_charge(fee_item, lease, start, end)
        lines.append(BillLine(
            site_id=run.site_id, fee_item=fee_item, target=target, unit_id=lease.unit_id,
            parking_space_id=lease.parking_space_id, lease=lease, period_start=start,
            period_end=end, quantity=charge.quantity, rate=charge.rate, amount=charge.amount,
            due_date=due, run=run, note=f"{lease.number} {lease.lessee}"[:200],
        ))  # fmt: skip
    BillLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def _post_item(item: FeeItem, run: BillRun, start, end, skipped: dict) -> int:
    due = due_date_for(item, start, end)
    if item.method == Method.METER:
        return _post_metered(item, run, start, end, due, skipped)
    if item.method == Method.RENT:
        return _post_rent(item, run, start, end, due)
    units = Unit.objects.of_site(run.site_id)
    if item.vacant == FeeItem.Vacant.NONE:
        units = units.exclude(state__in=VACANT_STATES)
    moved_in = {} if item.method == Method.PER_PARKING else moved_in_during(run.site_id, start, end)
    if item.method == Method.FORMULA:
        return _post_per_unit(item, run, start, end, due, units, moved_in)
    # A move-in only changes the charge when the days before it are charged less.
    prorated = list(moved_in) if item.vacant != FeeItem.Vacant.FULL else []
    sql, params = _insert_sql(item, run, start, end, due, skip_units=prorated)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        posted = max(cursor.rowcount, 0)
    if prorated:
        units = Unit.objects.of_site(run.site_id).filter(pk__in=prorated)
        posted += _post_per_unit(item, run, start, end, due, units, moved_in)
    return posted


def run_bills(*, site, actor, month: datetime.date,
              progress: Callable[[int, int, str], None] | None = None) -> BillRun:  # fmt: skip
    """Post the period's lines of every active cyclic fee item of `site` whose cycle starts in
    `month`. Returns the run with how many lines it posted (0: the period is already billed)."""
    ensure_can(actor, "billing.run_bills", site)
    month = month.replace(day=1)
    items = [
        (item, period)
        for item in FeeItem.objects.of_site(site).filter(is_active=True, is_cyclic=True).order_by("code")
        if (period := period_of(item, month))
    ]  # fmt: skip
    with transaction.atomic():
        run = BillRun.objects.create(site=site, period=month, started_by=actor)
        posted, skipped = 0, {}
        for done, (item, (start, end)) in enumerate(items, 1):
            posted += _post_item(item, run, start, end, skipped)
            if progress:
                progress(done, len(items), item.name)
        figures.lines_posted(site_id=site.pk, run=run)  # the run's due, one statement
        relief.apply_to_run(run, actor)  # before credit is drawn: it pays what is left
        draw_credit(site)
        totals = BillLine.objects.filter(run=run).aggregate(total=Sum("amount"))
        run.lines, run.skipped = posted, skipped
        run.total = Decimal(totals["total"] or 0).quantize(CENT)
        run.state, run.finished_at = BillRun.State.DONE, clock.now()
        run.save()
        record_create(actor, run)
    return run


def draw_credit(site) -> Decimal:
    """Units holding prepaid credit pay their new lines from it (docs/billing.md, Payments, credit
    and receipts)."""
    holders = (
        CreditEntry.objects.filter(site=site)
        .values("unit")
        .annotate(held=Sum("amount"))
        .filter(held__gt=0)
        .values_list("unit", flat=True)
    )
    used = Decimal("0.00")
    for unit in Unit.objects.filter(pk__in=list(holders)):
        used += apply_credit(unit=unit)
    return used


def reverse_run(*, run: BillRun, actor, reason: str) -> BillRun:
    """Cancel a whole run's lines at once (the period may then be billed again), while no
    payment touches any of them."""
    ensure_can(actor, "billing.run_bills", run.site_id)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the run is reversed."), "required")
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run.pk)
        if run.state != BillRun.State.DONE:
            raise invalid(None, _("Only a finished run can be reversed."), "wrong_state")
        if Allocation.objects.filter(bill_line__run=run, undone=False).exists():
            raise invalid(None, _("Payments were taken against this run; cancel lines one by one instead."), "paid")  # fmt: skip
        now = timezone.now()
        relief.undo_run(run, actor, reason)  # its relief goes with its lines
        # Before they are marked: both count the live lines.
        receivables.lines_cancelled(run=run, day=figures.local_day(run.site_id, now))
        figures.lines_cancelled(site_id=run.site_id, run=run)
        BillLine.objects.filter(run=run, cancelled_at__isnull=True).update(
            cancelled_at=now, cancelled_by=actor, cancel_reason=reason[:200], reversed=True
        )
        BillLine.objects.filter(run=run).update(reversed=True)
        run.state, run.reversed_at, run.reverse_reason = BillRun.State.REVERSED, now, reason[:200]
        run.save()
        record_action(actor, run, _("reversed"), {"reason": [None, reason]})
    return run
