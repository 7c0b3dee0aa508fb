"""The billing API: fee items and rates, bill runs, a unit's open lines and statement,
payments (with an `Idempotency-Key`), voids, cancellations and receipt PDFs. Scoped by site
and role through the same services as the pages; another site's rows answer 404."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine

from . import arrears, bill_runs, payments, queries, receipts, services
from .account_api import router as account_router
from .collection_api import router as collection_router
from .late_fee_api import router as late_fee_router
from .meter_api import router as meter_router
from .models import BillRun, FeeItem, Payment, Receipt
from .relief_api import router as relief_router

router = Router(tags=["billing"])


class FeeItemOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    method: str
    cycle: str
    is_cyclic: bool
    is_prepaid: bool
    due_day: int
    rounding_unit: str
    rounding_mode: str
    vacant: str
    vacant_percent: int
    formula: str


@router.get("/fee-items", response=list[FeeItemOut], summary="A site's fee items")
def fee_items(request, site: int | None = None):
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_feeitem", where)
    return list(FeeItem.objects.of_site(where))


class FeeItemIn(Schema):
    site: int | None = None
    code: str = Field(max_length=30)
    name: str = Field(max_length=50)
    kind: str
    method: str
    cycle: str = "monthly"
    is_cyclic: bool = True
    is_prepaid: bool = False
    due_day: int = 15
    rounding_unit: str = "fen"
    rounding_mode: str = "half_up"
    vacant: str = "full"
    vacant_percent: int = 100
    formula: str = ""


@router.post("/fee-items", response={201: FeeItemOut}, summary="Set up a fee item")
def create_fee_item(request, payload: FeeItemIn):
    data = payload.model_dump()
    where = one_site(request.user, data.pop("site"))
    return Status(201, services.save_fee_item(site=where, actor=request.user, **data))


class RateIn(Schema):
    amount: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None = None
    unit_use: str = ""
    building: int | None = None
    tiers: list[dict] = []
    multiplier: Decimal = Decimal(1)
    loss_percent: Decimal = Decimal(0)
    escalation_percent: Decimal = Decimal(0)


class RateOut(Schema):
    id: int
    amount: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None
    unit_use: str
    building: int | None = Field(None, alias="building_id")


@router.post(
    "/fee-items/{item_id}/rates", response={201: RateOut}, summary="Add a rate (overlaps refused)"
)
def add_rate(request, item_id: int, payload: RateIn):
    item = access_object(FeeItem, request.user, item_id)
    data = payload.model_dump()
    building = data.pop("building")
    if building is not None:
        from wuye.estate.models import Building

        building = access_object(Building, request.user, building, site=item.site)
    return Status(
        201, services.set_rate(fee_item=item, actor=request.user, building=building, **data)
    )


class RunIn(Schema):
    site: int | None = None
    month: datetime.date


class RunOut(Schema):
    id: int
    period: datetime.date
    state: str
    lines: int
    total: Decimal


@router.post(
    "/bill-runs", response={201: RunOut}, summary="Bill a month (a second run posts nothing)"
)
def run(request, payload: RunIn):
    where = one_site(request.user, payload.site)
    return Status(201, bill_runs.run_bills(site=where, actor=request.user, month=payload.month))


class ReasonIn(Schema):
    reason: str = Field(max_length=200)


@router.post(
    "/bill-runs/{run_id}/reverse", response=RunOut, summary="Reverse a run no payment touches"
)
def reverse(request, run_id: int, payload: ReasonIn):
    found = access_object(BillRun, request.user, run_id)
    return bill_runs.reverse_run(run=found, actor=request.user, reason=payload.reason)


class LineOut(Schema):
    id: int
    fee_item: str
    period_start: datetime.date
    period_end: datetime.date
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    due_date: datetime.date


def _unit(request, unit_id: int) -> Unit:
    unit = access_object(Unit, request.user, unit_id)
    ensure_can(request.user, "ledger.view_billline", unit.site_id)
    return unit


@router.get(
    "/units/{unit_id}/open-lines", response=list[LineOut], summary="What a unit owes, oldest first"
)
def open_lines(request, unit_id: int):
    return [
        {"id": line.pk, "fee_item": line.fee_item.name, "period_start": line.period_start,
         "period_end": line.period_end, "amount": line.amount, "paid": line.paid,
         "outstanding": line.outstanding, "due_date": line.due_date}
        for line in payments.open_lines(_unit(request, unit_id))
    ]  # fmt: skip


class EntryOut(Schema):
    at: datetime.datetime
    what: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


class StatementOut(Schema):
    entries: list[EntryOut]
    balance: Decimal
    credit_held: Decimal


@router.get("/units/{unit_id}/statement", response=StatementOut, summary="A unit's statement")
def statement(request, unit_id: int):
    unit = _unit(request, unit_id)
    return {
        "entries": [e.__dict__ for e in queries.statement(unit)],
        "balance": payments.ledger(unit).balance,
        "credit_held": queries.credit_held(unit),
    }


class PaymentIn(Schema):
    unit: int
    method: str
    amount: Decimal
    lines: list[int] | None = None
    tendered: Decimal | None = None
    take_rest_as_credit: bool = False
    earmark: int | None = None
    payer: str = Field("", max_length=100)
    reference: str = Field("", max_length=60)


class PaymentOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    method: str
    amount: Decimal
    change: Decimal
    received_at: datetime.datetime
    voided_at: datetime.datetime | None
    receipt: str


def payment_out(payment: Payment) -> dict:
    return {
        "id": payment.pk, "unit_id": payment.unit_id, "method": payment.method,
        "amount": payment.amount, "change": payment.change, "received_at": payment.received_at,
        "voided_at": payment.voided_at, "receipt": payment.receipt.number,
    }  # fmt: skip


@router.post(
    "/payments", response={201: PaymentOut}, summary="Take a payment (send an Idempotency-Key)"
)
def take_payment(request, payload: PaymentIn):
    unit = _unit(request, payload.unit)
    earmark = (
        access_object(FeeItem, request.user, payload.earmark, site=unit.site)
        if payload.earmark
        else None
    )
    payment = payments.take_payment(
        site=unit.site, actor=request.user, unit=unit, method=payload.method, amount=payload.amount,
        lines=payload.lines, tendered=payload.tendered, take_rest_as_credit=payload.take_rest_as_credit,
        earmark=earmark, payer=payload.payer, reference=payload.reference,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )  # fmt: skip
    return Status(201, payment_out(payment))


@router.post(
    "/payments/{payment_id}/void", response=PaymentOut, summary="Void a payment (authority)"
)
def void(request, payment_id: int, payload: ReasonIn):
    found = access_object(Payment.objects.select_related("receipt"), request.user, payment_id)
    return payment_out(
        payments.void_payment(payment=found, actor=request.user, reason=payload.reason)
    )


@router.post("/bill-lines/{line_id}/cancel", response=LineOut, summary="Cancel a line (authority)")
def cancel(request, line_id: int, payload: ReasonIn):
    line = access_object(BillLine.objects.select_related("fee_item"), request.user, line_id)
    return _line_out(
        services.cancel_bill_line(line=line, actor=request.user, reason=payload.reason)
    )


class ChargeIn(Schema):
    unit: int
    fee_item: int
    period_start: datetime.date
    period_end: datetime.date | None = None
    amount: Decimal | None = Field(None, description="Empty: the fee item's rate for the unit.")
    note: str = ""


def _line_out(line: BillLine) -> dict:
    return {"id": line.pk, "fee_item": line.fee_item.name, "period_start": line.period_start,
            "period_end": line.period_end, "amount": line.amount, "paid": Decimal("0.00"),
            "outstanding": Decimal("0.00") if line.cancelled_at else line.amount,
            "due_date": line.due_date}  # fmt: skip


@router.post(
    "/charges", response={201: LineOut},
    summary="Post a one-off charge on a unit (send an Idempotency-Key: posted once)",
)  # fmt: skip
def add_charge(request, payload: ChargeIn):
    unit = _unit(request, payload.unit)
    item = access_object(FeeItem, request.user, payload.fee_item, site=unit.site)
    key = request.headers.get("Idempotency-Key", "").strip()
    line = services.add_charge(
        site=unit.site, actor=request.user, fee_item=item, unit=unit,
        period_start=payload.period_start, period_end=payload.period_end, amount=payload.amount,
        note=payload.note, key=f"api:{key}" if key else "",
    )  # fmt: skip
    return Status(201, _line_out(line))


class PostedOut(Schema):
    posted: int


@router.post(
    "/fee-items/{item_id}/post-paid-services", response=PostedOut,
    summary="Charge the service desk's finished paid jobs to their units, once each",
)  # fmt: skip
def post_paid_services(request, item_id: int):
    item = access_object(FeeItem, request.user, item_id)
    return {
        "posted": services.post_paid_services(site=item.site, actor=request.user, fee_item=item)
    }


@router.get("/receipts/{receipt_id}/pdf", summary="A receipt as PDF (a4, a5 or thermal)")
def receipt_pdf(request, receipt_id: int, paper: str = "a5"):
    found = access_object(Receipt, request.user, receipt_id)
    content = receipts.print_receipt(receipt=found, actor=request.user, paper=paper)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
    return response


class ArrearsRowOut(Schema):
    unit: int
    unit_code: str = Field(alias="unit__code")
    building: str = Field(alias="unit__building__name")
    total: Decimal
    d0_30: Decimal
    d31_90: Decimal
    d91_180: Decimal
    d181: Decimal
    earlier_years: Decimal
    oldest: datetime.date
    never_paid: bool


class ArrearsOut(Schema):
    day: datetime.date
    totals: dict[str, Decimal]
    items: list[ArrearsRowOut]
    count: int


@router.get(
    "/arrears", response=ArrearsOut,
    summary="Overdue per unit, aged 0–30, 31–90, 91–180, over 180 days (filters as the page's)",
)  # fmt: skip
def arrears_list(request, site: int | None = None, page: int = 1):
    found = one_site(request.user, site)
    ensure_can(request.user, "ledger.view_billline", found)
    today = timezone.localdate()
    rows = arrears.by_unit(found, today, arrears.Filters.from_params(request.GET))
    size = settings.WUYE_PAGE_SIZE
    start = (max(page, 1) - 1) * size
    return {"day": today, "totals": arrears.site_totals(found, today),
            "items": [arrears.to_the_fen(r) for r in rows[start:start + size]], "count": rows.count()}  # fmt: skip


router.add_router("/", account_router)
router.add_router("/", collection_router)
router.add_router("/", meter_router)
router.add_router("/", late_fee_router)
router.add_router("/", relief_router)
