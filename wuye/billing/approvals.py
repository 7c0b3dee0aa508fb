"""Approval requests (R-ADM-02): a correction beyond its asker's authority — cancelling a bill
line, voiding a payment, a refund, waiving a late fee, approving a vacancy relief — waits for
someone whose post covers its amount. Approving carries the correction out at once in the
approver's name with the asker's reason; rejecting leaves everything as it was. Either way the decision is kept."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit

from . import late_fees, payments, refunds, relief, services
from .authority import approver_name, require_authority
from .models import (
    ApprovalRequest,
    BillLine,
    Deposit,
    FeeItem,
    LateFee,
    Payment,
    Refund,
    VacancyApplication,
)  # fmt: skip

Action = ApprovalRequest.Action


def _subject(site, action: str, params: dict):
    """The object the correction is about, and its amount, from this site only."""
    try:
        if action == Action.CANCEL_BILL_LINE:
            line = BillLine.objects.get(site=site, pk=int(params["bill_line"]))
            return line, line.amount
        if action == Action.VOID_PAYMENT:
            payment = Payment.objects.get(site=site, pk=int(params["payment"]))
            return payment, payment.amount
        if action == Action.WAIVE_LATE_FEE:
            late_fee = LateFee.objects.get(site=site, pk=int(params["late_fee"]))
            return late_fee, Decimal(params["amount"])
        if action == Action.RELIEF:  # bounded by the relief the window would bring
            application = VacancyApplication.objects.select_related("unit", "site").get(site=site, pk=int(params["application"]))  # fmt: skip
            return application, relief.estimated_relief(application)
        unit = Unit.objects.get(site=site, pk=int(params["unit"]))
        return unit, Decimal(params["amount"])
    except (KeyError, TypeError, ValueError, ArithmeticError, BillLine.DoesNotExist, Payment.DoesNotExist, LateFee.DoesNotExist, VacancyApplication.DoesNotExist, Unit.DoesNotExist):  # fmt: skip
        raise invalid("params", _("Name what is to be corrected."), "not_found") from None


def request_approval(*, site, actor, action: str, params: dict, reason: str) -> ApprovalRequest:
    """Ask for a correction beyond the actor's authority. `params`: {"bill_line": id},
    {"payment": id}, for a refund {"unit", "source", "amount", "method", and "bill_line",
    "deposit" or "fee_item" as the source needs}, for a late fee's waiver {"late_fee", "amount"},
    for a vacancy relief {"application": id} (inspected and found vacant; its amount is the
    relief the window would bring)."""
    ensure_can(actor, "billing.add_approvalrequest", site)
    reason = (reason or "").strip()
    with collecting() as errors:
        if action not in Action.values:
            errors.add("action", _("Choose what is to be approved."), "invalid_choice")
        if not reason:
            errors.add("reason", _("Say why."), "required")
        if action == Action.REFUND:
            money = errors.check(
                payments.checked_money, params.get("method", ""), params.get("amount"), None
            )
    if action == Action.REFUND:
        params = {**params, "amount": str(money[0])}
    if action == Action.WAIVE_LATE_FEE:  # what the approver will waive must be there now
        late_fee, _a = _subject(site, action, {**params, "amount": "0"})
        amount = late_fees.checked_waiver(late_fee, str(params.get("amount", "")))
        params = {"late_fee": late_fee.pk, "amount": str(amount)}
    if action == Action.RELIEF:
        params = {"application": params.get("application")}
    subject, amount = _subject(site, action, params)
    if action == Action.RELIEF:  # what the approver will approve must be approvable now
        relief.check_approvable(subject)
        if amount <= 0:
            raise invalid("params", _("This window brings no relief; approve it at once."), "no_relief")  # fmt: skip
    if action == Action.REFUND:  # what the approver will refund must be there to refund now
        refunds.check_available(unit=subject, source=params.get("source", ""), amount=amount, **_related(site, params))  # fmt: skip
    params = {key: params[key] for key in sorted(params)}
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                site=site, action=action, amount=amount, params=params, reason=reason[:200],
                requested_by=actor, approver_name=approver_name(actor, site.pk, action, amount),
            )  # fmt: skip
            record_create(actor, request)
    except IntegrityError:
        raise invalid(
            None, _("This correction is already waiting for approval."), "pending"
        ) from None
    return request


def _related(site, params: dict) -> dict:
    """The line, deposit or earmark a refund request names, of this site only."""
    found = {}
    for name, model in (("bill_line", BillLine), ("deposit", Deposit), ("fee_item", FeeItem)):
        value = params.get(name)
        found[name] = model.objects.filter(site=site, pk=value).first() if str(value or "").isdigit() else None  # fmt: skip
        if value not in (None, "") and found[name] is None:
            raise invalid("params", _("Name what is to be corrected."), "not_found")
    return found


def _carry_out(request: ApprovalRequest, actor):
    site, params = request.site, request.params
    subject, _amount = _subject(site, request.action, params)
    if request.action == Action.CANCEL_BILL_LINE:
        return services.cancel_bill_line(line=subject, actor=actor, reason=request.reason)
    if request.action == Action.VOID_PAYMENT:
        return payments.void_payment(payment=subject, actor=actor, reason=request.reason)
    if request.action == Action.RELIEF:
        return relief.decide_vacancy(
            application=subject, actor=actor, approve=True, note=request.reason
        )
    if request.action == Action.WAIVE_LATE_FEE:
        return late_fees.waive_late_fee(
            late_fee=subject, actor=actor, amount=params["amount"], reason=request.reason,
            approval=request,
        )  # fmt: skip
    related = _related(site, params)
    return refunds.refund(
        site=site, actor=actor, unit=subject, source=params.get("source", ""),
        amount=params["amount"], method=params.get("method", ""), reason=request.reason,
        paid_to=params.get("paid_to", ""), approval=request, **related,
    )  # fmt: skip


def decide(*, request: ApprovalRequest, actor, approve: bool, note: str = "") -> ApprovalRequest:
    """Approve (and carry out) or reject a waiting request. The decider's post must cover the
    amount; nobody decides their own request."""
    ensure_can(actor, "billing.change_approvalrequest", request.site_id)
    note = (note or "").strip()
    if not approve and not note:
        raise invalid("note", _("Say why the request is rejected."), "required")
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update(of=("self",)).select_related("site").get(pk=request.pk)  # fmt: skip
        if request.state != ApprovalRequest.State.PENDING:
            raise invalid(None, _("This request was already decided."), "decided")
        if request.requested_by_id == actor.pk:
            raise PermissionDenied(_("Someone else must decide your own request."))
        require_authority(actor, request.site_id, request.action, request.amount)
        if approve:
            _carry_out(request, actor)
        request.state = (
            ApprovalRequest.State.APPROVED if approve else ApprovalRequest.State.REJECTED
        )
        request.decided_by, request.decided_at, request.decision_note = (
            actor,
            timezone.now(),
            note[:200],
        )
        request.save()
        record_action(actor, request, request.get_state_display(), {"decision_note": [None, note]})
    return request


def pending(site):
    return (
        ApprovalRequest.objects.filter(site=site, state=ApprovalRequest.State.PENDING)
        .select_related("requested_by")
        .order_by("created_at")
    )


def _ids(requests, key: str) -> set[int]:
    return {pk for asked in requests if (pk := _pk(asked.params, key)) is not None}


def _pk(params: dict, key: str) -> int | None:
    try:
        return int(params.get(key))
    except (TypeError, ValueError):
        return None


def describe(site, requests: list[ApprovalRequest]) -> list[ApprovalRequest]:
    """Each request with `unit` and `what` (the correction in words), in a few queries."""
    lines = BillLine.objects.of_site(site).select_related("fee_item", "unit").in_bulk(_ids(requests, "bill_line"))  # fmt: skip
    paid = Payment.objects.of_site(site).select_related("unit", "receipt").in_bulk(_ids(requests, "payment"))  # fmt: skip
    units = Unit.objects.of_site(site).in_bulk(_ids(requests, "unit"))
    held = Deposit.objects.of_site(site).select_related("fee_item").in_bulk(_ids(requests, "deposit"))  # fmt: skip
    items = FeeItem.objects.of_site(site).in_bulk(_ids(requests, "fee_item"))
    waived = LateFee.objects.of_site(site).select_related("bill_line__fee_item", "bill_line__unit").in_bulk(_ids(requests, "late_fee"))  # fmt: skip
    vacant = VacancyApplication.objects.of_site(site).select_related("unit", "fee_item").in_bulk(_ids(requests, "application"))  # fmt: skip
    methods = dict(Payment.Method.choices)
    sources = dict(Refund.Source.choices)
    for asked in requests:
        params = asked.params
        line = lines.get(_pk(params, "bill_line"))
        parts = []
        if asked.action == Action.VOID_PAYMENT:
            payment = paid.get(_pk(params, "payment"))
            asked.unit = payment.unit if payment else None
            if payment:
                parts = [payment.receipt.number, f"{payment.received_at:%Y-%m-%d}", payment.get_method_display()]  # fmt: skip
        elif asked.action == Action.WAIVE_LATE_FEE:
            late_fee = waived.get(_pk(params, "late_fee"))
            asked.unit = late_fee.bill_line.unit if late_fee else None
            if late_fee:
                principal = late_fee.bill_line
                parts = [f"{principal.fee_item.name} {principal.period_start:%Y-%m}"]
        elif asked.action == Action.RELIEF:
            application = vacant.get(_pk(params, "application"))
            asked.unit = application.unit if application else None
            if application:
                parts = [f"{application.starts_on:%Y-%m-%d} – {application.ends_on:%Y-%m-%d}",
                         application.fee_item.name if application.fee_item else ""]  # fmt: skip
        elif asked.action == Action.CANCEL_BILL_LINE:
            asked.unit = line.unit if line else None
            if line:
                parts = [f"{line.fee_item.name} {line.period_start:%Y-%m}"]
        else:
            asked.unit = units.get(_pk(params, "unit"))
            parts = [str(sources.get(params.get("source"), ""))]
            if line:
                parts.append(f"{line.fee_item.name} {line.period_start:%Y-%m}")
            deposit = held.get(_pk(params, "deposit"))
            if deposit:
                parts.append(deposit.fee_item.name)
            item = items.get(_pk(params, "fee_item"))
            if item:
                parts.append(item.name)
            parts.append(str(methods.get(params.get("method"), "")))
            if params.get("paid_to"):
                parts.append(_("to %(whom)s") % {"whom": params["paid_to"]})
        asked.what = " · ".join([str(asked.get_action_display())] + [p for p in parts if p])
    return requests
