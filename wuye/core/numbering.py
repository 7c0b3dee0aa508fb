"""Document numbers (ticket, work order, receipt, notice): unique per site, kind and year and
gap-free, because the number is taken on a locked row inside the caller's transaction — if the
caller rolls back, so does the number."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import DocumentSequence, Site


def next_document_number(*, site: Site, kind: str, year: int) -> int:
    """Take the next number. Must be called inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_document_number must run inside the transaction that uses it")
    updated = DocumentSequence.objects.filter(site=site, kind=kind, year=year).update(
        last_number=F("last_number") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(site=site, kind=kind, year=year, last_number=1)
                return 1
        except IntegrityError:
            # Another transaction created the row first; take a number from it.
            DocumentSequence.objects.filter(site=site, kind=kind, year=year).update(
                last_number=F("last_number") + 1
            )
    return (
        DocumentSequence.objects.filter(site=site, kind=kind, year=year)
        .values_list("last_number", flat=True)
        .get()
    )


def format_document_number(prefix: str, site: Site, year: int, number: int) -> str:
    return f"{prefix}{site.code.upper()}-{year}-{number:06d}"
