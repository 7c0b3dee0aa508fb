"""`wuye bench billing --units N`: how the bill run compares with the plainest possible SQL.

Builds a site of N units (set-based) with three monthly fee items — management fee by floor
area, maintenance fund by indoor area, a fixed sanitation charge — and times the bill run of
one month (3 × N lines), then a single hand-written `INSERT … SELECT` of the same rows into the
same table (for the next month, so the two don't collide), in the same database and run.
Prints `{"units", "lines", "bill_run_s", "baseline_s", "ratio", "payments_10k_s",
"statement_ms"}`; the last two are null until payments and statements are built.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from wuye.core.models import Company, Site
from wuye.estate.models import Building, Unit

from . import bill_runs, services
from .models import BillLine, FeeItem

MONTH = datetime.date(2026, 11, 1)
ITEMS = [  # code, method, rate
    ("mgmt", FeeItem.Method.FLOOR_AREA, "2.85"),
    ("fund", FeeItem.Method.INDOOR_AREA, "0.25"),
    ("clean", FeeItem.Method.PER_UNIT, "15"),
]


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
    return {
        "units": units,
        "lines": bill.lines,
        "bill_run_s": round(bill_run_s, 3),
        "baseline_s": round(baseline_s, 3),
        "ratio": round(bill_run_s / baseline_s, 2),
        "payments_10k_s": None,
        "statement_ms": None,
    }


def bench(*, scale: float, report: Callable[[str], None], units: int | None = None) -> dict:
    return run(units=units or max(100, int(100_000 * scale)), report=report)
