"""`wuye bench collections`: the collection-rate report, arrears aging and the daily late-fee
job over a large company (docs/collections.md, Benchmark).

Builds (set-based: one `INSERT … SELECT` per table and site, `generate_series` on PostgreSQL,
a recursive CTE on SQLite) 200 sites of 5,000 units each — 1,000,000 in all — in ~20
buildings of 250, and 24 months of their ledger, December 2024 to November 2026:

- two monthly fee items per site, the management fee by floor area (¥2.40/m²) and a fixed
  sanitation fee (¥15), and on every fourth site parking (¥150 a space, a space for one unit
  in ten; parking lines have no unit, so their figures have no building); every line charged
  on the 1st, due on the 15th of the next month, with the target a bill run gives it
  ("unit:<id>", "parking:<id>");
- payments, one per unit and pay day (cash, QR, transfer, card; two cashiers per site), each
  allocated to its lines with the day as `collected_on`: 53% of the units pay each month in
  the month (one in ten of them early in the next month instead), 30% pay a quarter ahead on
  its first month, 5% pay every month two months late (arrears recovered), 4% pay only half
  of the management fee, 7% stopped paying six months ago and 1% never paid; a parking space
  is paid by its unit apart, 3% never;
- a few voided payments (a wrong payment voided, its allocations undone, paid again the same
  day) and refunds of a fifth of a management-fee line's payment three weeks after it was
  paid;
- the collection figures rebuilt from that ledger by `figures.rebuild_figures()` (timed as
  `rebuild_s`), and a late-fee rule on every management fee (0.05% a day, no grace, capped at
  30%), set before the first month.

Then, on "today" 2026-11-25, it times (ms are medians of several calls after one to warm up):

- `report_ms`: the company-wide collection-rate report of October 2026 from the figures
  (`collection_rate.report`), and `recount_ms`: the same straight from the ledger
  (`collection_rate.recount`); `figures_equal` says the two agree to the fen in every row;
- `aging_ms`: one site's arrears page — its units in arrears, the site's totals and the
  buildings' (`arrears.by_unit`, `site_totals`, `by_building`) read in full; beside it
  `aging_baseline_ms`, the least such a page could cost (one indexed aggregate over the
  site's open overdue lines, what each unit owes), and `aging_over_baseline`, the ratio;
- `late_fee_first_s`: the first run of the daily late-fee job over the whole company (on
  2026-11-24: every overdue management-fee line gets its late fee), and `late_fee_job_s`: the
  next day's run (2026-11-25), the steady daily job (`late_fees.accrue_late_fees`);
- on PostgreSQL, `recount_ms_jit_off`, `aging_ms_jit_off` and `late_fee_job_s_jit_off` (the
  run of 2026-11-26): the same with the server's JIT compiler off for the session.

`--scale 0.01` builds 2 sites of 5,000 units.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from wuye.core.models import Company, Site
from wuye.estate.models import Building, ParkingSpace, Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine

from . import arrears, collection_rate, figures, late_fees, services
from .models import FeeItem, LateFeeRule, Payment, Refund

SITES = 200
UNITS = 1_000_000
PER_BUILDING = 250
FIRST_MONTH = datetime.date(2024, 12, 1)
MONTHS = 24
TODAY = datetime.date(2026, 11, 25)
REPORT_MONTH = datetime.date(2026, 10, 1)
MGMT_RATE, CLEAN_RATE, PARKING_RATE = "2.40", "15.00", "150.00"
RULE_SET = datetime.datetime(2024, 11, 20, tzinfo=datetime.UTC)
LATE_FEE = {"basis": "daily", "rate_percent": "0.05", "grace_days": 0, "cap_percent": "30"}
REPORT_CALLS, RECOUNT_CALLS, AGING_CALLS = 7, 3, 5

q = connection.ops.quote_name


# ---------------------------------------------------------------------------------------------
# SQL of either database


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _series(count: int) -> str:
    """Rows n.i = 0 … count − 1."""
    if _pg():
        return f"generate_series(0, {int(count) - 1}) AS n(i)"
    return f"(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {int(count) - 1}) SELECT i FROM s) AS n"  # fmt: skip


def _plus_days(day: str, days: str) -> str:
    """SQL: a date `days` days after `day`."""
    return (
        f"({day} + CAST({days} AS INTEGER))"
        if _pg()
        else f"date({day}, '+' || ({days}) || ' days')"
    )


def _moment(day: str, hour: int) -> str:
    """SQL: `hour` o'clock UTC on `day` (Beijing time: 8 hours on), as the column stores it."""
    if _pg():
        return f"(({day}) + TIME '{hour:02d}:00') AT TIME ZONE 'UTC'"
    return f"(({day}) || ' {hour:02d}:00:00')"


def _later(moment: str, minutes: int) -> str:
    if _pg():
        return f"({moment} + INTERVAL '{minutes} minutes')"
    return f"datetime({moment}, '+{minutes} minutes')"


def _columns(model, names: list[str]) -> str:
    return ", ".join(q(model._meta.get_field(n).column) for n in names)


def _execute(sql: str, params=()) -> int:
    """Run `sql`, where % is SQL's modulo and %s a parameter."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("%", "%%").replace("%%s", "%s"), list(params))
        return max(cursor.rowcount, 0)


def _now():
    return connection.ops.adapt_datetimefield_value(datetime.datetime.now(datetime.UTC))


def _date(day: datetime.date):
    return connection.ops.adapt_datefield_value(day)


# ---------------------------------------------------------------------------------------------
# The company


def _month(index: int) -> datetime.date:
    n = FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1 + index
    return datetime.date(n // 12, n % 12 + 1, 1)


def _month_table() -> None:
    """bench_month: the 24 months billed, with what the payment plan needs of each; and the
    plan's tables (`_plan`). Temporary: the connection's own, dropped after the build."""
    _drop_tables()
    day = "DATE" if _pg() else "TEXT"
    _execute(
        f"CREATE TEMPORARY TABLE bench_month (start {day} PRIMARY KEY, idx INTEGER, "
        f"pend {day}, due {day}, qstart {day}, next1 {day}, next2 {day})"
    )
    rows = []
    for i in range(MONTHS):
        start = _month(i)
        end = _month(i + 1) - datetime.timedelta(days=1)
        quarter = start.replace(month=(start.month - 1) // 3 * 3 + 1)
        rows.append([_date(start), i, _date(end), _date(_month(i + 1).replace(day=15)),
                     _date(quarter), _date(_month(i + 1)), _date(_month(i + 2))])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_month VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    day_t = "DATE" if _pg() else "TEXT"
    moment_t = "TIMESTAMP WITH TIME ZONE" if _pg() else "TEXT"
    _execute(
        f"CREATE TEMPORARY TABLE bench_alloc (line_id BIGINT, unit_id BIGINT, idx INTEGER, "
        f"hour INTEGER, pay_day {day_t}, received_at {moment_t}, amount NUMERIC(12, 2), "
        f"voided INTEGER)"
    )
    _execute(
        f"CREATE TEMPORARY TABLE bench_pay (id BIGINT, unit_id BIGINT, received_at {moment_t}, "
        f"voided INTEGER, amount NUMERIC(12, 2))"
    )


def _drop_tables() -> None:
    for table in ("bench_month", "bench_alloc", "bench_pay"):
        _execute(f"DROP TABLE IF EXISTS {table}")


def build_units(site: Site, count: int) -> tuple[int, int]:
    """`count` units in buildings of 250 (25 floors of 10), one INSERT … SELECT; the first and
    last unit ids."""
    per = min(PER_BUILDING, count)
    buildings = Building.objects.bulk_create(
        [
            Building(site=site, code=str(b), name=f"{b}栋", floors_above=25)
            for b in range(1, (count + per - 1) // per + 1)
        ]
    )
    first = buildings[0].pk  # consecutive: one INSERT into an empty sequence of this run
    now = _now()
    number = (
        f"lpad((1 + (n.i % {per}) / 10)::text, 2, '0') || ((n.i % 10) + 1)::text" if _pg()
        else f"printf('%02d%d', 1 + (n.i % {per}) / 10, (n.i % 10) + 1)"
    )  # fmt: skip
    area = "(60 + (n.i % 97) + (n.i % 2) * 0.5)"
    columns = ["site", "created_at", "updated_at", "building", "floor", "number", "code",
               "floor_area", "indoor_area", "use", "state", "fee_coefficient", "note"]  # fmt: skip
    sql = (
        f"INSERT INTO {q(Unit._meta.db_table)} ({_columns(Unit, columns)}) "
        f"SELECT %s, %s, %s, {first} + n.i / {per}, 1 + (n.i % {per}) / 10, {number}, "
        f"(1 + n.i / {per}) || '-' || {number}, {area}, {area} * 0.8, 'residence', "
        f"CASE WHEN n.i % 13 = 0 THEN 'vacant' ELSE 'occupied' END, 1, '' FROM {_series(count)}"
    )
    _execute(sql, [site.pk, now, now])
    ids = Unit.objects.filter(site=site).order_by("pk").values_list("pk", flat=True)
    return ids.first(), ids.last()


def build_spaces(site: Site, count: int) -> int:
    """`count` sold parking spaces; the first id."""
    now = _now()
    columns = ["site", "created_at", "updated_at", "code", "zone", "kind", "state", "note"]
    _execute(
        f"INSERT INTO {q(ParkingSpace._meta.db_table)} ({_columns(ParkingSpace, columns)}) "
        f"SELECT %s, %s, %s, 'P' || n.i, 'B1', 'underground', 'sold', '' FROM {_series(count)}",
        [site.pk, now, now],
    )
    return ParkingSpace.objects.filter(site=site).order_by("pk").values_list("pk", flat=True).first()  # fmt: skip


LINE_COLUMNS = ["site", "created_at", "updated_at", "fee_item", "target", "unit",
                "parking_space", "period_start", "period_end", "quantity", "rate", "amount",
                "due_date", "note", "cancel_reason", "reversed"]  # fmt: skip


def bill_lines(site: Site, items: dict[str, FeeItem]) -> int:
    """24 months of every fee item's lines, one INSERT … SELECT per item."""
    table = q(BillLine._meta.db_table)
    now = _now()
    posted = 0
    for code, quantity, rate in (("mgmt", "u.floor_area", MGMT_RATE), ("clean", "1", CLEAN_RATE)):
        posted += _execute(
            f"INSERT INTO {table} ({_columns(BillLine, LINE_COLUMNS)}) "
            f"SELECT u.site_id, %s, %s, {items[code].pk}, 'unit:' || u.id, u.id, NULL, m.start, "
            f"m.pend, {quantity}, {rate}, ROUND({quantity} * {rate}, 2), m.due, '', '', FALSE "
            f"FROM {q(Unit._meta.db_table)} u CROSS JOIN bench_month m WHERE u.site_id = %s",
            [now, now, site.pk],
        )
    if "parking" in items:
        posted += _execute(
            f"INSERT INTO {table} ({_columns(BillLine, LINE_COLUMNS)}) "
            f"SELECT o.site_id, %s, %s, {items['parking'].pk}, 'parking:' || o.id, NULL, o.id, "
            f"m.start, m.pend, 1, {PARKING_RATE}, {PARKING_RATE}, m.due, '', '', FALSE "
            f"FROM {q(ParkingSpace._meta.db_table)} o CROSS JOIN bench_month m WHERE o.site_id = %s",
            [now, now, site.pk],
        )
    return posted


def _plan(site: Site, items: dict[str, FeeItem], first_unit: int, first_space: int | None) -> None:
    """bench_alloc: every allocation to make — line, unit, pay day, moment, amount — by each
    unit's habit (unit id % 100; see the module's text)."""
    _execute("DELETE FROM bench_alloc")
    _execute("DELETE FROM bench_pay")
    lines, units = q(BillLine._meta.db_table), q(Unit._meta.db_table)
    p, h, d = "(u.id % 100)", "((u.id / 100) % 10)", "(u.id % 24)"
    pay_day = f"""CASE
        WHEN {p} = 0 THEN NULL
        WHEN {p} BETWEEN 1 AND 7 AND m.idx >= {MONTHS - 6} THEN NULL
        WHEN {p} BETWEEN 8 AND 12 THEN {_plus_days("m.next2", "9")}
        WHEN {p} BETWEEN 17 AND 46 THEN {_plus_days("m.qstart", "u.id % 10")}
        WHEN {p} >= 47 AND {h} = 0 THEN {_plus_days("m.next1", "u.id % 14")}
        ELSE {_plus_days("m.start", d)} END"""
    amount = f"CASE WHEN {p} BETWEEN 13 AND 16 AND l.fee_item_id = {items['mgmt'].pk} THEN ROUND(l.amount / 2, 2) ELSE l.amount END"  # fmt: skip
    columns = "line_id, unit_id, idx, hour, pay_day, received_at, amount, voided"
    _execute(
        f"INSERT INTO bench_alloc ({columns}) "
        f"SELECT x.line_id, x.unit_id, x.idx, 2, x.pay_day, {_moment('x.pay_day', 2)}, x.amount, 0 FROM ("
        f"  SELECT l.id AS line_id, l.unit_id AS unit_id, m.idx AS idx, {pay_day} AS pay_day, {amount} AS amount"
        f"  FROM {lines} l JOIN bench_month m ON m.start = l.period_start JOIN {units} u ON u.id = l.unit_id"
        f"  WHERE l.site_id = %s AND l.unit_id IS NOT NULL) x "
        f"WHERE x.pay_day IS NOT NULL AND x.pay_day < %s",
        [site.pk, _date(TODAY)],
    )  # fmt: skip
    if first_space is not None:
        # A space is paid apart by its unit (one in ten), in the month; 3% of spaces never.
        _execute(
            f"INSERT INTO bench_alloc ({columns}) "
            f"SELECT x.line_id, x.unit_id, x.idx, 3, x.pay_day, {_moment('x.pay_day', 3)}, x.amount, 0 FROM ("
            f"  SELECT l.id AS line_id, {int(first_unit)} + (l.parking_space_id - {int(first_space)}) * 10 AS unit_id,"
            f"    m.idx AS idx, {_plus_days('m.start', 'l.parking_space_id % 24')} AS pay_day, l.amount AS amount"
            f"  FROM {lines} l JOIN bench_month m ON m.start = l.period_start"
            f"  WHERE l.site_id = %s AND l.parking_space_id IS NOT NULL AND l.parking_space_id % 33 <> 0) x "
            f"WHERE x.pay_day < %s",
            [site.pk, _date(TODAY)],
        )  # fmt: skip
    # A wrong payment, voided: the same lines paid an hour earlier the same day, undone.
    _execute(
        f"INSERT INTO bench_alloc ({columns}) "
        f"SELECT line_id, unit_id, idx, 1, pay_day, {_moment('pay_day', 1)}, amount, 1 FROM bench_alloc "
        f"WHERE hour = 2 AND unit_id % 100 >= 47 AND (unit_id / 100) % 10 = 1 AND idx % 6 = 2"
    )  # fmt: skip


def pay(site: Site, items: dict[str, FeeItem], cashiers: list[int], first_unit: int,
        first_space: int | None, next_id: int) -> tuple[int, int, int]:  # fmt: skip
    """The site's payments, allocations and refunds from its plan; returns how many payments,
    allocations and refunds were made. Payment ids are given (from `next_id`) so the
    allocations find their payment in the plan, not by a search of the payments."""
    _plan(site, items, first_unit, first_space)
    _execute(
        f"INSERT INTO bench_pay (id, unit_id, received_at, voided, amount) "
        f"SELECT {int(next_id)} + ROW_NUMBER() OVER (ORDER BY unit_id, received_at), unit_id, "
        f"received_at, MAX(voided), SUM(amount) FROM bench_alloc GROUP BY unit_id, received_at"
    )
    c1, c2 = (int(c) for c in cashiers)
    method = "CASE (p.unit_id / 7) % 8 WHEN 0 THEN 'cash' WHEN 1 THEN 'cash' WHEN 2 THEN 'transfer' WHEN 3 THEN 'card' ELSE 'qr' END"  # fmt: skip
    cashier = f"CASE WHEN p.unit_id % 2 = 0 THEN {c1} ELSE {c2} END"
    columns = ["id", "site", "created_at", "updated_at", "unit", "payer", "method", "amount",
               "tendered", "change", "reference", "idempotency_key", "cashier", "received_at",
               "note", "voided_at", "void_reason", "voided_by", "channel"]  # fmt: skip
    payments = _execute(
        f"INSERT INTO {q(Payment._meta.db_table)} ({_columns(Payment, columns)}) "
        f"SELECT p.id, %s, p.received_at, p.received_at, p.unit_id, '', {method}, p.amount, NULL, 0, '', '', "
        f"{cashier}, p.received_at, '', CASE WHEN p.voided = 1 THEN {_later('p.received_at', 30)} END, "
        f"CASE WHEN p.voided = 1 THEN '金额输错，作废重收' ELSE '' END, CASE WHEN p.voided = 1 THEN {cashier} END, "
        f"'counter' FROM bench_pay p",
        [site.pk],
    )  # fmt: skip
    columns = ["bill_line", "payment", "from_credit", "amount", "created_at", "collected_on", "undone"]  # fmt: skip
    allocations = _execute(
        f"INSERT INTO {q(Allocation._meta.db_table)} ({_columns(Allocation, columns)}) "
        f"SELECT a.line_id, p.id, FALSE, a.amount, a.received_at, a.pay_day, a.voided = 1 "
        f"FROM bench_alloc a JOIN bench_pay p ON p.unit_id = a.unit_id AND p.received_at = a.received_at"
    )  # fmt: skip
    # A fifth of a management-fee line's payment paid back three weeks later (area measured
    # again), in two months of the two years, for one unit in twenty of the monthly payers.
    day = _plus_days("a.pay_day", "21")
    columns = ["site", "created_at", "updated_at", "unit", "source", "amount", "method",
               "bill_line", "reason", "paid_to", "refunded_by", "refunded_at", "refunded_on"]  # fmt: skip
    refunds = _execute(
        f"INSERT INTO {q(Refund._meta.db_table)} ({_columns(Refund, columns)}) "
        f"SELECT %s, x.moment, x.moment, x.unit_id, 'line', ROUND(x.amount * 0.2, 2), 'cash', x.line_id, "
        f"'面积复测，多收退回', '', {c1}, x.moment, x.day FROM ("
        f"  SELECT a.unit_id, a.line_id, a.amount, {day} AS day, {_moment(day, 3)} AS moment FROM bench_alloc a"
        f"  JOIN {q(BillLine._meta.db_table)} l ON l.id = a.line_id"
        f"  WHERE a.voided = 0 AND a.hour = 2 AND l.fee_item_id = {items['mgmt'].pk}"
        f"    AND a.unit_id % 100 >= 47 AND (a.unit_id / 100) % 10 = 2 AND a.idx IN (6, 18)) x "
        f"WHERE x.day < %s",
        [site.pk, _date(TODAY)],
    )  # fmt: skip
    return payments, allocations, refunds


def _fix_sequence(model) -> None:
    """After ids given by hand: PostgreSQL's sequence moves past them (SQLite's does itself)."""
    if _pg():
        table = model._meta.db_table
        _execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {q(table)}))")  # fmt: skip


# Indexes the build itself reads by (a site's lines): kept while loading.
KEPT_INDEXES = ("bill_line_site_period_idx",)
LOADED = (BillLine, Allocation, Payment)


def _bulk_load_begin() -> list[str]:
    """PostgreSQL: load as a restore does — the loaded tables' secondary indexes dropped (their
    definitions kept, to be made again by `_bulk_load_end`) and the foreign-key triggers off
    for this session (`session_replication_role`); check constraints and the primary keys stay.
    The rows are consistent by construction (SQLite, whose checks stay on, proves it in the
    tests), and the unique indexes made again afterwards check them once more."""
    if not _pg():
        return []
    tables = ", ".join(f"'{m._meta.db_table}'::regclass" for m in LOADED)
    kept = ", ".join(f"'{name}'" for name in KEPT_INDEXES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            f"JOIN pg_class c ON c.oid = i.indexrelid "
            f"WHERE i.indrelid IN ({tables}) AND NOT i.indisprimary AND c.relname NOT IN ({kept}) "
            f"AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {q(name)}")
        cursor.execute("SET session_replication_role = replica")
    return [definition for _name, definition in found]


def _bulk_load_end(definitions: list[str], report: Callable[[str], None]) -> None:
    if not _pg():
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for n, definition in enumerate(definitions, start=1):
            cursor.execute(definition)
            report(f"index {n}/{len(definitions)} made again")
        cursor.execute("RESET maintenance_work_mem")


def build(sites: int, units: int, report: Callable[[str], None]) -> dict:
    """The company: its sites, units, fee items, lines, payments; returns counts."""
    users = get_user_model()
    admin = users.objects.create_superuser("bench", password="bench-2026")
    company = Company.objects.create(name="基准物业集团")
    per_site = units // sites
    _month_table()
    counts = {"lines": 0, "payments": 0, "allocations": 0, "refunds": 0}
    next_id = 0
    started = time.perf_counter()
    indexes = _bulk_load_begin()
    for n in range(sites):
        with transaction.atomic():
            site = Site.objects.create(company=company, code=f"s{n:03d}", name=f"基准{n + 1:03d}小区")  # fmt: skip
            cashiers = [
                users.objects.create(
                    username=f"cashier-{n:03d}-{k}", first_name=f"收银{n:03d}-{k}"
                )  # fmt: skip
                for k in (1, 2)
            ]
            first_unit, _last = build_units(site, per_site)
            first_space = build_spaces(site, per_site // 10) if n % 4 == 0 else None
            items = {}
            for code, name, method, kind in (
                ("mgmt", "物业管理费", FeeItem.Method.FLOOR_AREA, FeeItem.Kind.MANAGEMENT),
                ("clean", "生活垃圾清运费", FeeItem.Method.PER_UNIT, FeeItem.Kind.SERVICE),
                ("parking", "车位管理费", FeeItem.Method.PER_PARKING, FeeItem.Kind.PARKING),
            ):
                if code == "parking" and first_space is None:
                    continue
                items[code] = services.save_fee_item(
                    site=site, actor=admin, code=code, name=name, method=method, kind=kind
                )
            counts["lines"] += bill_lines(site, items)
            made = pay(site, items, [c.pk for c in cashiers], first_unit, first_space, next_id)
            for key, value in zip(("payments", "allocations", "refunds"), made, strict=True):
                counts[key] += value
            next_id += made[0]
            rule = late_fees.save_late_fee_rule(fee_item=items["mgmt"], actor=admin, **LATE_FEE)
            # In force since before the first month billed (a new rule charges no days before
            # the day it was set).
            LateFeeRule.objects.filter(pk=rule.pk).update(created_at=RULE_SET)
        if (n + 1) % max(1, sites // 20) == 0 or n + 1 == sites:
            report(
                f"sites: {n + 1}/{sites}, {counts['lines']:,} lines, {counts['payments']:,} "
                f"payments in {time.perf_counter() - started:.0f}s"
            )
    _fix_sequence(Payment)
    _drop_tables()
    _bulk_load_end(indexes, report)
    # The ledger was written as rows, not through `receivables`: its line figures, once.
    report(f"ledger: {receivables.recount():,} lines' figures counted")
    counts["voided"] = Payment.objects.filter(voided_at__isnull=False).count()
    return counts


def _settle() -> None:
    """What a database in use has done: statistics (and on PostgreSQL the visibility map and
    hint bits, so the first read of a table isn't the one that writes them)."""
    if _pg():
        for model in (BillLine, Allocation, Payment, Refund, Unit):
            _execute(f"VACUUM (ANALYZE) {q(model._meta.db_table)}")
    else:
        _execute("ANALYZE")


# ---------------------------------------------------------------------------------------------
# Timing


def _median_ms(call: Callable[[], object], times: int) -> tuple[object, float]:
    """The result and the median of `times` calls after one to warm the caches (one call when
    the first took longer than 20 s: the full recount)."""
    started = time.perf_counter()
    result = call()
    if time.perf_counter() - started > 20:
        times = 1
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        result = call()
        spent.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(spent)


def _aging(site: Site) -> int:
    """The arrears page's reads, in full: the units in arrears, the site's totals, buildings."""
    rows = [arrears.to_the_fen(r) for r in arrears.by_unit(site, TODAY).iterator()]
    arrears.site_totals(site, TODAY)
    list(arrears.by_building(site, TODAY))
    return len(rows)


def _aging_baseline(site: Site) -> int:
    """The least the arrears page could cost: one indexed aggregate over the site's open
    overdue lines, what each unit owes, read in full (the bill-line open index)."""
    table = connection.ops.quote_name(BillLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, SUM(open_amount) FROM {table} WHERE site_id = %s AND open_amount > 0 "
            "AND due_date < %s AND cancelled_at IS NULL AND unit_id IS NOT NULL GROUP BY unit_id",
            [site.pk, TODAY],
        )
        return len(cursor.fetchall())


def run(*, sites: int = SITES, units: int = UNITS, report: Callable[[str], None] = lambda m: None) -> dict:  # fmt: skip
    started = time.perf_counter()
    if _pg():
        _execute("SET synchronous_commit = off")  # a throwaway database: no wait on each commit
    counts = build(sites, units, report)
    build_s = time.perf_counter() - started
    report(f"built in {build_s:.0f}s; vacuum and statistics")
    _settle()
    report("the collection figures, rebuilt from the ledger")
    started = time.perf_counter()
    figures.rebuild_figures()
    rebuild_s = time.perf_counter() - started
    if _pg():
        _execute("RESET synchronous_commit")
        _execute("ANALYZE billing_collectionfigure")
        _execute("ANALYZE billing_incomefigure")
    report(f"rebuilt in {rebuild_s:.1f}s; the report from the figures")
    company = list(Site.objects.order_by("code"))
    period = collection_rate.Period.containing("month", REPORT_MONTH)
    ours, report_ms = _median_ms(lambda: collection_rate.report(sites=company, period=period), REPORT_CALLS)  # fmt: skip
    report(f"report: {report_ms:.1f}ms; the recount from the ledger")
    ledger, recount_ms = _median_ms(lambda: collection_rate.recount(sites=company, period=period), RECOUNT_CALLS)  # fmt: skip
    equal = ours.numbers() == ledger.numbers()
    report(f"recount: {recount_ms:.0f}ms, equal: {equal}; one site's arrears")
    site = company[0]
    arrears_units, aging_ms = _median_ms(lambda: _aging(site), AGING_CALLS)
    baseline_units, aging_baseline_ms = _median_ms(lambda: _aging_baseline(site), AGING_CALLS)
    if baseline_units != arrears_units:
        raise RuntimeError(f"the aging found {arrears_units} units, the baseline {baseline_units}")
    report(f"aging: {aging_ms:.0f}ms (baseline {aging_baseline_ms:.0f}ms); the first late-fee run")
    started = time.perf_counter()
    late_fees.accrue_late_fees(today=TODAY - datetime.timedelta(days=1), site=None)
    first_s = time.perf_counter() - started
    report(f"first late-fee run: {first_s:.1f}s; the next day's")
    started = time.perf_counter()
    accrued = late_fees.accrue_late_fees(today=TODAY, site=None)
    job_s = time.perf_counter() - started
    without_jit = _without_jit(company, period, site, report) if _pg() else {}
    return {
        "sites": len(company),
        "units": Unit.objects.count(),
        "report_ms": round(report_ms, 2),
        "recount_ms": round(recount_ms, 1),
        "ratio": round(recount_ms / report_ms, 1),
        "figures_equal": equal,
        "aging_ms": round(aging_ms, 1),
        "aging_baseline_ms": round(aging_baseline_ms, 1),
        "aging_over_baseline": round(aging_ms / aging_baseline_ms, 2),
        "late_fee_job_s": round(job_s, 3),
        "late_fee_first_s": round(first_s, 3),
        "late_fees": accrued,
        "arrears_units": arrears_units,
        "month": period.value,
        "month_due": str(ours.total.due),
        "month_rate": str(ours.total.rate),
        "recovered": str(ours.total.recovered),
        **counts,
        "build_s": round(build_s, 1),
        "rebuild_s": round(rebuild_s, 1),
        "database": connection.vendor,
        **without_jit,
    }


def _without_jit(company: list[Site], period, site: Site, report: Callable[[str], None]) -> dict:
    """PostgreSQL: the recount, the aging and the next day's late-fee run again with the JIT
    compiler off. Its compile time (seconds for a statement of many subqueries, whatever the
    data) is in the numbers above, as the server is configured by default; these say what is
    left of them without it."""
    report("again without the JIT compiler")
    _execute("SET jit = off")
    try:
        _ledger, recount_ms = _median_ms(lambda: collection_rate.recount(sites=company, period=period), RECOUNT_CALLS)  # fmt: skip
        _units, aging_ms = _median_ms(lambda: _aging(site), AGING_CALLS)
        started = time.perf_counter()
        late_fees.accrue_late_fees(today=TODAY + datetime.timedelta(days=1), site=None)
        job_s = time.perf_counter() - started
    finally:
        _execute("RESET jit")
    return {
        "recount_ms_jit_off": round(recount_ms, 1),
        "aging_ms_jit_off": round(aging_ms, 1),
        "late_fee_job_s_jit_off": round(job_s, 3),
    }


def bench(*, scale: float, report: Callable[[str], None], **extra) -> dict:
    """The whole company at scale 1; `--scale 0.01`: 2 sites of 5,000 units."""
    units = max(200, int(UNITS * scale))
    sites = max(2, round(SITES * scale))
    return run(sites=sites, units=units, report=report)
