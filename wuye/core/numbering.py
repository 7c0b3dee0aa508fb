"""Document numbers (ticket, work order, receipt, notice): unique per site, kind and year and
gap-free, because the number is taken on a locked row inside the caller's transaction — if the
caller rolls back, so does the number.

The row stays locked until the caller's transaction ends, so every other transaction of the
site taking the same kind of number waits for it: a caller that may run many at once (a
cashier's payment) takes its number as late as it can, just before it commits
(`payments.take_payment`)."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from .models import DocumentSequence, Site


def next_document_number(*, site: Site, kind: str, year: int) -> int:
    """Take the next number. Must be called inside the transaction that uses it."""
    return next_document_numbers(site=site, kind=kind, year=year, count=1).start


def next_document_numbers(*, site: Site, kind: str, year: int, count: int) -> range:
    """Take `count` consecutive numbers at once (a batch of receipts), with one locked update.
    Must be called inside the transaction that uses them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_document_number must run inside the transaction that uses it")
    if count < 1:
        raise ValueError("take at least one number")
    last = _advance(site, kind, year, count)
    if last is None:
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(site=site, kind=kind, year=year, last_number=count)
                return range(1, count + 1)
        except IntegrityError:
            # Another transaction created the row first; take the numbers from it.
            last = _advance(site, kind, year, count)
    return range(last - count + 1, last + 1)


def _advance(site: Site, kind: str, year: int, count: int) -> int | None:
    """The sequence moved on by `count` and its new last number, in one locked
    `UPDATE … RETURNING` (SQLite ≥ 3.35 and PostgreSQL alike); None when it has no row yet."""
    meta, q = DocumentSequence._meta, connection.ops.quote_name
    last, site_id = q(meta.get_field("last_number").column), q(meta.get_field("site").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(meta.db_table)} SET {last} = {last} + %s "
            f"WHERE {site_id} = %s AND {q('kind')} = %s AND {q('year')} = %s RETURNING {last}",
            [count, site.pk, kind, year],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def format_document_number(prefix: str, site: Site, year: int, number: int) -> str:
    return f"{prefix}{site.code.upper()}-{year}-{number:06d}"
