"""The residents' online payment API: an order for chosen open lines of a unit (the reply names
the gateway's checkout and a QR payload for it), and the order's state. Only for a unit the
resident has an approved link to, and only their own orders (anything else answers 404)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from wuye.onlinepay import queries as pay_queries

from . import queries
from .pay_views import start_payment
from .views import _resident

router = Router(tags=["portal"])


class PayIn(Schema):
    lines: list[int] = Field(description="ids of the unit's open lines to pay", max_length=500)


class PayOrderOut(Schema):
    number: str
    unit: int
    amount: Decimal
    state: str
    lines: list[int]
    checkout_url: str | None = Field(None, description="where to send the payer")
    qr_payload: str | None = Field(None, description="what a QR code for this order encodes")
    receipt: str | None
    created_at: datetime.datetime
    paid_at: datetime.datetime | None


def pay_order_out(order, checkout=None, request=None) -> dict:
    absolute = request.build_absolute_uri if request is not None else (lambda url: url)
    return {
        "number": order.number, "unit": order.unit_id, "amount": order.amount,
        "state": order.state, "lines": [line.bill_line_id for line in order.lines.all()],
        "checkout_url": absolute(checkout.url) if checkout else None,
        "qr_payload": absolute(checkout.qr_payload) if checkout else None,
        "receipt": order.payment.receipt.number if order.payment_id else None,
        "created_at": order.created_at, "paid_at": order.paid_at,
    }  # fmt: skip


@router.post(
    "/units/{unit_id}/pay-orders",
    response={201: PayOrderOut},
    summary="A resident orders to pay chosen open lines of their unit online",
)
def create_pay_order(request, unit_id: int, payload: PayIn):
    _resident(request)
    unit = queries.resident_unit(request.user, unit_id)
    order, checkout = start_payment(request.user, unit, payload.lines)
    return Status(201, pay_order_out(order, checkout, request))


@router.get(
    "/units/{unit_id}/pay-orders/{number}",
    response=PayOrderOut,
    summary="The state of the resident's online order (paid: with its receipt number)",
)
def pay_order(request, unit_id: int, number: str):
    _resident(request)
    unit = queries.resident_unit(request.user, unit_id)
    order = pay_queries.resident_order(request.user, unit, number)
    return pay_order_out(order)
