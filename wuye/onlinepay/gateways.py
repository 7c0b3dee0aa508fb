"""The payment-gateway contract: what wuye needs from WeChat Pay, Alipay, a bank — or the
built-in simulator (`simulator.SimulatorGateway`), the default.

A gateway
- opens a checkout for an order (`create_order` → the URL the resident is sent to, and the
  payload of a QR code that opens it);
- checks a notification it sent (`verify`: the signature over the raw body, then the fields →
  a `VerifiedNotice`; a wrong signature raises `BadSignature`, a signed but malformed body a
  field `ValidationError`);
- lists its own record of a site's transactions of a day (`transactions_on`), for the daily
  reconciliation;
- says how it wants a notification answered (`acknowledge`).

Which gateway a site uses: its `SiteGateway` row, else the setting `WUYE_PAYMENT_GATEWAY` (a
dotted path to a `PaymentGateway` subclass). Gateways are told apart by `name`, which is also
the last part of the notify URL (`/pay/notify/<name>/`).
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.module_loading import import_string

SIMULATOR = "wuye.onlinepay.simulator.SimulatorGateway"


class BadSignature(Exception):
    """The notification's signature does not match its body: it did not come from the gateway."""


@dataclass(frozen=True)
class Checkout:
    url: str  # where the resident's browser goes to pay
    qr_payload: str  # what a QR code for this order encodes (a URL, or the gateway's code_url)


@dataclass(frozen=True)
class VerifiedNotice:
    """What a genuine notification says."""

    PAID = "paid"
    CLOSED = "closed"  # the trade was closed unpaid (the payer cancelled, or it timed out)
    FAILED = "failed"

    out_trade_no: str  # our order number
    txn_id: str  # the gateway's transaction id
    amount: Decimal
    status: str
    paid_at: datetime.datetime | None


@dataclass(frozen=True)
class GatewayTransaction:
    """One payment in the gateway's own record (its statement of the day)."""

    out_trade_no: str
    txn_id: str
    amount: Decimal
    paid_at: datetime.datetime


class PaymentGateway(ABC):
    name: str = ""
    label: str = ""

    @abstractmethod
    def create_order(self, order) -> Checkout:
        """Open the gateway's checkout for `order` (an `OnlineOrder`, already saved)."""

    @abstractmethod
    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedNotice:
        """The notice in `body` if its signature is right; `BadSignature` if not."""

    @abstractmethod
    def transactions_on(self, day: datetime.date, site) -> list[GatewayTransaction]:
        """The gateway's payments of `site`'s orders on `day` (the site's calendar day)."""

    def claimed_order(self, body: bytes) -> str:
        """The order number an unverified body claims to be about — only to file a bad
        notification under its site; never trusted for anything else."""
        return ""

    def acknowledge(self, outcome: str, message: str) -> tuple[int, str, str]:
        """The HTTP answer (status, body, content type) the gateway expects for `outcome`.
        A non-2xx answer makes a real gateway send the notification again later."""
        import json

        status = ACK_STATUS.get(outcome, 503)
        return status, json.dumps({"code": outcome, "message": message}), "application/json"


# How a notification is answered: taken (or already taken) — 200; not from the gateway or not
# readable — 400; an order we don't know — 404; an amount we did not ask for — 409 (the
# reconciliation lists it); anything else — 503, so the gateway tries again.
ACK_STATUS = {
    "applied": 200,
    "duplicate": 200,
    "bad_signature": 400,
    "malformed": 400,
    "unknown_order": 404,
    "amount_mismatch": 409,
}


def day_bounds(day: datetime.date, site) -> tuple[datetime.datetime, datetime.datetime]:
    """The start and end of `day` in the site's time zone."""
    zone = ZoneInfo(site.time_zone or settings.TIME_ZONE)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


@cache
def _load(path: str) -> PaymentGateway:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, PaymentGateway)):
        raise TypeError(f"{path} is not a PaymentGateway")
    return cls()


def default_gateway() -> PaymentGateway:
    return _load(settings.WUYE_PAYMENT_GATEWAY or SIMULATOR)


def gateway_for(site) -> PaymentGateway:
    """The gateway `site` takes payments through."""
    from .models import SiteGateway

    path = SiteGateway.objects.filter(site=site).values_list("path", flat=True).first()
    return _load(path) if path else default_gateway()


def configured_paths() -> list[str]:
    from .models import SiteGateway

    paths = {SIMULATOR, settings.WUYE_PAYMENT_GATEWAY or SIMULATOR}
    paths.update(SiteGateway.objects.values_list("path", flat=True).distinct())
    return sorted(paths)


def gateway_named(name: str) -> PaymentGateway | None:
    """The configured gateway called `name` (from a notify URL), or None."""
    for path in configured_paths():
        gateway = _load(path)
        if gateway.name == name:
            return gateway
    return None
