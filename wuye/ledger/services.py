"""The receivables ledger (docs/ledger.md): every movement against a charge, and what each
charge line still owes, kept on the line.

A bill line is the charge itself. Each later movement against it is one `LedgerEntry`, written
here and nowhere else, in the transaction of the movement and in the same statements as the
line's figures: `paid_amount` (allocated less refunded), `relief_amount` and `settled_on`.
`open_amount` is a stored column the database works out from them — amount − paid − relief
while the line is live, nothing once it is cancelled — and the database holds
0 ≤ open ≤ amount (`OPEN_WITHIN_AMOUNT`): a movement beyond it is refused and writes nothing.

Each function takes the movement's own rows (by id, or a whole bill run's) and moves the lines
they touch in two set-based statements — the entries, then the lines — so a bill run's relief
moves a hundred thousand lines as cheaply as a payment moves one. Readers read `open_amount`;
only the recount (`differences`, `recount`) works it out again from the movements' sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, connection
from django.db.models import DecimalField
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.errors import invalid
from wuye.core.money import CENT

from .models import OPEN_WITHIN_AMOUNT, Allocation, BillLine, LedgerEntry

Kind = LedgerEntry.Kind
PAID_KINDS = (Kind.ALLOCATION, Kind.VOID, Kind.REFUND)
RELIEF_KINDS = (Kind.RELIEF, Kind.RELIEF_CANCELLED)
MONEY = DecimalField(max_digits=14, decimal_places=2)

_ENTRY_COLUMNS = "site_id, bill_line_id, kind, amount, on_day, allocation_id, refund_id, relief_entry_id"  # fmt: skip


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _source(field: str):
    """The model a movement's source lives in (a refund, a relief entry), as the ledger entry
    names it: the apps that move money sit above the ledger, which never imports them."""
    return LedgerEntry._meta.get_field(field).related_model


def _line_refund() -> str:
    return _source("refund").Source.LINE


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values)


def _date(value) -> object:
    return connection.ops.adapt_datefield_value(value)


def _move(source: str, params: list) -> None:
    """Add the movements `source` selects (`_ENTRY_COLUMNS`, one row per entry) to their lines
    and record them: paid and relief move by the entries of their kinds, and a line whose open
    amount reaches nothing is settled on the latest entry's day (open again: not settled)."""
    entries, lines = _table(LedgerEntry), _table(BillLine)
    paid = ", ".join(f"'{kind}'" for kind in PAID_KINDS)
    relief = ", ".join(f"'{kind}'" for kind in RELIEF_KINDS)
    insert = f"""
        INSERT INTO {entries} (site_id, bill_line_id, kind, amount, "on", allocation_id,
                               refund_id, relief_entry_id, created_at)"""  # fmt: skip
    # Rounded to the fen: SQLite keeps these columns as floating point.
    new_open = "ROUND(amount - (paid_amount - d.paid) - (relief_amount - d.relief), 2)"
    update = f"""
        UPDATE {lines} SET
            paid_amount = ROUND(paid_amount - d.paid, 2),
            relief_amount = ROUND(relief_amount - d.relief, 2),
            settled_on = CASE WHEN {new_open} = 0 THEN COALESCE(settled_on, d.last_day) END
        FROM (SELECT bill_line_id,
                     SUM(CASE WHEN kind IN ({paid}) THEN amount ELSE 0 END) AS paid,
                     SUM(CASE WHEN kind IN ({relief}) THEN amount ELSE 0 END) AS relief,
                     MAX(on_day) AS last_day
              FROM {{moved}} moved GROUP BY bill_line_id) d
        WHERE {lines}.id = d.bill_line_id"""  # fmt: skip
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement: the movement read once, the lines and the entries written from it.
                cursor.execute(
                    f"""WITH moved AS MATERIALIZED ({source}),
                        changed AS ({update.format(moved="moved")})
                        {insert} SELECT {_ENTRY_COLUMNS}, %s FROM moved""",
                    [*params, timezone.now()],
                )  # fmt: skip
            else:
                # The lines first: a run's source picks the entries not yet recorded.
                cursor.execute(update.format(moved=f"({source})"), params)
                if cursor.rowcount != 0:
                    insert_sql = f"{insert} SELECT {_ENTRY_COLUMNS}, %s FROM ({source}) moved"
                    cursor.execute(insert_sql, [*params, timezone.now()])
    except IntegrityError as exc:
        if OPEN_WITHIN_AMOUNT not in str(exc):
            raise
        # The caller's transaction rolls back with this error: nothing of the movement stays.
        raise invalid(
            None, _("This would leave a bill line owing less than nothing or more than its amount."),
            "open_out_of_bounds",
        ) from exc  # fmt: skip


def _from_allocations(where: str, kind: str, sign: int, day: str = "a.collected_on") -> str:
    return f"""
        SELECT l.site_id, a.bill_line_id, '{kind}' AS kind, {int(sign)} * a.amount AS amount,
               {day} AS on_day, a.id AS allocation_id, CAST(NULL AS BIGINT) AS refund_id, CAST(NULL AS BIGINT) AS relief_entry_id
        FROM {_table(Allocation)} a JOIN {_table(BillLine)} l ON l.id = a.bill_line_id
        WHERE {where}"""  # fmt: skip


def _from_reliefs(where: str, kind: str, sign: int, day: str) -> str:
    return f"""
        SELECT l.site_id, e.bill_line_id, '{kind}' AS kind, {int(sign)} * e.amount AS amount,
               {day} AS on_day, CAST(NULL AS BIGINT) AS allocation_id, CAST(NULL AS BIGINT) AS refund_id, e.id AS relief_entry_id
        FROM {_table(_source("relief_entry"))} e JOIN {_table(BillLine)} l ON l.id = e.bill_line_id
        WHERE {where}"""  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The movements: each is called by the service that makes it, inside its transaction.


def allocated(allocations: Iterable[int]) -> None:
    """Allocations just made — of a payment, credit or a deposit — are paid on their lines."""
    ids = _ids(allocations)
    if ids:
        _move(_from_allocations(f"a.id IN ({ids})", Kind.ALLOCATION, -1), [])


def voided(payment, day) -> None:
    """A payment being voided: its live allocations are undone, their lines open again. Call it
    before they are marked undone."""
    source = _from_allocations(f"a.payment_id = {int(payment.pk)} AND a.undone = FALSE", Kind.VOID, 1, "%s")  # fmt: skip
    _move(source, [_date(day)])


def refunded(refund) -> None:
    """A refund of what was paid on a line gives the line that much to owe again."""
    if refund.source != _line_refund():
        return
    source = f"""
        SELECT l.site_id, r.bill_line_id, '{Kind.REFUND}' AS kind, r.amount AS amount,
               r.refunded_on AS on_day, CAST(NULL AS BIGINT) AS allocation_id, r.id AS refund_id,
               CAST(NULL AS BIGINT) AS relief_entry_id
        FROM {_table(_source("refund"))} r JOIN {_table(BillLine)} l ON l.id = r.bill_line_id
        WHERE r.id = {int(refund.pk)}"""  # fmt: skip
    _move(source, [])


def _relief_where(entries: Iterable[int], run, kind: str) -> str | None:
    if run is not None:
        # A run's live entries not yet moved this way (an application approved after the
        # run moved its own entries already) — on lines cancelled since too: reversing the run
        # cancels those entries as well, and the line's relief follows its entries.
        return f"""l.run_id = {int(run.pk)} AND e.cancelled_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM {_table(LedgerEntry)} m
                            WHERE m.relief_entry_id = e.id AND m.kind = '{kind}')"""
    ids = _ids(entries)
    return f"e.id IN ({ids}) AND e.cancelled_at IS NULL" if ids else None


def relief_granted(*, entries: Iterable[int] = (), run=None) -> None:
    """Relief entries just made (some, or all the live ones on a bill run's lines) lower what
    their lines owe. A run's: call it once, right after the run's relief is granted."""
    where = _relief_where(entries, run, Kind.RELIEF)
    if where:
        _move(_from_reliefs(where, Kind.RELIEF, -1, "e.granted_on"), [])


def relief_cancelled(*, entries: Iterable[int] = (), run=None, day) -> None:
    """Relief entries being cancelled (some, or all the live ones on a run's lines) give their
    lines the amount to owe again. Call it before they are marked cancelled."""
    where = _relief_where(entries, run, Kind.RELIEF_CANCELLED)
    if where:
        _move(_from_reliefs(where, Kind.RELIEF_CANCELLED, 1, "%s"), [_date(day)])


def lines_cancelled(*, lines: Iterable[int] = (), run=None, day) -> None:
    """Lines being cancelled (some, or a whole run's still live): what was open on each is
    written off. Call it before they are marked cancelled; the line then owes nothing."""
    if run is not None:
        where = f"l.run_id = {int(run.pk)} AND l.cancelled_at IS NULL"
    else:
        ids = _ids(lines)
        if not ids:
            return
        where = f"l.id IN ({ids}) AND l.cancelled_at IS NULL"
    source = f"""
        SELECT l.site_id, l.id AS bill_line_id, '{Kind.CANCELLED}' AS kind,
               -l.open_amount AS amount, %s AS on_day, CAST(NULL AS BIGINT) AS allocation_id,
               CAST(NULL AS BIGINT) AS refund_id, CAST(NULL AS BIGINT) AS relief_entry_id
        FROM {_table(BillLine)} l WHERE {where}"""  # fmt: skip
    _move(source, [_date(day)])


# ---------------------------------------------------------------------------------------------
# The recount: the only place open amounts are worked out from the movements' sources.


def _recounted(where: str) -> str:
    """SQL: each line `where` selects (alias `l`) with its figures recounted from the movements'
    sources — `paid`, `relief`, and `last_day` the last day money or relief reached it — by
    grouped sums joined on the line (hash joins: no per-line subquery to plan badly)."""
    allocations = _table(Allocation)
    refunds, reliefs = _table(_source("refund")), _table(_source("relief_entry"))
    return f"""
        SELECT l.id, ROUND(COALESCE(a.total, 0) - COALESCE(r.total, 0), 2) AS paid,
               ROUND(COALESCE(e.total, 0), 2) AS relief,
               COALESCE(a.last_day, e.last_day, l.period_start) AS last_day
        FROM {_table(BillLine)} l
        LEFT JOIN (SELECT bill_line_id, SUM(amount) AS total, MAX(collected_on) AS last_day
                   FROM {allocations} WHERE undone = FALSE GROUP BY bill_line_id) a
               ON a.bill_line_id = l.id
        LEFT JOIN (SELECT bill_line_id, SUM(amount) AS total FROM {refunds}
                   WHERE source = '{_line_refund()}' AND bill_line_id IS NOT NULL
                   GROUP BY bill_line_id) r
               ON r.bill_line_id = l.id
        LEFT JOIN (SELECT bill_line_id, SUM(amount) AS total, MAX(granted_on) AS last_day
                   FROM {reliefs} WHERE cancelled_at IS NULL GROUP BY bill_line_id) e
               ON e.bill_line_id = l.id
        WHERE {where}"""  # fmt: skip


def _site_where(site) -> str:
    return f"l.site_id = {int(site.pk)}" if site is not None else "1 = 1"


def differences(site) -> list[dict]:
    """The lines of `site` whose paid or relief figure differs from the recount of their
    allocations, refunds and relief entries (none: the ledger agrees to the fen)."""
    sql = f"""
        SELECT c.id, l.paid_amount, l.relief_amount, c.paid, c.relief
        FROM ({_recounted(_site_where(site))}) c JOIN {_table(BillLine)} l ON l.id = c.id
        WHERE l.paid_amount <> c.paid OR l.relief_amount <> c.relief
        ORDER BY c.id"""  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    cents = lambda value: Decimal(str(value)).quantize(CENT)  # noqa: E731 - SQLite: floats
    return [
        {"line": pk, "stored": (cents(paid), cents(relief)), "recounted": (cents(p), cents(r))}
        for pk, paid, relief, p, r in rows
    ]


def recount(site=None) -> int:
    """Set every line (of `site`, or of every site) whose figures differ from the recount of
    its allocations, refunds and relief entries to that recount, in one statement — the
    settled day too: the last day money or relief reached it, when nothing is left open.
    How many lines were set."""
    lines = _table(BillLine)
    sql = f"""
        UPDATE {lines} SET paid_amount = c.paid, relief_amount = c.relief,
            settled_on = CASE WHEN ROUND({lines}.amount - c.paid - c.relief, 2) = 0
                              THEN COALESCE({lines}.settled_on, c.last_day) END
        FROM ({_recounted(_site_where(site))}) c
        WHERE {lines}.id = c.id
          AND ({lines}.paid_amount <> c.paid OR {lines}.relief_amount <> c.relief)"""  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return max(cursor.rowcount, 0)
