"""The built-in payment gateway: a stand-in for WeChat Pay or Alipay that runs with nothing
installed, so a resident's payment, its notification and the daily reconciliation work end to
end on a laptop and in tests.

It keeps its own side of the books (`SimulatedTransaction`, what a real gateway's ledger holds),
shows a checkout page (`/pay/simulator/<order number>/`), and notifies wuye the way a real gateway
does: a JSON body signed with HMAC-SHA256 —

    X-Wuye-Signature: hex(HMAC-SHA256(WUYE_GATEWAY_SECRET, raw body))

handed to the same handler an HTTP notification reaches (`services.handle_notification`), after
the simulator's own transaction commits. To exercise what goes wrong with real gateways it can
send a notification twice (`notify` again), lose one (`pay(..., notify=False)`), report another
amount than the order's (`pay(..., amount=...)`), or leave a payment out of its statement
(`pay(..., record=False)`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.errors import invalid

from .gateways import (
    BadSignature,
    Checkout,
    GatewayTransaction,
    PaymentGateway,
    VerifiedNotice,
    day_bounds,
)
from .models import OnlineOrder, SimulatedTransaction

SIGNATURE_HEADER = "X-Wuye-Signature"
CENT = Decimal("0.01")


def secret() -> bytes:
    return settings.WUYE_GATEWAY_SECRET.encode()


def sign(body: bytes) -> str:
    return hmac.new(secret(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() in (wanted, "http_" + wanted.replace("-", "_")):
            return value
    return ""


class SimulatorGateway(PaymentGateway):
    name = "simulator"
    label = gettext_lazy("Payment simulator")

    # -- the contract ---------------------------------------------------------------------

    def create_order(self, order) -> Checkout:
        url = reverse("onlinepay:simulator", args=[order.number])
        return Checkout(url=url, qr_payload=url)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedNotice:
        given = _header(headers, SIGNATURE_HEADER).strip().lower()
        if not given or not hmac.compare_digest(given, sign(body)):
            raise BadSignature(_("The signature does not match the body."))
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise invalid(None, _("The body is not JSON."), "not_json") from None
        if not isinstance(data, dict):
            raise invalid(None, _("The body is not a JSON object."), "not_json")
        number = str(data.get("out_trade_no") or "").strip()
        txn_id = str(data.get("transaction_id") or "").strip()
        status = data.get("status")
        if not number or len(number) > 64:
            raise invalid("out_trade_no", _("The order number is missing."), "required")
        if not txn_id or len(txn_id) > 64:
            raise invalid("transaction_id", _("The transaction id is missing."), "required")
        if status not in (VerifiedNotice.PAID, VerifiedNotice.CLOSED, VerifiedNotice.FAILED):
            raise invalid(
                "status", _("The status is not paid, closed or failed."), "invalid_choice"
            )
        try:
            amount = Decimal(str(data.get("amount")))
            if not amount.is_finite() or amount != amount.quantize(CENT) or amount <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise invalid(
                "amount", _("The amount is not a sum in yuan like 350.00."), "invalid"
            ) from None
        paid_at = parse_datetime(str(data.get("paid_at") or ""))
        if status == VerifiedNotice.PAID and (paid_at is None or timezone.is_naive(paid_at)):
            raise invalid("paid_at", _("The time of payment is missing or has no zone."), "invalid")
        return VerifiedNotice(out_trade_no=number, txn_id=txn_id, amount=amount.quantize(CENT),
                              status=status, paid_at=paid_at)  # fmt: skip

    def transactions_on(self, day: datetime.date, site) -> list[GatewayTransaction]:
        start, end = day_bounds(day, site)
        rows = SimulatedTransaction.objects.filter(
            site=site, listed=True, paid_at__gte=start, paid_at__lt=end
        )
        return [
            GatewayTransaction(
                out_trade_no=t.out_trade_no, txn_id=t.txn_id, amount=t.amount, paid_at=t.paid_at
            )  # fmt: skip
            for t in rows.order_by("paid_at", "id")
        ]

    def claimed_order(self, body: bytes) -> str:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return ""
        return str(data.get("out_trade_no") or "")[:64] if isinstance(data, dict) else ""

    # -- the simulator's own actions (what the payer and the gateway do) -------------------

    def pay(
        self, order: OnlineOrder, *, amount=None, notify: bool = True, record: bool = True,
        at: datetime.datetime | None = None,
    ) -> SimulatedTransaction:  # fmt: skip
        """The payer pays `order`: the gateway books the money and (after commit) notifies.

        `amount`: what the gateway says was paid (default the order's); `notify=False`: the
        notification is lost; `record=False`: the payment is left out of the gateway's
        statement (it notifies, but `transactions_on` won't list it)."""
        paid = Decimal(str(amount)).quantize(CENT) if amount is not None else order.amount
        with transaction.atomic():
            txn = SimulatedTransaction.objects.create(
                site_id=order.site_id, out_trade_no=order.number, amount=paid,
                txn_id="SIM" + secrets.token_hex(12).upper(), paid_at=at or timezone.now(),
                listed=record,
            )  # fmt: skip
            if notify:
                self.notify(txn)
        return txn

    def notify(self, txn: SimulatedTransaction) -> None:
        """Send the payment's notification (again, for a duplicate), after commit."""
        body = self.notice_body(
            out_trade_no=txn.out_trade_no, txn_id=txn.txn_id, amount=txn.amount,
            status=VerifiedNotice.PAID, paid_at=txn.paid_at,
        )  # fmt: skip
        SimulatedTransaction.objects.filter(pk=txn.pk).update(notified=F("notified") + 1)
        self._send_after_commit(body)

    def cancel(self, order: OnlineOrder) -> None:
        """The payer cancels at the checkout: the gateway closes the trade and says so."""
        body = self.notice_body(out_trade_no=order.number, txn_id="SIMCLOSE" + order.number[-20:],
                                amount=order.amount, status=VerifiedNotice.CLOSED, paid_at=None)  # fmt: skip
        self._send_after_commit(body)

    @staticmethod
    def notice_body(*, out_trade_no, txn_id, amount, status, paid_at) -> bytes:
        return json.dumps(
            {"out_trade_no": out_trade_no, "transaction_id": txn_id, "amount": str(amount),
             "status": status, "paid_at": paid_at.isoformat() if paid_at else None},
            sort_keys=True,
        ).encode()  # fmt: skip

    @staticmethod
    def signed_headers(body: bytes) -> dict[str, str]:
        return {SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"}

    def _send_after_commit(self, body: bytes) -> None:
        from . import services

        headers = self.signed_headers(body)
        transaction.on_commit(lambda: services.handle_notification(self, body, headers))
