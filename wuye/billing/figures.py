"""The collection figures (R-FEE-05, R-KPI-01): the ledger summed once, so the
collection-rate report over a large company reads a few thousand rows instead of every line,
allocation and refund (`collection_rate`).

`CollectionFigure` holds, per fee item, building (none for parking-space lines), charge month
and collected month, what was charged (`due`, on the row whose collected month is the charge
month) and what was collected of it (`collected`: live allocations less line refunds).
Relief lowers what a line makes due: a live relief entry on a live line takes its amount off
`due` in the line's charge-month row (due = charged − relief). `IncomeFigure` holds money taken
and paid back per building, month, method and cashier (none: the online channel's money).
Lines of late-fee and deposit items are left out: they are not in the rate.

Every write of the ledger adds its change here, in its own transaction, as one
`INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE SET x = x + excluded.x` (SQLite ≥ 3.24 and
PostgreSQL alike): a delta, never a read-modify-write, so two payments landing on one figure at
once both count. A bill run adds its lines in one statement.

`rebuild_figures` recomputes figures from the ledger, set-based (after imports, by
`wuye recount_collections --fix`, and by the nightly check when they ever differ);
`differences` compares what is stored with the ledger, cell by cell. On PostgreSQL a rebuild
holds a site's advisory lock exclusively while every write here holds it shared, so a payment
can't be counted twice or lost by a rebuild running at the same moment.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from wuye.core import clock
from wuye.core.models import Site
from wuye.estate.models import Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine

from .models import CollectionFigure, FeeItem, IncomeFigure, Payment, Refund, ReliefEntry
from .money import CENT, ZERO

log = logging.getLogger(__name__)

# Not in the collection rate: late fees are reported apart from the principal, deposits are held.
EXCLUDED_KINDS = (FeeItem.Kind.LATE_FEE, FeeItem.Kind.DEPOSIT)
# The first key of the PostgreSQL advisory lock a site's figures are guarded by ("wy").
LOCK_CLASS = 0x7779


# ---------------------------------------------------------------------------------------------
# Dates


def zone_of(site: Site | int) -> ZoneInfo:
    if isinstance(site, int):
        site = Site.objects.only("time_zone").get(pk=site)
    return ZoneInfo(site.time_zone or "Asia/Shanghai")


def local_day(site: Site | int, moment: datetime.datetime | None = None) -> datetime.date:
    """`moment` (now) as the site's own date: the day money counts as collected."""
    return timezone.localdate(moment or clock.now(), zone_of(site))


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


# ---------------------------------------------------------------------------------------------
# SQL


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _month(column: str) -> str:
    """SQL: the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', CAST({column} AS timestamp)) AS date)"
    return f"date({column}, 'start of month')"


def _excluded() -> str:
    return ", ".join(f"'{kind}'" for kind in EXCLUDED_KINDS)


def _from_lines(where: str) -> str:
    """Lines' due: the amount, in the charge month's own row."""
    return f"""
        SELECT l.site_id, u.building_id, l.fee_item_id, {_month("l.period_start")} AS charge_month,
               {_month("l.period_start")} AS collected_month, l.amount AS due, 0 AS collected
        FROM {_table(BillLine)} l
        JOIN {_table(FeeItem)} f ON f.id = l.fee_item_id AND f.kind NOT IN ({_excluded()})
        LEFT JOIN {_table(Unit)} u ON u.id = l.unit_id
        WHERE {where}"""  # fmt: skip


def _from_allocations(where: str) -> str:
    """Live allocations: collected in the month of `collected_on`."""
    return f"""
        SELECT l.site_id, u.building_id, l.fee_item_id, {_month("l.period_start")} AS charge_month,
               {_month("a.collected_on")} AS collected_month, 0 AS due, a.amount AS collected
        FROM {_table(Allocation)} a
        JOIN {_table(BillLine)} l ON l.id = a.bill_line_id
        JOIN {_table(FeeItem)} f ON f.id = l.fee_item_id AND f.kind NOT IN ({_excluded()})
        LEFT JOIN {_table(Unit)} u ON u.id = l.unit_id
        WHERE a.undone = FALSE AND {where}"""  # fmt: skip


def _from_refunds(where: str) -> str:
    """Refunds of a line's payment: taken off in the month refunded."""
    return f"""
        SELECT l.site_id, u.building_id, l.fee_item_id, {_month("l.period_start")} AS charge_month,
               {_month("r.refunded_on")} AS collected_month, 0 AS due, -r.amount AS collected
        FROM {_table(Refund)} r
        JOIN {_table(BillLine)} l ON l.id = r.bill_line_id
        JOIN {_table(FeeItem)} f ON f.id = l.fee_item_id AND f.kind NOT IN ({_excluded()})
        LEFT JOIN {_table(Unit)} u ON u.id = l.unit_id
        WHERE r.source = '{Refund.Source.LINE}' AND {where}"""  # fmt: skip


def _from_reliefs(where: str) -> str:
    """Live relief entries: taken off the line's due, in the charge month's own row."""
    return f"""
        SELECT l.site_id, u.building_id, l.fee_item_id, {_month("l.period_start")} AS charge_month,
               {_month("l.period_start")} AS collected_month, -e.amount AS due, 0 AS collected
        FROM {_table(ReliefEntry)} e
        JOIN {_table(BillLine)} l ON l.id = e.bill_line_id
        JOIN {_table(FeeItem)} f ON f.id = l.fee_item_id AND f.kind NOT IN ({_excluded()})
        LEFT JOIN {_table(Unit)} u ON u.id = l.unit_id
        WHERE e.cancelled_at IS NULL AND {where}"""  # fmt: skip


CELL = "site_id, building_id, fee_item_id, charge_month, collected_month"


def _grouped(parts: list[str], sign: int = 1) -> str:
    return f"""
        SELECT {CELL}, {int(sign)} * SUM(due), {int(sign)} * SUM(collected)
        FROM ({" UNION ALL ".join(parts)}) parts
        WHERE 1 = 1
        GROUP BY {CELL}"""


def _add(parts: list[str], params: list, sign: int = 1) -> None:
    """Add (or, with sign -1, take off) what `parts` select to the figures, cell by cell."""
    table = _table(CollectionFigure)
    sql = f"""
        INSERT INTO {table} ({CELL}, due, collected)
        {_grouped(parts, sign)}
        ON CONFLICT (fee_item_id, (COALESCE(building_id, 0)), charge_month, collected_month)
        DO UPDATE SET due = {table}.due + excluded.due,
                      collected = {table}.collected + excluded.collected"""  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _add_income(rows: Iterable[tuple]) -> None:
    """Add (site, building, month, method, cashier, received, refunded) rows to the income."""
    table = _table(IncomeFigure)
    sql = f"""
        INSERT INTO {table} (site_id, building_id, month, method, cashier_id, received, refunded)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (building_id, month, method, (COALESCE(cashier_id, 0)))
        DO UPDATE SET received = {table}.received + excluded.received,
                      refunded = {table}.refunded + excluded.refunded"""  # fmt: skip
    rows = [
        (site, building, connection.ops.adapt_datefield_value(month), method, cashier,
         connection.ops.adapt_decimalfield_value(received, 16, 2),
         connection.ops.adapt_decimalfield_value(refunded, 16, 2))
        for site, building, month, method, cashier, received, refunded in rows
    ]  # fmt: skip
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _hold(site_id: int, exclusive: bool = False) -> None:
    """PostgreSQL: this site's figures lock until the transaction ends — shared by writes of the
    ledger, exclusive for a rebuild. SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {lock}(%s, %s)", [LOCK_CLASS, int(site_id)])


# ---------------------------------------------------------------------------------------------
# The ledger's writes: each calls one of these inside its own transaction.


def lines_posted(*, site_id: int, lines: Iterable[int] = (), run=None) -> None:
    """New lines (one by one, or a whole bill run's at once) add their amounts to `due`."""
    where = f"l.run_id = {int(run.pk)}" if run is not None else f"l.id IN ({_ids(lines)})"
    if where.endswith("(NULL)"):
        return
    _hold(site_id)
    _add([_from_lines(f"{where} AND l.cancelled_at IS NULL")], [])


def lines_cancelled(*, site_id: int, lines: Iterable[int] = (), run=None) -> None:
    """Lines about to be cancelled (one, a terminated lease's, or a whole run's still live) take
    their due and whatever stayed collected on them out of every month. Call it before the
    lines are marked cancelled."""
    if run is not None:
        where = f"l.run_id = {int(run.pk)} AND l.cancelled_at IS NULL"
    else:
        ids = _ids(lines)
        if ids == "NULL":
            return
        where = f"l.id IN ({ids}) AND l.cancelled_at IS NULL"
    _hold(site_id)
    parts = [_from_lines(where), _from_allocations(where), _from_refunds(where), _from_reliefs(where)]  # fmt: skip
    _add(parts, [], sign=-1)


def allocated(*, site_id: int, allocations: Iterable[int]) -> None:
    """Allocations just made — from a payment, credit or a deposit — are collected money."""
    ids = _ids(allocations)
    if ids == "NULL":
        return
    _hold(site_id)
    _add([_from_allocations(f"a.id IN ({ids})")], [])


def _relief_changed(site_id: int, entries: Iterable[int], run, sign: int) -> None:
    if run is not None:
        where = f"l.run_id = {int(run.pk)} AND l.cancelled_at IS NULL"
    else:
        ids = _ids(entries)
        if ids == "NULL":
            return
        where = f"e.id IN ({ids}) AND l.cancelled_at IS NULL"
    _hold(site_id)
    _add([_from_reliefs(where)], [], sign=sign)


def relief_granted(*, site_id: int, entries: Iterable[int] = (), run=None) -> None:
    """Relief entries just made (some, or all those on a bill run's lines) take their amounts
    off `due`."""
    _relief_changed(site_id, entries, run, sign=1)


def relief_cancelled(*, site_id: int, entries: Iterable[int] = (), run=None) -> None:
    """Relief entries about to be cancelled (some, or all those on a run's lines) give their
    amounts back to `due`. Call it before they are marked cancelled."""
    _relief_changed(site_id, entries, run, sign=-1)


def received(*payments: Payment) -> None:
    """Payments (a deposit's too) taken — one, or a batch of one site's: income of their month,
    method, cashier and building."""
    if payments:
        _hold(payments[0].site_id)
        _add_income([_income_row(payment, payment.amount, ZERO) for payment in payments])


def taken(*payments: Payment, allocations: Iterable[int]) -> None:
    """Payments of one site just taken, with the allocations they made: their income and the
    money they collected, under one hold of the site's lock. A cashier's payment calls it
    last, just before it commits, since the rows it adds to are shared by the whole site."""
    if payments:
        _hold(payments[0].site_id)
        _add_income([_income_row(payment, payment.amount, ZERO) for payment in payments])
    ids = _ids(allocations)
    if ids != "NULL":
        if not payments:
            raise ValueError("allocations are counted with the payments that made them")
        _add([_from_allocations(f"a.id IN ({ids})")], [])


def voided(payment: Payment) -> None:
    """A payment about to be voided counts nowhere: neither its income nor its allocations.
    Call it before its allocations are undone."""
    _hold(payment.site_id)
    _add([_from_allocations(f"a.payment_id = {int(payment.pk)}")], [], sign=-1)
    _add_income([_income_row(payment, -payment.amount, ZERO)])


def refunded(refund: Refund) -> None:
    """Money paid back: less income for whoever paid it out; a line's refund is also collected
    money taken back, in the month refunded."""
    _hold(refund.site_id)
    if refund.source == Refund.Source.LINE:
        _add([_from_refunds(f"r.id = {int(refund.pk)}")], [])
    building = refund.unit.building_id
    _add_income([(refund.site_id, building, month_of(refund.refunded_on), refund.method,
                  refund.refunded_by_id, ZERO, refund.amount)])  # fmt: skip


def _income_row(payment: Payment, amount: Decimal, back: Decimal) -> tuple:
    # The payment's unit and site are at hand when it was just made, so no query then.
    building = payment.unit.building_id
    month = month_of(local_day(payment.site, payment.received_at))
    return (payment.site_id, building, month, payment.method, payment.cashier_id, amount, back)


def fee_item_kind_changed(item: FeeItem, was: str) -> None:
    """A fee item moved into or out of the rate (made a late-fee item, say): its site's figures
    are rebuilt, since its lines were left out or counted until now."""
    if (was in EXCLUDED_KINDS) != (item.kind in EXCLUDED_KINDS):
        rebuild_figures(site=item.site)


# ---------------------------------------------------------------------------------------------
# From the ledger


def _month_filter(column: str, months: list[datetime.date] | None) -> str:
    if not months:
        return "1 = 1"
    return "(" + " OR ".join(
        f"({column} >= '{m.isoformat()}' AND {column} < '{next_month(m).isoformat()}')"
        for m in months
    ) + ")"  # fmt: skip


def _ledger_parts(site_id: int, months: list[datetime.date] | None) -> list[str]:
    """What the ledger says of a site's figures (of lines charged, or money collected, in
    `months`; all when None)."""
    live = f"l.site_id = {int(site_id)} AND l.cancelled_at IS NULL"
    charged = _month_filter("l.period_start", months)
    return [
        _from_lines(f"{live} AND {charged}"),
        _from_allocations(f"{live} AND ({charged} OR {_month_filter('a.collected_on', months)})"),
        _from_refunds(f"{live} AND ({charged} OR {_month_filter('r.refunded_on', months)})"),
        _from_reliefs(f"{live} AND {charged}"),
    ]


def _stored_cells(site_id: int) -> dict[tuple, tuple[Decimal, Decimal]]:
    rows = CollectionFigure.objects.filter(site_id=site_id).values_list(
        "site_id",
        "building_id",
        "fee_item_id",
        "charge_month",
        "collected_month",
        "due",
        "collected",
    )
    return _cells(rows)


def _ledger_cells(site_id: int) -> dict[tuple, tuple[Decimal, Decimal]]:
    with connection.cursor() as cursor:
        cursor.execute(_grouped(_ledger_parts(site_id, None)), [])
        return _cells(cursor.fetchall())


def _cells(rows) -> dict[tuple, tuple[Decimal, Decimal]]:
    cells = {}
    for site, building, item, charged, collected_month, due, collected in rows:
        due, collected = Decimal(due or 0).quantize(CENT), Decimal(collected or 0).quantize(CENT)
        if due or collected:  # a cell summed back to nothing is no figure
            key = (site, building, item, _as_date(charged), _as_date(collected_month))
            cells[key] = (due, collected)
    return cells


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def _income_from_ledger(site: Site, months: list[datetime.date] | None) -> dict[tuple, list]:
    """(site, building, month, method, cashier) → [received, refunded] from payments and refunds."""
    zone = zone_of(site)
    payments = Payment.objects.filter(site=site, voided_at__isnull=True)
    refunds = Refund.objects.filter(site=site)
    if months:
        paid_in, refunded_in = Q(), Q()
        for m in months:
            start = datetime.datetime.combine(m, datetime.time.min, tzinfo=zone)
            end = datetime.datetime.combine(next_month(m), datetime.time.min, tzinfo=zone)
            paid_in |= Q(received_at__gte=start, received_at__lt=end)
            refunded_in |= Q(refunded_on__gte=m, refunded_on__lt=next_month(m))
        payments, refunds = payments.filter(paid_in), refunds.filter(refunded_in)
    cells: dict[tuple, list] = {}
    for row in (
        payments.annotate(month=TruncMonth("received_at", tzinfo=zone))
        .values("unit__building", "month", "method", "cashier")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        key = (
            site.pk,
            row["unit__building"],
            _as_date(row["month"]),
            row["method"],
            row["cashier"],
        )
        cells.setdefault(key, [ZERO, ZERO])[0] += Decimal(row["total"]).quantize(CENT)
    for row in (
        refunds.annotate(month=TruncMonth("refunded_on"))
        .values("unit__building", "month", "method", "refunded_by")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        key = (site.pk, row["unit__building"], _as_date(row["month"]), row["method"], row["refunded_by"])  # fmt: skip
        cells.setdefault(key, [ZERO, ZERO])[1] += Decimal(row["total"]).quantize(CENT)
    return cells


def _stored_income(site_id: int) -> dict[tuple, list]:
    cells = {}
    for row in IncomeFigure.objects.filter(site_id=site_id).values_list(
        "site_id", "building_id", "month", "method", "cashier_id", "received", "refunded"
    ):
        received_, refunded_ = Decimal(row[5]).quantize(CENT), Decimal(row[6]).quantize(CENT)
        if received_ or refunded_:
            cells[row[:5]] = [received_, refunded_]
    return cells


def _months(months) -> list[datetime.date] | None:
    return sorted({month_of(m) for m in months}) if months else None


def _income_months(site: Site, months: list[datetime.date]) -> list[datetime.date]:
    """`months`, and the months in which lines charged in them were paid or refunded: their
    income is rebuilt too (an import's payments come after the months it bills)."""
    charged = Q()
    for m in months:
        charged |= Q(bill_line__period_start__gte=m, bill_line__period_start__lt=next_month(m))
    paid = Allocation.objects.filter(charged, bill_line__site=site, payment__isnull=False)
    back = Refund.objects.filter(charged, site=site, source=Refund.Source.LINE)
    return sorted(
        set(months)
        | set(paid.dates("collected_on", "month"))
        | set(back.dates("refunded_on", "month"))
    )


def rebuild_figures(site: Site | None = None, months: Iterable[datetime.date] | None = None) -> int:
    """Recompute the figures of `site` (every site when None) from the ledger, set-based: of
    lines charged or money collected in `months` (any dates in them; all months when None),
    and the income of those months and of the months those lines were paid in. Returns how
    many sites were rebuilt."""
    wanted = _months(months)
    sites = [site] if site is not None else list(Site.objects.order_by("pk"))
    for one in sites:
        with transaction.atomic():
            _hold(one.pk, exclusive=True)
            stale = CollectionFigure.objects.filter(site=one)
            income = IncomeFigure.objects.filter(site=one)
            if wanted:
                within = Q()
                for m in wanted:
                    within |= Q(charge_month=m) | Q(collected_month=m)
                stale = stale.filter(within)
                income_months = _income_months(one, wanted)
                income = income.filter(month__in=income_months)
            else:
                income_months = None
            stale.delete()
            income.delete()
            _add(_ledger_parts(one.pk, wanted), [])
            _add_income(
                (*key, received_, refunded_)
                for key, (received_, refunded_) in _income_from_ledger(one, income_months).items()
            )
    return len(sites)


def differences(site: Site) -> list[dict]:
    """Where the stored figures of `site` differ from the ledger, cell by cell (none: they
    agree to the fen). On PostgreSQL both are read from one snapshot when not inside a
    transaction already, so a payment committing in between shows no false difference."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        found = []
        for kind, stored, ledger in (
            ("collection", _stored_cells(site.pk), _ledger_cells(site.pk)),
            ("income", _stored_income(site.pk), _income_from_ledger(site, None)),
        ):
            for key in sorted(set(stored) | set(ledger), key=str):
                have, want = tuple(stored.get(key, ())), tuple(ledger.get(key, ()))
                if have != want:
                    found.append({"site": site.code, "figure": kind, "cell": key,
                                  "stored": have, "ledger": want})  # fmt: skip
        return found


def check_figures() -> dict:
    """The nightly safety net: every site's lines' open amounts and figures compared with their
    recount from the ledger, and set right where they differ (which would be a bug, so it is
    logged)."""
    checked, rebuilt, recounted = 0, [], []
    for site in Site.objects.order_by("code"):
        checked += 1
        lines = receivables.differences(site)
        if lines:  # before the figures: they are rebuilt from what the lines owe
            log.warning("open amounts of %s differ from their recount: %s", site.code, lines[:5])
            receivables.recount(site)
            recounted.append(site.code)
        found = differences(site)
        if found:
            log.warning("collection figures of %s differ from the ledger: %s", site.code, found[:5])
            rebuild_figures(site=site)
            rebuilt.append(site.code)
    return {"sites": checked, "rebuilt": rebuilt, "recounted": recounted}
