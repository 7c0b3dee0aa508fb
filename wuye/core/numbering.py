"""Document numbers (ticket, work order, receipt, notice): unique per site, kind and year and
gap-free, because the number is taken on a locked row inside the caller's transaction — if the
caller rolls back, so does the number."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

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
    sequence = DocumentSequence.objects.filter(site=site, kind=kind, year=year)
    if not sequence.update(last_number=F("last_number") + count):
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(site=site, kind=kind, year=year, last_number=count)
                return range(1, count + 1)
        except IntegrityError:
            # Another transaction created the row first; take the numbers from it.
            sequence.update(last_number=F("last_number") + count)
    last = sequence.values_list("last_number", flat=True).get()
    return range(last - count + 1, last + 1)


def format_document_number(prefix: str, site: Site, year: int, number: int) -> str:
    return f"{prefix}{site.code.upper()}-{year}-{number:06d}"
