"""Reads the dunning pages and the API share: a unit's notices and deliveries, its chasing log,
and the state of promises to pay, worked out in SQL for a whole list at once.

A promise (an amount by a date, recorded at a time) is
- **kept** when the unit's payments not voided, received from the time it was recorded to the
  end of the promised day (the site's time zone), add up to the promised amount — early or not;
- **broken** when the promised day has ended without that;
- **open** otherwise.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, CharField, F, OuterRef, Prefetch, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from wuye.billing.models import Payment
from wuye.billing.money import ZERO
from wuye.billing.payments import MONEY

from .models import ChasingEntry, Notice, NoticeDelivery

KEPT, BROKEN, OPEN = "kept", "broken", "open"
PROMISE_STATES = {
    KEPT: pgettext_lazy("promise", "kept"),
    BROKEN: pgettext_lazy("promise", "broken"),
    OPEN: pgettext_lazy("promise", "open"),
}
DUE_SOON_DAYS = 3
# Sums of money come back from SQLite with float digits; a promise counts as met within half a
# fen, which on exact databases is the same as "at least".
HALF_FEN = Decimal("0.005")


def with_promise_state(entries, now: datetime.datetime | None = None):
    """Chasing entries with `paid_towards` (payments counting towards the promise) and
    `promise_state` ("kept", "broken", "open"; "" for an entry without a promise)."""
    now = now or timezone.now()
    paid = (
        Payment.objects.filter(
            unit=OuterRef("unit"),
            voided_at__isnull=True,
            received_at__gte=OuterRef("recorded_at"),
            received_at__lt=OuterRef("promise_ends_at"),
        )
        .order_by()
        .values("unit")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    entries = entries.annotate(
        paid_towards=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY)
    )
    return entries.annotate(
        promise_state=Case(
            When(promise_ends_at__isnull=True, then=Value("")),
            When(paid_towards__gt=F("promised_amount") - Value(HALF_FEN), then=Value(KEPT)),
            When(promise_ends_at__lte=now, then=Value(BROKEN)),
            default=Value(OPEN),
            output_field=CharField(),
        )
    )


def chasing_log(site, unit_id: int, now=None):
    """A unit's chasing entries, newest first, with their promises' state."""
    entries = ChasingEntry.objects.of_site(site).filter(unit_id=unit_id).select_related("recorded_by")  # fmt: skip
    return with_promise_state(entries, now).order_by("-recorded_at", "-id")


def promises(site, now=None, *, state: str = BROKEN, building: int | None = None):
    """The site's promises in `state` ("broken", "due_soon": open and due within three days,
    "open", "kept"), the most urgent first."""
    now = now or timezone.now()
    entries = ChasingEntry.objects.of_site(site).filter(promise_ends_at__isnull=False)
    if building:
        entries = entries.filter(unit__building_id=building)
    entries = with_promise_state(entries.select_related("unit", "recorded_by"), now)
    if state == "due_soon":
        soon = now + datetime.timedelta(days=DUE_SOON_DAYS)
        entries = entries.filter(promise_state=OPEN, promise_ends_at__lte=soon)
    else:
        entries = entries.filter(promise_state=state if state in PROMISE_STATES else BROKEN)
    order = ("-promise_ends_at", "-id") if state in (BROKEN, KEPT) else ("promise_ends_at", "id")
    return entries.order_by(*order)


def notices_of_unit(site, unit_id: int):
    """A unit's notices, newest first, each with its deliveries."""
    deliveries = NoticeDelivery.objects.select_related("sent_by").order_by("-sent_at", "-id")
    return (
        Notice.objects.of_site(site)
        .filter(unit_id=unit_id)
        .select_related("issued_by")
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))
        .order_by("-issued_at", "-id")
    )
