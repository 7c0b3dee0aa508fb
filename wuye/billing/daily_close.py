"""日结 (docs/billing.md, Daily close): what each cashier took on a day, by method, matched to the
receipts they issued, and what they paid back in refunds — and the close that records it once. What
is to be handed over is what was taken less what was refunded, method by method.

Money that came in online (the online channel: no cashier took it) is a line of its own, 在线支付,
after the people: matched to its receipts like theirs, but not closed here — nobody hands it
over; the gateway's reconciliation is its check."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_create
from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can

from .models import CashierClose, Payment, Refund
from .money import ZERO


@dataclass
class CashierDay:
    cashier: object  # None: the online channel's day
    by_method: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO
    receipts: list[str] = field(default_factory=list)
    receipts_total: Decimal = ZERO
    voided: list[str] = field(default_factory=list)
    refunded_by_method: dict[str, Decimal] = field(default_factory=dict)
    refunded: Decimal = ZERO
    closed: CashierClose | None = None

    @property
    def online(self) -> bool:
        return self.cashier is None

    @property
    def name(self) -> str:
        """Who took the money: the cashier's name, or the online channel's."""
        if self.cashier is None:
            return _("online payment")
        return self.cashier.get_full_name() or self.cashier.username

    @property
    def net_by_method(self) -> dict[str, Decimal]:
        methods = set(self.by_method) | set(self.refunded_by_method)
        return {
            m: self.by_method.get(m, ZERO) - self.refunded_by_method.get(m, ZERO) for m in methods
        }

    @property
    def net(self) -> Decimal:
        return self.total - self.refunded

    @property
    def matches(self) -> bool:
        """What was taken equals what the receipts of live payments say."""
        return self.total == self.receipts_total


def _bounds(site, day: datetime.date):
    zone = ZoneInfo(site.time_zone)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def cashier_days(site, day: datetime.date) -> list[CashierDay]:
    start, end = _bounds(site, day)
    found: dict[int | None, CashierDay] = {}
    taken = (
        Payment.objects.of_site(site)
        .filter(received_at__gte=start, received_at__lt=end)
        .select_related("cashier", "receipt")
        .order_by("cashier_id", "receipt__sequence")
    )
    for payment in taken:
        entry = found.setdefault(payment.cashier_id, CashierDay(cashier=payment.cashier))
        if payment.voided_at is not None:
            entry.voided.append(payment.receipt.number)
            continue
        entry.by_method[payment.method] = entry.by_method.get(payment.method, ZERO) + payment.amount
        entry.total += payment.amount
        entry.receipts.append(payment.receipt.number)
        entry.receipts_total += payment.amount
    for made in (
        Refund.objects.of_site(site)
        .filter(refunded_at__gte=start, refunded_at__lt=end)
        .select_related("refunded_by")
    ):
        entry = found.setdefault(made.refunded_by_id, CashierDay(cashier=made.refunded_by))
        entry.refunded_by_method[made.method] = entry.refunded_by_method.get(made.method, ZERO) + made.amount  # fmt: skip
        entry.refunded += made.amount
    for close in CashierClose.objects.of_site(site).filter(day=day):
        if close.cashier_id in found:
            found[close.cashier_id].closed = close
    return sorted(found.values(), key=lambda e: (e.online, "" if e.online else e.cashier.username))


def close_day(*, site, actor, cashier_id: int, day: datetime.date) -> CashierClose:
    """Record a cashier's day as closed, with its totals as they stand; once per day."""
    ensure_can(actor, "billing.add_cashierclose", site)
    if day > timezone.localdate(timezone=ZoneInfo(site.time_zone)):
        raise invalid("day", _("A day can be closed once it has begun."), "future")
    entry = next((e for e in cashier_days(site, day) if not e.online and e.cashier.pk == cashier_id), None)  # fmt: skip
    if entry is None:
        raise invalid("cashier", _("This cashier took no payment and made no refund that day."), "nothing")  # fmt: skip
    if not entry.matches:
        raise invalid(None, _("What was taken does not match the receipts; check before closing."), "mismatch")  # fmt: skip
    try:
        with transaction.atomic():
            close = CashierClose.objects.create(
                site=site, cashier=get_user_model().objects.get(pk=cashier_id), day=day,
                totals={k: str(v) for k, v in entry.by_method.items()}, total=entry.total,
                refunds={k: str(v) for k, v in entry.refunded_by_method.items()}, refunded=entry.refunded,
                receipts=len(entry.receipts), voided=len(entry.voided), closed_by=actor,
                closed_at=timezone.now(),
            )  # fmt: skip
            record_create(actor, close)
    except IntegrityError:
        raise invalid("day", _("This cashier's day is already closed."), "closed") from None
    return close
