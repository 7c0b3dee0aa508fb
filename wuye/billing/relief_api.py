"""The relief API (docs/collections.md, Relief): a site's relief rules (create, end), its relief
entries (list, cancel within the authority matrix, R-ADM-02), vacancy applications through their
steps (apply, inspect, decide), and paying months ahead. The same services and checks as the pages;
bad input is 400 with field errors; beyond authority 403 naming who may approve; another site's ids
404."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wuye.approvals.api import BeyondOut, beyond_body
from wuye.approvals.authority import BeyondAuthority
from wuye.core.errors import invalid
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site
from wuye.estate.models import Building, Unit

from . import relief, relief_versions
from .models import FeeItem, ReliefEntry, ReliefRule, VacancyApplication

router = Router(tags=["billing"])


def _of_site(model, site, pk, field: str):
    """A row of `site` named by the caller, or a field error (never another site's)."""
    if pk is None:
        return None
    found = model.objects.of_site(site).filter(pk=pk).first()
    if found is None:
        raise invalid(field, _("No such %(what)s at this site.") % {"what": model._meta.verbose_name}, "not_found")  # fmt: skip
    return found


# ---------------------------------------------------------------------------------------------
# Rules


class RuleOut(Schema):
    id: int
    name: str
    kind: str = Field(description="discount, reduction, gift_months or vacancy")
    fee_item: int = Field(alias="fee_item_id")
    percent: Decimal | None
    amount: Decimal | None
    months_ahead: int | None
    gift_months: int | None
    valid_from: datetime.date
    valid_to: datetime.date | None
    building: int | None = Field(alias="building_id", description="null: the whole site")
    is_active: bool
    version: int = Field(description="1 for a rule as made; each correction adds one")
    previous: int | None = Field(alias="previous_id", description="the version this one corrects")


class RuleIn(Schema):
    site: int | None = None
    name: str = Field(max_length=60)
    kind: str = Field(description="discount, reduction, gift_months or vacancy")
    fee_item: int
    percent: Decimal | None = Field(None, description="discount and vacancy: above 0, at most 100")  # fmt: skip
    amount: Decimal | None = Field(None, description="reduction: yuan off each line")
    months_ahead: int | None = Field(None, description="gift_months, or a discount only for paying ahead")  # fmt: skip
    gift_months: int | None = None
    valid_from: datetime.date
    valid_to: datetime.date | None = Field(None, description="null: open-ended")
    building: int | None = Field(None, description="null: the whole site")


class EndIn(Schema):
    ends_on: datetime.date | None = Field(None, description="null: today")


class CorrectionIn(Schema):
    starts_on: datetime.date = Field(description="the first day of a month")
    name: str = Field("", max_length=60, description="empty: the name kept")
    percent: Decimal | None = None
    amount: Decimal | None = None
    months_ahead: int | None = None
    gift_months: int | None = None


@router.get("/relief-rules", response=list[RuleOut], summary="A site's relief rules")
def rule_list(request, site: int | None = None):
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_reliefrule", where)
    return list(ReliefRule.objects.of_site(where).order_by("-valid_from", "name"))


@router.post("/relief-rules", response={201: RuleOut}, summary="Make a relief rule")
def rule_create(request, payload: RuleIn):
    where = one_site(request.user, payload.site)
    ensure_can(request.user, relief.RULE_PERM, where)
    made = relief.save_rule(
        site=where, actor=request.user, name=payload.name, kind=payload.kind,
        fee_item=_of_site(FeeItem, where, payload.fee_item, "fee_item"),
        percent=payload.percent, amount=payload.amount, months_ahead=payload.months_ahead,
        gift_months=payload.gift_months, valid_from=payload.valid_from, valid_to=payload.valid_to,
        building=_of_site(Building, where, payload.building, "building"),
    )  # fmt: skip
    return Status(201, made)


@router.post("/relief-rules/{rule_id}/end", response=RuleOut, summary="End a relief rule on a day (today)")  # fmt: skip
def rule_end(request, rule_id: int, payload: EndIn):
    found = access_object(ReliefRule, request.user, rule_id)
    return relief.end_rule(rule=found, actor=request.user, ends_on=payload.ends_on)


@router.post(
    "/relief-rules/{rule_id}/corrections", response={201: RuleOut},
    summary="Correct a relief rule from a day: its version ends, a new one starts; what was granted stays",
)  # fmt: skip
def rule_correct(request, rule_id: int, payload: CorrectionIn):
    found = access_object(ReliefRule, request.user, rule_id)
    made = relief_versions.correct_rule(rule=found, actor=request.user, **payload.dict())
    return Status(201, made)


@router.get("/relief-rules/{rule_id}/versions", response=list[RuleOut], summary="A relief rule's versions, the first first")  # fmt: skip
def rule_versions(request, rule_id: int):
    found = access_object(ReliefRule, request.user, rule_id)
    ensure_can(request.user, "billing.view_reliefrule", found.site_id)
    return relief_versions.versions(found)


# ---------------------------------------------------------------------------------------------
# Entries


class EntryOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    bill_line: int = Field(alias="bill_line_id")
    fee_item: str
    period: str = Field(description="The line's month, like 2026-09.")
    kind: str
    amount: Decimal
    rule: int | None = Field(alias="rule_id")
    application: int | None = Field(alias="application_id")
    granted_on: datetime.date
    reason: str
    cancelled: bool
    cancel_reason: str


def entry_out(entry: ReliefEntry) -> dict:
    return {
        "id": entry.pk, "unit_id": entry.unit_id, "bill_line_id": entry.bill_line_id,
        "fee_item": entry.bill_line.fee_item.name, "period": f"{entry.bill_line.period_start:%Y-%m}",
        "kind": entry.kind, "amount": entry.amount, "rule_id": entry.rule_id,
        "application_id": entry.application_id, "granted_on": entry.granted_on,
        "reason": entry.reason, "cancelled": entry.cancelled_at is not None,
        "cancel_reason": entry.cancel_reason,
    }  # fmt: skip


@router.get("/relief-entries", response=list[EntryOut], summary="A site's relief entries (filters: unit, kind, rule, cancelled)")  # fmt: skip
def entry_list(
    request, site: int | None = None, unit: int | None = None, kind: str = "",
    rule: int | None = None, cancelled: bool | None = None, limit: int = 200, offset: int = 0,
):  # fmt: skip
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_reliefentry", where)
    entries = relief.entries_of(where, unit=unit, kind=kind, rule=rule, cancelled=cancelled)
    offset, limit = max(offset, 0), min(max(limit, 1), 1000)
    return [entry_out(e) for e in entries[offset : offset + limit]]


class CancelIn(Schema):
    reason: str = Field(max_length=200)


@router.post(
    "/relief-entries/{entry_id}/cancel", response={200: EntryOut, 403: BeyondOut},
    summary="Cancel a relief entry (the amount is owed again; authority as cancelling a line)",
)  # fmt: skip
def entry_cancel(request, entry_id: int, payload: CancelIn):
    found = access_object(ReliefEntry.objects.select_related("bill_line__fee_item"), request.user, entry_id)  # fmt: skip
    try:
        done = relief.cancel_relief(entry=found, actor=request.user, reason=payload.reason)
    except BeyondAuthority as exc:
        return Status(403, beyond_body(exc))
    done.bill_line = found.bill_line
    return entry_out(done)


# ---------------------------------------------------------------------------------------------
# Vacancy applications


class ApplicationOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    unit_code: str
    fee_item: int | None = Field(alias="fee_item_id", description="null: every cyclic item")
    starts_on: datetime.date
    ends_on: datetime.date
    reason: str
    state: str = Field(description="applied, inspected, approved or rejected")
    inspected_on: datetime.date | None
    found_vacant: bool | None
    inspection_note: str
    decided_at: datetime.datetime | None
    decision_note: str
    relief: Decimal = Field(description="Live relief granted on it so far.")


def application_out(application: VacancyApplication) -> dict:
    granted = ReliefEntry.objects.filter(application=application, cancelled_at__isnull=True).aggregate(t=Sum("amount"))["t"]  # fmt: skip
    return {
        "id": application.pk, "unit_id": application.unit_id, "unit_code": application.unit.code,
        "fee_item_id": application.fee_item_id, "starts_on": application.starts_on,
        "ends_on": application.ends_on, "reason": application.reason, "state": application.state,
        "inspected_on": application.inspected_on, "found_vacant": application.found_vacant,
        "inspection_note": application.inspection_note, "decided_at": application.decided_at,
        "decision_note": application.decision_note,
        "relief": Decimal(granted or 0).quantize(Decimal("0.01")),
    }  # fmt: skip


class ApplicationIn(Schema):
    unit: int
    fee_item: int | None = Field(None, description="null: every cyclic item a vacancy rule is for")  # fmt: skip
    starts_on: datetime.date
    ends_on: datetime.date
    reason: str = Field(max_length=200)


class InspectionIn(Schema):
    found_vacant: bool
    inspected_on: datetime.date | None = Field(None, description="null: today")
    note: str = Field("", max_length=200)


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200, description="Required to reject.")


@router.get("/vacancy-applications", response=list[ApplicationOut], summary="A site's vacancy relief applications (filter: state)")  # fmt: skip
def application_list(request, site: int | None = None, state: str = "", limit: int = 200, offset: int = 0):  # fmt: skip
    where = one_site(request.user, site)
    ensure_can(request.user, "billing.view_vacancyapplication", where)
    found = relief.applications_of(where, state=state)
    offset, limit = max(offset, 0), min(max(limit, 1), 1000)
    return [application_out(a) for a in found[offset : offset + limit]]


@router.post("/vacancy-applications", response={201: ApplicationOut}, summary="Apply for vacancy relief for a unit")  # fmt: skip
def application_create(request, payload: ApplicationIn):
    unit = access_object(Unit, request.user, payload.unit)
    site = unit.site
    made = relief.apply_for_vacancy(
        site=site, actor=request.user, unit=unit, starts_on=payload.starts_on,
        ends_on=payload.ends_on, reason=payload.reason,
        fee_item=_of_site(FeeItem, site, payload.fee_item, "fee_item"),
    )  # fmt: skip
    return Status(201, application_out(made))


def _application(request, application_id: int) -> VacancyApplication:
    return access_object(VacancyApplication.objects.select_related("unit", "site"), request.user, application_id)  # fmt: skip


@router.post("/vacancy-applications/{application_id}/inspection", response=ApplicationOut, summary="Record the inspection of the unit")  # fmt: skip
def application_inspect(request, application_id: int, payload: InspectionIn):
    found = _application(request, application_id)
    done = relief.record_inspection(
        application=found, actor=request.user, found_vacant=payload.found_vacant,
        inspected_on=payload.inspected_on, note=payload.note,
    )  # fmt: skip
    return application_out(done)


@router.post(
    "/vacancy-applications/{application_id}/decision", response={200: ApplicationOut, 403: BeyondOut},
    summary="Approve (relief on the unit's lines in the window) or reject",
)  # fmt: skip
def application_decide(request, application_id: int, payload: DecisionIn):
    found = _application(request, application_id)
    try:
        done = relief.decide_vacancy(application=found, actor=request.user, approve=payload.approve, note=payload.note)  # fmt: skip
    except BeyondAuthority as exc:
        return Status(403, beyond_body(exc))
    return application_out(done)


# ---------------------------------------------------------------------------------------------
# Paying ahead


class PayAheadIn(Schema):
    rule: int
    method: str
    tendered: Decimal | None = None
    payer: str = Field("", max_length=100)
    reference: str = Field("", max_length=60)


class PaidAheadOut(Schema):
    payment: int | None
    receipt: str | None
    months: list[str]
    relief: Decimal
    paid: Decimal


@router.post("/units/{unit_id}/pay-ahead", response={201: PaidAheadOut}, summary="Pay months ahead by a relief rule (discount or gift months)")  # fmt: skip
def pay_ahead(request, unit_id: int, payload: PayAheadIn):
    unit = access_object(Unit, request.user, unit_id)
    site = unit.site
    rule = _of_site(ReliefRule, site, payload.rule, "rule")
    done = relief.pay_ahead(
        site=site, actor=request.user, unit=unit, rule=rule, method=payload.method,
        tendered=payload.tendered, payer=payload.payer, reference=payload.reference,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )  # fmt: skip
    receipt = getattr(done.payment, "receipt", None) if done.payment else None
    return Status(201, {
        "payment": done.payment.pk if done.payment else None, "receipt": receipt.number if receipt else None,
        "months": [f"{line.period_start:%Y-%m}" for line in done.lines],
        "relief": sum((e.amount for e in done.entries), Decimal("0.00")),
        "paid": done.payment.amount if done.payment else Decimal("0.00"),
    })  # fmt: skip
