"""The billing API's deposits, refunds, approval requests and leases, through the same services
and checks as the pages. A correction beyond the caller's authority answers 403 with the
message, the action, the amount and who may approve it (`approver`), so the client can ask
them (`POST approval-requests`); bad input is 400 with field errors; another site's ids 404."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wuye.approvals import queries as approval_queries
from wuye.approvals import services as approvals
from wuye.approvals.api import (
    ApprovalOut,
    BeyondOut,
    DecideIn,
    approval_out,
    beyond_body,
    decide_through_api,
)
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.approvals.queries import describe
from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site
from wuye.estate.models import ParkingSpace, Unit
from wuye.ledger.models import BillLine

from . import deposits, leases, refunds
from .authority import within_authority
from .models import Deposit, FeeItem, Lease, Payment, Refund, VacancyApplication

router = Router(tags=["billing"])


def _unit(request, unit_id: int, perm: str) -> Unit:
    unit = access_object(Unit, request.user, unit_id)
    ensure_can(request.user, perm, unit.site_id)
    return unit


def _of_site(model_or_qs, request, pk: int | None, site):
    return None if pk is None else access_object(model_or_qs, request.user, pk, site=site)


# ---------------------------------------------------------------------------------------------
# Deposits


class DepositOut(Schema):
    id: int
    unit: int
    fee_item: int
    fee_item_name: str
    amount: Decimal
    held: Decimal
    receipt: str
    taken_at: datetime.datetime
    voided: bool
    note: str


def deposit_out(deposit: Deposit) -> dict:
    return {
        "id": deposit.pk, "unit": deposit.unit_id, "fee_item": deposit.fee_item_id,
        "fee_item_name": deposit.fee_item.name, "amount": deposit.amount,
        "held": deposit.held if hasattr(deposit, "held") else deposits.held(deposit),
        "receipt": deposit.payment.receipt.number, "taken_at": deposit.created_at,
        "voided": deposit.payment.voided_at is not None, "note": deposit.note,
    }  # fmt: skip


@router.get(
    "/units/{unit_id}/deposits",
    response=list[DepositOut],
    summary="A unit's deposits, newest first",
)
def unit_deposits(request, unit_id: int):
    unit = _unit(request, unit_id, "billing.view_deposit")
    return [deposit_out(deposit) for deposit in deposits.deposits_of(unit)]


class DepositIn(Schema):
    unit: int
    fee_item: int
    method: str
    amount: Decimal
    tendered: Decimal | None = None
    payer: str = Field("", max_length=100)
    reference: str = Field("", max_length=60)
    note: str = Field("", max_length=200)


@router.post("/deposits", response={201: DepositOut}, summary="Take a deposit (issues a receipt)")
def take_deposit(request, payload: DepositIn):
    unit = _unit(request, payload.unit, "billing.add_deposit")
    data = payload.model_dump(exclude={"unit", "fee_item"})
    item = access_object(FeeItem, request.user, payload.fee_item, site=unit.site)
    made = deposits.take_deposit(site=unit.site, actor=request.user, unit=unit, fee_item=item, **data)  # fmt: skip
    return Status(201, deposit_out(made))


class ApplyIn(Schema):
    amount: Decimal | None = Field(None, description="Empty: all that is held.")
    lines: list[int] | None = Field(None, description="Empty: the oldest open lines first.")


class AppliedOut(Schema):
    applied: Decimal
    deposit: DepositOut


@router.post(
    "/deposits/{deposit_id}/apply", response=AppliedOut, summary="Pay open lines from a deposit"
)
def apply_deposit(request, deposit_id: int, payload: ApplyIn):
    found = access_object(
        Deposit.objects.select_related("fee_item", "payment__receipt"), request.user, deposit_id
    )
    applied = deposits.apply_deposit(
        deposit=found, actor=request.user, amount=payload.amount, lines=payload.lines
    )
    found.refresh_from_db()
    return {"applied": applied, "deposit": deposit_out(found)}


# ---------------------------------------------------------------------------------------------
# Refunds


class RefundIn(Schema):
    unit: int
    source: str = Field(description="line, credit or deposit")
    amount: Decimal
    method: str
    reason: str = Field(max_length=200)
    bill_line: int | None = None
    deposit: int | None = None
    fee_item: int | None = Field(None, description="Earmarked credit of this item; empty: general.")
    paid_to: str = Field("", max_length=100)


class RefundOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    source: str
    amount: Decimal
    method: str
    bill_line: int | None = Field(None, alias="bill_line_id")
    deposit: int | None = Field(None, alias="deposit_id")
    fee_item: int | None = Field(None, alias="fee_item_id")
    reason: str
    paid_to: str
    refunded_at: datetime.datetime
    approval: int | None = Field(None, alias="approval_id")


@router.post(
    "/refunds", response={201: RefundOut, 403: BeyondOut},
    summary="Refund a line's payment, prepaid credit or a deposit (authority)",
)  # fmt: skip
def create_refund(request, payload: RefundIn):
    unit = access_object(Unit, request.user, payload.unit)
    site = unit.site
    related = {
        "bill_line": _of_site(BillLine.objects.filter(unit=unit), request, payload.bill_line, site),
        "deposit": _of_site(Deposit.objects.filter(unit=unit), request, payload.deposit, site),
        "fee_item": _of_site(FeeItem, request, payload.fee_item, site),
    }
    try:
        within_authority(request.user, site, ApprovalRequest.Action.REFUND, payload.amount)
        made = refunds.refund(
            site=site, actor=request.user, unit=unit, source=payload.source,
            amount=payload.amount, method=payload.method, reason=payload.reason,
            paid_to=payload.paid_to, **related,
        )  # fmt: skip
    except BeyondAuthority as exc:
        return Status(403, beyond_body(exc))
    return Status(201, made)


@router.get("/units/{unit_id}/refunds", response=list[RefundOut], summary="A unit's refunds")
def unit_refunds(request, unit_id: int):
    unit = _unit(request, unit_id, "billing.view_refund")
    return list(Refund.objects.filter(unit=unit))


# ---------------------------------------------------------------------------------------------
# Approval requests


class ApprovalIn(Schema):
    action: str = Field(description="cancel_bill_line, void_payment, refund or relief")
    params: dict = Field(
        description='{"bill_line": id}, {"payment": id}, for a refund {"unit", "source", '
        '"amount", "method", and "bill_line", "deposit" or "fee_item" as the source needs}, for '
        'a vacancy relief (relief) {"application": id}'
    )
    reason: str = Field(max_length=200)


# The object each correction is about, by its parameter; the site is the object's.
SUBJECTS = {
    ApprovalRequest.Action.CANCEL_BILL_LINE: ("bill_line", BillLine),
    ApprovalRequest.Action.VOID_PAYMENT: ("payment", Payment),
    ApprovalRequest.Action.REFUND: ("unit", Unit),
    ApprovalRequest.Action.RELIEF: ("application", VacancyApplication),
}


@router.post(
    "/approval-requests", response={201: ApprovalOut},
    summary="Ask for a correction beyond your authority",
)  # fmt: skip
def create_approval_request(request, payload: ApprovalIn):
    if payload.action not in SUBJECTS:
        raise invalid("action", _("Choose what is to be approved."), "invalid_choice")
    key, model = SUBJECTS[payload.action]
    if payload.params.get(key) is None:
        raise invalid("params", _("Name what is to be corrected."), "required")
    subject = access_object(model, request.user, payload.params[key])
    site = subject.site
    if payload.action == ApprovalRequest.Action.REFUND:
        # What a refund names must be the unit's, as for a refund made at once.
        params = payload.params
        _of_site(BillLine.objects.filter(unit=subject), request, params.get("bill_line"), site)
        _of_site(Deposit.objects.filter(unit=subject), request, params.get("deposit"), site)
        _of_site(FeeItem, request, params.get("fee_item"), site)
    made = approvals.request_approval(
        site=site, actor=request.user, action=payload.action, params=payload.params,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, approval_out(describe(site, [made])[0]))


@router.get(
    "/approval-requests",
    response=list[ApprovalOut],
    summary="A site's requests waiting for approval",
)
def pending_approval_requests(request, site: int | None = None):
    where = one_site(request.user, site)
    ensure_can(request.user, approvals.VIEW, where)
    waiting = list(approval_queries.pending(where).select_related("decided_by"))
    describe(where, waiting)
    return [approval_out(found) for found in waiting]


@router.post(
    "/approval-requests/{request_id}/decide", response={200: ApprovalOut, 403: BeyondOut},
    summary="Approve (and carry out) or reject a request (authority; not your own)",
)  # fmt: skip
def decide_approval_request(request, request_id: int, payload: DecideIn):
    return decide_through_api(request, request_id, payload)


# ---------------------------------------------------------------------------------------------
# Leases


class LeaseOut(Schema):
    id: int
    number: str
    fee_item: int = Field(alias="fee_item_id")
    unit: int = Field(alias="unit_id")
    parking_space: int | None = Field(None, alias="parking_space_id")
    lessee: str
    lessee_phone: str
    monthly_rent: Decimal
    escalation_percent: Decimal
    starts_on: datetime.date
    ends_on: datetime.date
    terminated_on: datetime.date | None
    termination_reason: str


@router.get("/leases", response=list[LeaseOut], summary="A site's leases")
def lease_list(request, site: int | None = None):
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_lease", where)
    return list(Lease.objects.of_site(where).order_by("-starts_on", "number"))


class LeaseIn(Schema):
    number: str = Field(max_length=40)
    fee_item: int
    unit: int = Field(description="The shop let, or the lessee's home for a parking space.")
    parking_space: int | None = None
    lessee: str = Field(max_length=100)
    lessee_phone: str = Field("", max_length=30)
    monthly_rent: Decimal
    escalation_percent: Decimal = Decimal(0)
    starts_on: datetime.date
    ends_on: datetime.date


@router.post("/leases", response={201: LeaseOut}, summary="Sign a lease")
def sign_lease(request, payload: LeaseIn):
    unit = access_object(Unit, request.user, payload.unit)
    site = unit.site
    ensure_can(request.user, "billing.add_lease", site)
    data = payload.model_dump(exclude={"unit", "fee_item", "parking_space"})
    lease = leases.sign_lease(
        site=site, actor=request.user, unit=unit,
        fee_item=access_object(FeeItem, request.user, payload.fee_item, site=site),
        parking_space=_of_site(ParkingSpace, request, payload.parking_space, site), **data,
    )  # fmt: skip
    return Status(201, lease)


class TerminateIn(Schema):
    on: datetime.date = Field(description="The lease's last day.")
    reason: str = Field(max_length=200)


@router.post("/leases/{lease_id}/terminate", response=LeaseOut, summary="End a lease early")
def terminate_lease(request, lease_id: int, payload: TerminateIn):
    found = access_object(Lease, request.user, lease_id)
    return leases.terminate_lease(
        lease=found, actor=request.user, on=payload.on, reason=payload.reason
    )
