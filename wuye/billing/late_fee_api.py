"""The late-fee API (R-FEE-04): a fee item's rule, a site's late fees, a waiver (beyond the
caller's authority: 403 naming who may approve, and a request to them), and "post now". The
same services and checks as the pages; bad input is 400 with field errors; another site's ids
404."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wuye.approvals import services as approvals
from wuye.approvals.api import ApprovalOut, BeyondOut, approval_out, beyond_body
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.approvals.queries import describe
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site

from . import late_fee_queries, late_fees
from .late_fee_queries import Filters, Row
from .models import FeeItem, LateFee

router = Router(tags=["billing"])


# ---------------------------------------------------------------------------------------------
# The rule


class RuleOut(Schema):
    fee_item: int = Field(alias="fee_item_id")
    basis: str = Field(description="daily or monthly")
    rate_percent: Decimal
    grace_days: int
    cap_percent: Decimal = Field(description="At most this percent of the principal.")
    is_active: bool


class RuleIn(Schema):
    basis: str = Field(description="daily or monthly")
    rate_percent: Decimal | None = Field(None, description="Percent of the overdue amount per day or month.")  # fmt: skip
    grace_days: int = 0
    cap_percent: Decimal | None = Field(None, description="Required: more than 0, at most 100.")
    is_active: bool = True


def _fee_item(request, fee_item_id: int, perm: str) -> FeeItem:
    item = access_object(FeeItem, request.user, fee_item_id)
    ensure_can(request.user, perm, item.site_id)
    return item


@router.get("/fee-items/{fee_item_id}/late-fee-rule", response=RuleOut, summary="A fee item's late-fee rule (404: none)")  # fmt: skip
def get_rule(request, fee_item_id: int):
    item = _fee_item(request, fee_item_id, "billing.view_latefeerule")
    rule = late_fees.rule_of(item)
    if rule is None:
        raise Http404(_("No late-fee rule"))
    return rule


@router.put("/fee-items/{fee_item_id}/late-fee-rule", response=RuleOut, summary="Set or change a fee item's late-fee rule")  # fmt: skip
def put_rule(request, fee_item_id: int, payload: RuleIn):
    item = _fee_item(request, fee_item_id, late_fees.RULE_PERM)
    return late_fees.save_late_fee_rule(fee_item=item, actor=request.user, **payload.model_dump())


# ---------------------------------------------------------------------------------------------
# Late fees


class PrincipalOut(Schema):
    id: int
    fee_item: str
    period: str
    amount: Decimal
    due_date: datetime.date
    outstanding: Decimal


class ChargeOut(Schema):
    id: int
    amount: Decimal


class LateFeeOut(Schema):
    id: int
    unit: str
    unit_id: int
    principal: PrincipalOut
    accrued: Decimal = Field(description="Unrounded, to 4 decimals.")
    waived: Decimal
    to_post: Decimal = Field(description="accrued − waived, half up to the fen.")
    waivable: Decimal
    accrued_through: datetime.date
    days_overdue: int = Field(description="From the due date to the day accrued through.")
    state: str = Field(description="accruing, settled, posted or cancelled")
    charge_line: ChargeOut | None


def late_fee_out(row: Row) -> dict:
    line, fee = row.principal, row.late_fee
    return {
        "id": fee.pk, "unit": line.unit.code, "unit_id": line.unit_id,
        "principal": {"id": line.pk, "fee_item": line.fee_item.name, "period": f"{line.period_start:%Y-%m}",
                      "amount": line.amount, "due_date": line.due_date, "outstanding": row.outstanding},
        "accrued": fee.accrued, "waived": fee.waived, "to_post": row.to_post, "waivable": row.waivable,
        "accrued_through": fee.accrued_through, "days_overdue": row.days_overdue, "state": row.state,
        "charge_line": {"id": fee.charge_line.pk, "amount": fee.charge_line.amount} if fee.charge_line else None,
    }  # fmt: skip


def _one(late_fee: LateFee) -> dict:
    lines = late_fee_queries.principals(late_fee.site_id, Filters(state="all"))
    return late_fee_out(late_fee_queries.row(lines.get(late_fee__pk=late_fee.pk)))


@router.get("/late-fees", response=list[LateFeeOut], summary="A site's late fees (filters: state, building, unit, fee_item)")  # fmt: skip
def late_fee_list(
    request, site: int | None = None, state: str = "open", building: int | None = None,
    unit: str = "", fee_item: int | None = None, limit: int = 200, offset: int = 0,
):  # fmt: skip
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_latefee", where)
    filters = Filters.from_params({"state": state, "building": building, "unit": unit, "fee_item": fee_item})  # fmt: skip
    offset, limit = max(offset, 0), min(max(limit, 1), 1000)  # a page of at most 1000
    lines = late_fee_queries.principals(where, filters)[offset : offset + limit]
    return [late_fee_out(row) for row in late_fee_queries.rows(lines)]


def _late_fee(request, late_fee_id: int) -> LateFee:
    found = access_object(LateFee.objects.select_related("site"), request.user, late_fee_id)
    ensure_can(request.user, "billing.view_latefee", found.site_id)
    return found


class WaiveIn(Schema):
    amount: Decimal
    reason: str = Field(max_length=200)


@router.post(
    "/late-fees/{late_fee_id}/waive", response={200: LateFeeOut, 403: BeyondOut},
    summary="Waive part or all of an unposted late fee (authority)",
)  # fmt: skip
def waive(request, late_fee_id: int, payload: WaiveIn):
    found = _late_fee(request, late_fee_id)
    try:
        late_fees.waive_late_fee(late_fee=found, actor=request.user, amount=payload.amount, reason=payload.reason)  # fmt: skip
    except BeyondAuthority as exc:
        return Status(403, beyond_body(exc))
    return _one(found)


@router.post(
    "/late-fees/{late_fee_id}/approval-requests", response={201: ApprovalOut},
    summary="Ask the approver to waive a late fee beyond your authority",
)  # fmt: skip
def ask_waiver(request, late_fee_id: int, payload: WaiveIn):
    found = _late_fee(request, late_fee_id)
    made = approvals.request_approval(
        site=found.site, actor=request.user, action=ApprovalRequest.Action.WAIVE_LATE_FEE,
        params={"late_fee": found.pk, "amount": str(payload.amount)}, reason=payload.reason,
    )  # fmt: skip
    return Status(201, approval_out(describe(found.site, [made])[0]))


@router.post("/late-fees/{late_fee_id}/post", response=LateFeeOut, summary="Charge a late fee now (accrued through today first)")  # fmt: skip
def post_now(request, late_fee_id: int):
    found = _late_fee(request, late_fee_id)
    late_fees.post_late_fee(late_fee=found, actor=request.user)
    return _one(found)
