"""`wuye bench billing --units N`: how the bill run compares with the plainest possible SQL.

Builds a site of N units (set-based) with three monthly fee items — management fee by floor
area, maintenance fund by indoor area, a fixed sanitation charge — and times the bill run of
one month (3 × N lines), then a single hand-written `INSERT … SELECT` of the same rows into the
same table (for the next month, so the two don't collide), in the same database and run.

Then a cashier (a user with the cashier role, a member of the site) takes 10,000 cash payments
through `payments.take_payment`, each for a different unit, paying all its open lines oldest
first — one transaction, one receipt and one audit row each, as at the counter. A site of fewer
units pays each unit but the last once and scales the time to 10,000 (`payments` says how many
were taken). Last, the statement of one unit with a long history — 24 months of three fee
items and a payment each month, one of them partly taken as credit and drawn — is read
several times through `queries.statement`; `statement_ms` is the median.

Prints `{"units", "lines", "bill_run_s", "baseline_s", "ratio", "payments", "payments_10k_s",
"statement_entries", "statement_ms"}`.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Sum

from wuye.core.models import Company, Site, SiteMembership
from wuye.estate.models import Building, Unit
from wuye.ledger.models import BillLine

from . import bill_runs, payments, queries, services
from .models import FeeItem
from .money import CENT

MONTH = datetime.date(2026, 11, 1)
ITEMS = [  # code, method, rate
    ("mgmt", FeeItem.Method.FLOOR_AREA, "2.85"),
    ("fund", FeeItem.Method.INDOOR_AREA, "0.25"),
    ("clean", FeeItem.Method.PER_UNIT, "15"),
]
PAYMENTS = 10_000  # each for a different unit
HISTORY_MONTHS = 24  # of the unit whose statement is timed
STATEMENT_CALLS = 9  # the median of these


def build_units(site: Site, count: int) -> None:
    """`count` units over 100-unit buildings, in one INSERT … SELECT per table."""
    buildings = Building.objects.bulk_create(
        [
            Building(site=site, code=str(b), name=f"{b}栋", floors_above=25)
            for b in range(1, count // 100 + 2)
        ]
    )
    first = buildings[0].pk
    q = connection.ops.quote_name
    table = Unit._meta
    now = connection.ops.adapt_datetimefield_value(datetime.datetime.now(datetime.UTC))
    series = (
        f"generate_series(0, {count - 1}) AS n(i)" if connection.vendor == "postgresql"
        else f"(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {count - 1}) SELECT i FROM s) AS n"
    )  # fmt: skip
    number = "lpad((n.i % 100)::text, 4, '0')" if connection.vendor == "postgresql" else "printf('%04d', n.i % 100)"  # fmt: skip
    columns = ["site_id", "created_at", "updated_at", "building_id", "floor", "number", "code",
               "floor_area", "indoor_area", "use", "state", "fee_coefficient", "note"]  # fmt: skip
    sql = (
        f"INSERT INTO {q(table.db_table)} ({', '.join(q(c) for c in columns)}) "
        f"SELECT %s, %s, %s, {first} + n.i / 100, 1 + (n.i % 100) / 4, {number}, "
        f"'B' || (n.i / 100) || '-' || n.i, 60 + (n.i % 97), (60 + (n.i % 97)) * 0.8, 'residence', "
        f"CASE WHEN n.i % 13 = 0 THEN 'vacant' ELSE 'occupied' END, 1, '' FROM {series}"
    )
    with connection.cursor() as cursor:
        # The modulo operator is a literal % beside the %s parameters: escape it.
        cursor.execute(sql.replace("%", "%%").replace("%%s", "%s"), [site.pk, now, now])


def baseline(site: Site, items: list[FeeItem], month: datetime.date) -> float:
    """The same rows, by the plainest INSERT … SELECT: one statement, constant rates, no CASE."""
    q = connection.ops.quote_name
    line = BillLine._meta
    columns = ["site_id", "created_at", "updated_at", "fee_item_id", "target", "unit_id",
               "period_start", "period_end", "quantity", "rate", "amount", "due_date", "note",
               "cancel_reason", "reversed"]  # fmt: skip
    selects = []
    for item, (_code, method, rate) in zip(items, ITEMS, strict=True):
        quantity = {"floor_area": "u.floor_area", "indoor_area": "u.indoor_area"}.get(method, "1")
        selects.append(
            f"SELECT u.site_id, %s, %s, {item.pk}, 'unit:' || u.id, u.id, %s, %s, {quantity}, {rate}, "
            f"ROUND({quantity} * {rate}, 2), %s, '', '', %s FROM {q(Unit._meta.db_table)} u WHERE u.site_id = {site.pk}"
        )
    sql = f"INSERT INTO {q(line.db_table)} ({', '.join(q(line.get_field(c.removesuffix('_id')).column) for c in columns)}) " + " UNION ALL ".join(selects)  # fmt: skip
    now = connection.ops.adapt_datetimefield_value(datetime.datetime.now(datetime.UTC))
    end = month.replace(day=28) + datetime.timedelta(days=4)
    end = end - datetime.timedelta(days=end.day)
    params = [now, now, month, end, month.replace(day=15), False] * len(items)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return time.perf_counter() - started


def cashier_of(site: Site):
    """A user with the cashier role at `site` only, as the cashier's pages have."""
    user = get_user_model().objects.create_user("bench-cashier", password="bench-2026")
    user.groups.add(Group.objects.get(name="cashier"))
    SiteMembership.objects.create(user=user, site=site, is_default=True)
    return user


def take_payments(site: Site, cashier, count: int, report: Callable[[str], None]) -> float:
    """Seconds for `count` cash payments, each paying all the open lines of a different unit
    (the first `count` units), oldest first. What each unit owes is read beforehand, in one
    grouped query, so the time is that of the payments alone."""
    ids = list(Unit.objects.of_site(site).order_by("pk").values_list("pk", flat=True)[:count])
    owed = dict(
        BillLine.objects.filter(unit_id__gte=ids[0], unit_id__lte=ids[-1], cancelled_at=None)
        .values_list("unit_id")
        .annotate(total=Sum("amount"))
        .values_list("unit_id", "total")
    )
    units = list(Unit.objects.filter(pk__gte=ids[0], pk__lte=ids[-1]).order_by("pk"))
    started = time.perf_counter()
    for done, unit in enumerate(units, start=1):
        amount = Decimal(owed[unit.pk]).quantize(CENT)
        tendered = (amount / 100).to_integral_value(ROUND_CEILING) * 100  # notes, with change
        payments.take_payment(site=site, actor=cashier, unit=unit, method="cash", amount=amount,
                              tendered=tendered, idempotency_key=f"bench-{unit.pk}")  # fmt: skip
        if done % 1000 == 0:
            report(f"payments: {done:,} in {time.perf_counter() - started:.1f}s")
    return time.perf_counter() - started


def build_history(site: Site, items: list[FeeItem], unit: Unit, cashier) -> None:
    """`unit` billed for the 24 months before the bench's month (inserted in one statement,
    as a run would) and paid at the counter month by month. Half-way, a payment for that
    month's lines carries ¥100 more as credit, which is drawn onto the next month's lines at
    once; that month's payment is ¥100 less."""
    months = []
    for back in range(HISTORY_MONTHS, 0, -1):
        index = MONTH.year * 12 + MONTH.month - 1 - back
        months.append(datetime.date(index // 12, index % 12 + 1, 1))
    lines: dict[datetime.date, list[BillLine]] = {}
    for start in months:
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        for item, (_code, method, rate) in zip(items, ITEMS, strict=True):
            quantity = {"floor_area": unit.floor_area, "indoor_area": unit.indoor_area}.get(
                method, Decimal(1)
            )
            amount = (quantity * Decimal(rate)).quantize(CENT, ROUND_HALF_UP)
            lines.setdefault(start, []).append(
                BillLine(
                    site=site,
                    fee_item=item,
                    target=f"unit:{unit.pk}",
                    unit=unit,
                    period_start=start,
                    period_end=end,
                    quantity=quantity,
                    rate=Decimal(rate),
                    amount=amount,
                    due_date=end + datetime.timedelta(days=15),
                )
            )
    BillLine.objects.bulk_create([line for month in lines.values() for line in month])
    drawn = Decimal(0)
    for i, start in enumerate(months):
        total = sum((line.amount for line in lines[start]), Decimal(0))
        if i == HISTORY_MONTHS // 2:
            chosen = [line.pk for line in BillLine.objects.filter(unit=unit, period_start=start)]
            payments.take_payment(site=site, actor=cashier, unit=unit, method="qr",
                                  amount=total + 100, lines=chosen, take_rest_as_credit=True)  # fmt: skip
            drawn = payments.apply_credit(unit=unit, actor=cashier)
        else:
            payments.take_payment(site=site, actor=cashier, unit=unit, method="qr",
                                  amount=total - drawn)  # fmt: skip
            drawn = Decimal(0)


def time_statement(unit: Unit) -> tuple[int, float]:
    """The number of entries and the median of several reads of the statement, in ms."""
    entries = len(queries.statement(unit))  # and the first read warms the caches
    times = []
    for _ in range(STATEMENT_CALLS):
        started = time.perf_counter()
        queries.statement(unit)
        times.append((time.perf_counter() - started) * 1000)
    return entries, statistics.median(times)


def run(*, units: int = 100_000, report: Callable[[str], None] = lambda m: None) -> dict:
    user = get_user_model().objects.create_superuser("bench", password="bench-2026")
    company = Company.objects.create(name="基准物业")
    site = Site.objects.create(company=company, code="bench", name="基准小区")
    build_units(site, units)
    report(f"units: {units:,}")
    items = []
    for code, method, rate in ITEMS:
        item = services.save_fee_item(site=site, actor=user, code=code, name=code, method=method,
                                      kind=FeeItem.Kind.MANAGEMENT)  # fmt: skip
        services.set_rate(
            fee_item=item, actor=user, amount=rate, valid_from=datetime.date(2026, 1, 1)
        )
        items.append(item)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report("bill run")
    started = time.perf_counter()
    bill = bill_runs.run_bills(site=site, actor=user, month=MONTH)
    bill_run_s = time.perf_counter() - started
    report(f"bill run: {bill.lines:,} lines in {bill_run_s:.2f}s; baseline INSERT … SELECT")
    baseline_s = baseline(site, items, datetime.date(2026, 12, 1))
    if connection.vendor == "postgresql":
        # As autovacuum would by now: the payments' ledger statements are planned from the
        # lines' statistics, which still say the table is empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    cashier = cashier_of(site)
    paid = min(PAYMENTS, units - 1)  # the last unit keeps its long history to itself
    report(f"{paid:,} payments")
    payments_s = take_payments(site, cashier, paid, report)
    report("a unit with a long history; its statement")
    unit = Unit.objects.of_site(site).order_by("-pk").first()
    build_history(site, items, unit, cashier)
    entries, statement_ms = time_statement(unit)
    return {
        "units": units,
        "lines": bill.lines,
        "bill_run_s": round(bill_run_s, 3),
        "baseline_s": round(baseline_s, 3),
        "ratio": round(bill_run_s / baseline_s, 2),
        "payments": paid,
        "payments_10k_s": round(payments_s * PAYMENTS / paid, 3),
        "statement_entries": entries,
        "statement_ms": round(statement_ms, 2),
    }


def bench(*, scale: float, report: Callable[[str], None], units: int | None = None) -> dict:
    return run(units=units or max(100, int(100_000 * scale)), report=report)
