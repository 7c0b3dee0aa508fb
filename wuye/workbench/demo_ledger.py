"""The demo site's year of money, month by month, each step dated when it happened
(`core.clock.as_of`): meters read on the 1st, finance's bill run that morning, the bank's
direct debits on the 10th, online and counter payments through the month, the late-fee job at
the month's end; vacancy relief applied for, inspected and approved, a building's lift works
relieved, a deposit, a waiver; and today the collections clerk's notices and calls.

Households pay as households do: most each month (by bank debit or online) or each quarter at
the counter, some late every few months, some stopped paying a while ago, a few never — so
arrears of every age and a true month-by-month collection rate exist. The money goes through
`payment_batches.take_payments` (set-based) and, for this month's counter, `take_payment`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from django.db import connection
from django.db.models import Sum

from wuye.billing import bill_runs, deposits, late_fees, meters, payments, relief
from wuye.billing.arrears import open_amount
from wuye.billing.models import LateFee, Refund, ReliefEntry, ReliefRule
from wuye.billing.money import CENT, ZERO
from wuye.billing.payment_batches import BatchPayment, take_payments
from wuye.core import clock
from wuye.dunning import services as dunning
from wuye.dunning.models import ChasingEntry, NoticeKind
from wuye.estate.models import Building, Unit
from wuye.ledger.models import Allocation, BillLine
from wuye.people.models import Ownership

from .demo_data import RESIDENT
from .demo_time import ZONE, at, has_come, last_day, latest

BANK, ONLINE, QUARTERLY, LATE, LAPSED_LONG, LAPSED, NEVER = (
    "bank", "online", "quarterly", "late", "lapsed_long", "lapsed", "never",
)  # fmt: skip
# How households pay, by a stable share of the units: (profile, up to this percentile).
PROFILES = [(BANK, 30), (ONLINE, 45), (QUARTERLY, 75), (LATE, 87), (LAPSED_LONG, 92), (LAPSED, 96), (NEVER, 100)]  # fmt: skip
BANK_DAY = 10
# Seasonal water: cubic metres a flat uses more than its base, by calendar month.
SUMMER = {6: 6, 7: 9, 8: 9, 9: 5, 5: 3, 10: 2}


@dataclass(frozen=True)
class Payer:
    unit: Unit
    name: str
    profile: str
    seed: int


def profile_of(seed: int) -> str:
    share = (seed * 37 + 11) % 100
    return next(profile for profile, upto in PROFILES if share < upto)


def payers_of(site, *, resident_unit: str = "") -> list[Payer]:
    """Every unit, with the name of its first owner and how it pays (`resident_unit`, the demo
    resident's flat, paid online until three months ago: its open charges show on the portal
    whatever the day the demo is loaded)."""
    owners = {}
    for unit_id, name in (
        Ownership.objects.of_site(site).filter(ended_on__isnull=True)
        .order_by("unit_id", "pk").values_list("unit_id", "person__name")
    ):  # fmt: skip
        owners.setdefault(unit_id, name)
    found = []
    for seed, unit in enumerate(Unit.objects.of_site(site).order_by("code")):
        profile = LAPSED if unit.code == resident_unit else profile_of(seed)
        found.append(Payer(unit, owners.get(unit.pk, ""), profile, seed))
    return found


def paying_day(payer: Payer, month: datetime.date, index: int, count: int) -> int | None:
    """The day of `month` (the `index`-th of `count`) the payer pays everything open, if any."""
    profile, seed = payer.profile, payer.seed
    if profile == LAPSED_LONG:
        profile = BANK if index < count - 6 else NEVER
    elif profile == LAPSED:
        profile = ONLINE if index < count - 3 else NEVER
    if profile == BANK:
        return BANK_DAY
    if profile == ONLINE:
        return 2 + seed % 20
    if profile == QUARTERLY and month.month % 3 == 0:
        return 5 + seed % 15
    if profile == LATE and (month.month + seed) % 4 == 0:
        return 18 + seed % 8
    return None


def run_year(site, staff, months, items, read_meters) -> int:
    """Live the year; returns the lines billed."""
    payers = payers_of(site, resident_unit=RESIDENT["unit"])
    readings: dict[int, Decimal] = {}
    lines = 0
    for index, month in enumerate(months):
        current = index == len(months) - 1
        with clock.as_of(latest(at(month, 1, 9))):
            _read(site, staff.engineer, read_meters, month, readings, misread=current)
        if index == 4:
            with clock.as_of(at(month, 1, 9, 30)):
                _lift_works_relief(site, staff.finance, items, months[4:6])
        with clock.as_of(latest(at(month, 1, 10))):
            lines += bill_runs.run_bills(site=site, actor=staff.finance, month=month).lines
        if index == 2:
            _vacancy_relief(site, staff, items, month, months[4])
        if index == 3:
            _deposit(site, staff.cashier, items, month)
        _payments(site, staff, payers, month, index, len(months))
        if index == 7:
            _waiver(site, staff.finance, month)
        month_end = at(month, last_day(month), 23)
        if has_come(month_end):
            _refresh_statistics()
            with clock.as_of(month_end):
                late_fees.run_daily(now=month_end)
    _refresh_statistics()
    late_fees.run_daily()  # today's run, on the real clock
    _chase(site, staff, payers)
    return lines


def _refresh_statistics() -> None:
    """A year written in a minute leaves PostgreSQL's planner with the statistics of empty
    tables (autovacuum has not come round, and the demo may run in one transaction), so the
    late-fee job's correlated reads of what is open plan as if each table held a row. ANALYZE
    the money tables as the year goes, as autovacuum does on a live site."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (BillLine, Allocation, Refund, ReliefEntry, LateFee)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _read(site, actor, read_meters, month, readings, *, misread: bool) -> None:
    """Each meter read on the month's first morning; in the last month one flat's reading is
    below the one before, and waits for a second look."""
    for n, meter in enumerate(read_meters):
        base = 420 if meter.unit_id is None else 8 + (n * 7) % 19
        usage = Decimal(base + SUMMER.get(month.month, 0) * (4 if meter.unit_id is None else 1))
        before = readings.get(meter.pk, Decimal(0))
        value = before - 3 if misread and n == 3 else before + usage
        meters.record_reading(site=site, actor=actor, meter=meter, period=month, value=value,
                              read_on=month)  # fmt: skip
        readings[meter.pk] = value


def _owed(site, unit_ids) -> dict[int, Decimal]:
    """What each unit has open now: amount − paid − relief of its live lines."""
    lines = payments.with_outstanding(
        BillLine.objects.filter(site=site, unit_id__in=unit_ids, cancelled_at__isnull=True)
    )
    rows = (
        lines.annotate(open=open_amount()).values("unit_id").annotate(owed=Sum("open")).order_by()
    )
    return {row["unit_id"]: Decimal(row["owed"] or 0).quantize(CENT) for row in rows}


def _payments(site, staff, payers, month, index, count) -> None:
    """The month's payments, received in order: the counter's and online before the bank's
    debit day, the bank's debits, then the rest of the month's."""
    due = {}
    for payer in payers:
        day = paying_day(payer, month, index, count)
        if day is not None:
            due[payer.unit.pk] = (payer, day)
    owed = _owed(site, list(due))
    bank, counter = [], []
    for unit_id, (payer, day) in due.items():
        amount = owed.get(unit_id, ZERO)
        if amount <= 0:
            continue
        if payer.profile in (BANK, LAPSED_LONG) and day == BANK_DAY:
            received = at(month, day, 10)
            bank.append(BatchPayment(unit=payer.unit, amount=amount, method="transfer", received_at=received,
                                     payer=payer.name, reference=f"托收{month:%Y%m}-{payer.seed:04d}",
                                     idempotency_key=f"bank:{month:%Y%m}:{payer.unit.pk}"))  # fmt: skip
        else:
            hour = 9 + payer.seed % 9
            method = "qr" if day < 18 and payer.profile in (ONLINE, LAPSED) else ("card", "cash")[payer.seed % 2]  # fmt: skip
            counter.append(BatchPayment(unit=payer.unit, amount=amount, method=method,
                                        received_at=at(month, day, hour, payer.seed % 60), payer=payer.name))  # fmt: skip
    bank = [p for p in bank if has_come(p.received_at)]
    counter = [p for p in counter if has_come(p.received_at)]
    early = [p for p in counter if p.received_at < at(month, BANK_DAY, 0)]
    later = [p for p in counter if p.received_at >= at(month, BANK_DAY, 0)]
    current = index == count - 1
    for batch, actor in ((early, staff.cashier), (bank, staff.finance), (later, staff.cashier)):
        if not batch:
            continue
        if current and actor == staff.cashier:
            _at_the_counter(site, actor, batch)
            continue
        with clock.as_of(max(p.received_at for p in batch)):
            take_payments(site=site, actor=actor, batch=batch)


def _at_the_counter(site, actor, batch) -> None:
    """This month's counter: one payment at a time, as the cashier takes it — cash handed over
    in notes, the change given back."""
    for item in sorted(batch, key=lambda p: p.received_at):
        tendered = None
        if item.method == "cash":
            tendered = (item.amount / 100).quantize(Decimal(1), ROUND_UP) * 100
        with clock.as_of(item.received_at):
            payments.take_payment(site=site, actor=actor, unit=item.unit, method=item.method,
                                  amount=item.amount, tendered=tendered, payer=item.payer)  # fmt: skip


def _lift_works_relief(site, actor, items, window) -> None:
    """Building 5's lifts were replaced over two months: ¥30 off each flat's management fee."""
    building = Building.objects.of_site(site).get(code="5")
    relief.save_rule(
        site=site, actor=actor, name="5栋电梯更换期间减免", kind=ReliefRule.Kind.REDUCTION,
        fee_item=items["mgmt"], amount="30", building=building, valid_from=window[0],
        valid_to=window[-1].replace(day=last_day(window[-1])),
    )  # fmt: skip


def _vacancy_relief(site, staff, items, month, until) -> None:
    """Owners of five empty flats apply for vacancy relief for three months; an engineer
    inspects each, and finance approves those found empty and refuses the one that is not."""
    vacant = list(Unit.objects.of_site(site).filter(state=Unit.State.VACANT).order_by("code")[:5])
    ends = until.replace(day=last_day(until))
    for n, unit in enumerate(vacant):
        with clock.as_of(at(month, 6 + n, 10)):
            application = relief.apply_for_vacancy(
                site=site, actor=staff.clerk, unit=unit, fee_item=items["mgmt"], starts_on=month,
                ends_on=ends, reason="业主长期在外地工作，房屋无人居住",
            )  # fmt: skip
        found_vacant = n != 4
        with clock.as_of(at(month, 8 + n, 15)):
            relief.record_inspection(
                application=application, actor=staff.engineer, found_vacant=found_vacant,
                note="" if found_vacant else "屋内有人居住，已有家具和日常用品",
            )  # fmt: skip
        with clock.as_of(at(month, 9 + n, 11)):
            relief.decide_vacancy(
                application=application, actor=staff.finance, approve=found_vacant,
                note="" if found_vacant else "检查发现有人居住",
            )  # fmt: skip


def _deposit(site, cashier, items, month) -> None:
    unit = Unit.objects.of_site(site).filter(state=Unit.State.RENOVATING).order_by("code").first()
    with clock.as_of(at(month, 12, 10)):
        deposits.take_deposit(site=site, actor=cashier, unit=unit, fee_item=items["reno"],
                              amount="2000", method="transfer", payer="业主")  # fmt: skip


def _waiver(site, actor, month) -> None:
    """Finance waives part of a late fee for an owner who was in hospital (within authority)."""
    late_fee = LateFee.objects.of_site(site).filter(charge_line__isnull=True, accrued__gte=10).order_by("pk").first()  # fmt: skip
    if late_fee is not None:
        with clock.as_of(at(month, 12, 15)):
            late_fees.waive_late_fee(late_fee=late_fee, actor=actor, amount="10.00",
                                     reason="业主住院期间未能缴费，减免部分滞纳金")  # fmt: skip


def _chase(site, staff, payers) -> None:
    """Today: dunning notices for building 2's long arrears, and calls to three households
    that never paid, one promising to pay by month's end."""
    building = Building.objects.of_site(site).get(code="2")
    dunning.issue_building_notices(site=site, actor=staff.cashier, building=building,
                                   kind=NoticeKind.DUNNING, only_overdue_over_days=90)  # fmt: skip
    never = [p for p in payers if p.profile == NEVER and p.name][:3]
    today = clock.localdate(ZONE)
    owed = _owed(site, [p.unit.pk for p in never])
    for n, payer in enumerate(never):
        promise = {}
        if n == 0:
            promise = {"promised_amount": owed[payer.unit.pk], "promised_by": today.replace(day=last_day(today))}  # fmt: skip
        dunning.record_chasing(
            site=site, actor=staff.clerk, unit=payer.unit, kind=ChasingEntry.Kind.CALL,
            note=("业主答应月底前结清" if n == 0 else "电话无人接听，已留言"), **promise,
        )  # fmt: skip
