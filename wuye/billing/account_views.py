"""The unit account's deposits, refunds and corrections (docs/billing.md, Deposits, Refunds,
Corrections without edits), the approval requests of a site (R-ADM-02) and its leases.

Each form on the unit account posts to a page of its own: a success goes back to the account
with a message; a refusal is shown on that page, beside the field it concerns (status 400).
A correction beyond the actor's authority (`BeyondAuthority`) is shown with a button that asks
the person who may approve it, with the same parameters and reason (status 403)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.core.listing import paginate
from wuye.core.money import format_yuan
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine

from . import (
    deposits,
    late_fee_queries,
    leases,
    payments,
    refunds,
    relief,
    services,
)
from .account_forms import (
    ApplyDepositForm,
    CancelLineForm,
    ChargeForm,
    DepositForm,
    LeaseForm,
    RefundCreditForm,
    RefundDepositForm,
    RefundLineForm,
    TerminateLeaseForm,
    VoidPaymentForm,
)
from .authority import ASK, may_correct, within_authority
from .models import CreditEntry, Deposit, FeeItem, Lease, Payment, Refund
from .money import CENT, ZERO

Action = ApprovalRequest.Action
# ---------------------------------------------------------------------------------------------
# What the unit account shows


def paid_lines(unit: Unit):
    """The unit's lines with something paid on them (refundable), newest first."""
    lines = payments.with_outstanding(BillLine.objects.filter(unit=unit, cancelled_at__isnull=True))
    return lines.filter(paid__gte=CENT).select_related("fee_item").order_by("-period_start", "-id")


def cancellable_lines(unit: Unit):
    """The unit's lines nothing is paid on (a paid line is voided or refunded first)."""
    lines = payments.with_outstanding(BillLine.objects.filter(unit=unit, cancelled_at__isnull=True))
    return lines.filter(paid__lt=CENT).select_related("fee_item").order_by("-period_start", "-id")


def live_payments(unit: Unit):
    return (
        Payment.objects.filter(unit=unit, voided_at__isnull=True)
        .select_related("receipt")
        .order_by("-received_at")
    )


def credit_by_item(unit: Unit) -> dict:
    """{fee item or None (general): credit held}, for what is held only."""
    rows = (
        CreditEntry.objects.filter(unit=unit)
        .order_by()
        .values("fee_item")
        .annotate(total=Sum("amount"))
    )
    held = {row["fee_item"]: Decimal(row["total"]).quantize(CENT) for row in rows}
    items = FeeItem.objects.in_bulk([pk for pk in held if pk])
    return {items.get(pk): amount for pk, amount in held.items() if amount > 0}


def account_context(request, unit: Unit, open_lines) -> dict:
    """What the unit account adds for deposits, refunds and corrections (`views.unit_account`)."""
    user, site = request.user, request.site
    context: dict = {"deposits": [], "correction_forms": []}
    if user.has_perm("billing.view_deposit"):
        context["deposits"] = deposits.deposits_of(unit)
        for deposit in context["deposits"]:
            if deposit.held > 0:
                deposit.apply_form = ApplyDepositForm(
                    prefix=f"apply-{deposit.pk}", open_lines=open_lines
                )
                deposit.refund_form = RefundDepositForm(
                    prefix=f"refund-deposit-{deposit.pk}", initial={"amount": deposit.held}
                )
    if user.has_perm("billing.add_deposit"):
        form = DepositForm(prefix="deposit", site=site)
        context["deposit_form"] = form if form.fields["fee_item"].queryset.exists() else None
    corrections = context["correction_forms"]

    def offer(name: str, title: str, submit: str, form) -> None:
        url = reverse(f"billing:{name}", args=[unit.pk])
        corrections.append({"id": name, "url": url, "title": title, "submit": submit, "form": form})

    if user.has_perm("ledger.add_billline"):
        form = ChargeForm(prefix="charge", site=site, initial={"key": uuid.uuid4().hex, "period_start": timezone.localdate()})  # fmt: skip
        if form.fields["fee_item"].queryset.exists():
            offer("add_charge", _("Add a one-off charge"), _("Add the charge"), form)
    if may_correct(user, Action.REFUND):
        lines = paid_lines(unit)
        if lines.exists():
            offer("refund_line", _("Refund a paid line"), _("Refund"), RefundLineForm(prefix="refund-line", lines=lines))  # fmt: skip
        held = credit_by_item(unit)
        if held:
            offer("refund_credit", _("Refund prepaid credit"), _("Refund"), RefundCreditForm(prefix="refund-credit", held=held))  # fmt: skip
    if may_correct(user, Action.CANCEL_BILL_LINE):
        lines = cancellable_lines(unit)
        if lines.exists():
            offer("cancel_line", _("Cancel a line"), _("Cancel the line"), CancelLineForm(prefix="cancel", lines=lines))  # fmt: skip
    if may_correct(user, Action.VOID_PAYMENT):
        live = live_payments(unit)
        if live.exists():
            offer("void_payment", _("Void a payment"), _("Void the payment"), VoidPaymentForm(prefix="void", live_payments=live))  # fmt: skip
    # 减免: the unit's relief entries apart, and the counter's pay-ahead offers.
    if user.has_perm("billing.view_reliefentry"):
        context["reliefs"] = relief.unit_reliefs(unit)
    context["may_pay_ahead"] = user.has_perm(relief.PAY_PERM)
    # 滞纳金 (R-FEE-04): each line's late fee, apart from the principal.
    context["late_fees"] = late_fee_queries.of_unit(unit) if user.has_perm("billing.view_latefee") else []  # fmt: skip
    context["refunds"] = (
        Refund.objects.filter(unit=unit).select_related("refunded_by")[:10]
        if user.has_perm("billing.view_refund")
        else []
    )
    return context


# ---------------------------------------------------------------------------------------------
# The account's actions, each on a page of its own


@dataclass(frozen=True)
class Ask:
    """How a correction becomes an approval request: its action, amount and parameters."""

    action: str
    amount: Callable[[dict], Decimal]
    params: Callable[[dict], dict]


def _posted(request):
    """The POST data of a POST (an empty one too: all a form's fields may be optional)."""
    return request.POST if request.method == "POST" else None


def _unit(request, pk) -> Unit:
    ensure_can(request.user, "ledger.view_billline", request.site)
    return access_object(
        Unit.objects.select_related("building"), request.user, pk, site=request.site
    )


def _act(request, unit, form, *, title: str, submit: str, call, done, ask: Ask | None = None,
         danger: bool = False):  # fmt: skip
    """GET: the form. POST: `call(cleaned_data)`, back to the account with `done(result)`; or
    with `ask` in the POST, the same correction asked for (an approval request)."""
    beyond = None
    if request.method == "POST" and ask is not None and request.POST.get("ask"):
        asked = submit_form(form, lambda d: approvals.request_approval(
            site=request.site, actor=request.user, action=ask.action, params=ask.params(d),
            reason=d["reason"],
        ))  # fmt: skip
        if asked is not None:
            who = asked.approver_name or _("the company")
            messages.success(request, _("Asked %(who)s to approve: %(what)s of %(amount)s.") % {
                "who": who, "what": asked.get_action_display(), "amount": format_yuan(asked.amount)})  # fmt: skip
            return redirect("billing:unit_account", unit.pk)
    elif request.method == "POST":

        def checked(data):
            if ask is not None:
                within_authority(request.user, request.site, ask.action, ask.amount(data))
            return call(data)

        try:
            result = submit_form(form, checked)
        except BeyondAuthority as exc:
            beyond = exc
        else:
            if result is not None:
                messages.success(request, done(result))
                return redirect("billing:unit_account", unit.pk)
    context = {"unit": unit, "form": form, "title": title, "submit": submit, "beyond": beyond,
               "may_ask": ask is not None and request.user.has_perm(ASK), "danger": danger}  # fmt: skip
    return render(
        request,
        "billing/approval_action.html",
        context,
        status=403 if beyond else form_status(form),
    )


def _refund_params(unit, source: str, data: dict, **related) -> dict:
    params = {"unit": unit.pk, "source": source, "amount": str(data["amount"]),
              "method": data["method"], "paid_to": data["paid_to"].strip()}  # fmt: skip
    params.update({key: value for key, value in related.items() if value is not None})
    return params


def _refunded(made: Refund) -> str:
    return _("Refunded %(amount)s (%(source)s).") % {
        "amount": format_yuan(made.amount),
        "source": made.get_source_display(),
    }


@site_page
@require_http_methods(["GET", "POST"])
def take_deposit(request, pk):
    unit = _unit(request, pk)
    ensure_can(request.user, "billing.add_deposit", request.site)
    form = DepositForm(_posted(request), prefix="deposit", site=request.site)
    return _act(
        request, unit, form, title=_("Take a deposit"), submit=_("Take the deposit"),
        call=lambda d: deposits.take_deposit(site=request.site, actor=request.user, unit=unit, **d),
        done=lambda made: _("Deposit of %(amount)s taken; receipt %(number)s.") % {
            "amount": format_yuan(made.amount), "number": made.payment.receipt.number},
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def add_charge(request, pk):
    unit = _unit(request, pk)
    ensure_can(request.user, "ledger.add_billline", request.site)
    form = ChargeForm(_posted(request), prefix="charge", site=request.site)
    return _act(
        request, unit, form, title=_("Add a one-off charge"), submit=_("Add the charge"),
        call=lambda d: services.add_charge(
            site=request.site, actor=request.user, unit=unit, fee_item=d["fee_item"],
            period_start=d["period_start"], amount=d["amount"], note=d["note"], key=f"{unit.pk}:{d['key']}",
        ),
        done=lambda line: _("Charged %(amount)s for %(item)s.") % {"amount": format_yuan(line.amount), "item": line.fee_item.name},
    )  # fmt: skip


def _deposit(request, unit, pk) -> Deposit:
    return access_object(
        Deposit.objects.filter(unit=unit).select_related("fee_item", "payment"),
        request.user, pk, site=request.site,
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def apply_deposit(request, pk, deposit):
    unit = _unit(request, pk)
    ensure_can(request.user, "billing.add_payment", request.site)
    deposit = _deposit(request, unit, deposit)
    form = ApplyDepositForm(
        _posted(request), prefix=f"apply-{deposit.pk}", open_lines=payments.open_lines(unit)
    )
    return _act(
        request, unit, form, title=_("Apply the deposit %(item)s to open lines") % {"item": deposit.fee_item.name},
        submit=_("Apply the deposit"),
        call=lambda d: deposits.apply_deposit(deposit=deposit, actor=request.user, amount=d["amount"], lines=d["lines"] or None),
        done=lambda applied: _("%(amount)s of the deposit paid open lines.") % {"amount": format_yuan(applied)},
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def refund_deposit(request, pk, deposit):
    unit = _unit(request, pk)
    deposit = _deposit(request, unit, deposit)
    form = RefundDepositForm(
        _posted(request), prefix=f"refund-deposit-{deposit.pk}",
        initial={"amount": deposits.held(deposit)},
    )  # fmt: skip
    return _act(
        request, unit, form, title=_("Refund the deposit %(item)s") % {"item": deposit.fee_item.name},
        submit=_("Refund"), danger=True,
        call=lambda d: refunds.refund(site=request.site, actor=request.user, unit=unit, source=Refund.Source.DEPOSIT, deposit=deposit, **d),
        done=_refunded,
        ask=Ask(Action.REFUND, lambda d: d["amount"], lambda d: _refund_params(unit, Refund.Source.DEPOSIT, d, deposit=deposit.pk)),
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def refund_line(request, pk):
    unit = _unit(request, pk)
    form = RefundLineForm(
        _posted(request), prefix="refund-line", lines=paid_lines(unit),
        initial={"bill_line": request.GET.get("line")},
    )  # fmt: skip
    return _act(
        request, unit, form, title=_("Refund a paid line"), submit=_("Refund"), danger=True,
        call=lambda d: refunds.refund(site=request.site, actor=request.user, unit=unit, source=Refund.Source.LINE, **d),
        done=_refunded,
        ask=Ask(Action.REFUND, lambda d: d["amount"], lambda d: _refund_params(unit, Refund.Source.LINE, d, bill_line=d["bill_line"].pk)),
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def refund_credit(request, pk):
    unit = _unit(request, pk)
    form = RefundCreditForm(_posted(request), prefix="refund-credit", held=credit_by_item(unit))

    def params(data):
        item = data["fee_item"]
        return _refund_params(unit, Refund.Source.CREDIT, data, fee_item=item.pk if item else None)

    return _act(
        request, unit, form, title=_("Refund prepaid credit"), submit=_("Refund"), danger=True,
        call=lambda d: refunds.refund(site=request.site, actor=request.user, unit=unit, source=Refund.Source.CREDIT, **d),
        done=_refunded, ask=Ask(Action.REFUND, lambda d: d["amount"], params),
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def cancel_line(request, pk):
    unit = _unit(request, pk)
    form = CancelLineForm(_posted(request), prefix="cancel", lines=cancellable_lines(unit))
    return _act(
        request, unit, form, title=_("Cancel a line"), submit=_("Cancel the line"), danger=True,
        call=lambda d: services.cancel_bill_line(line=d["bill_line"], actor=request.user, reason=d["reason"]),
        done=lambda line: _("Cancelled %(item)s %(period)s.") % {"item": line.fee_item.name, "period": f"{line.period_start:%Y-%m}"},
        ask=Ask(Action.CANCEL_BILL_LINE, lambda d: d["bill_line"].amount, lambda d: {"bill_line": d["bill_line"].pk}),
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def void_payment(request, pk):
    unit = _unit(request, pk)
    form = VoidPaymentForm(_posted(request), prefix="void", live_payments=live_payments(unit))
    return _act(
        request, unit, form, title=_("Void a payment"), submit=_("Void the payment"), danger=True,
        call=lambda d: payments.void_payment(payment=d["payment"], actor=request.user, reason=d["reason"]),
        done=lambda payment: _("Payment %(number)s voided.") % {"number": payment.receipt.number},
        ask=Ask(Action.VOID_PAYMENT, lambda d: d["payment"].amount, lambda d: {"payment": d["payment"].pk}),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Leases


@site_page
def lease_list(request):
    ensure_can(request.user, "billing.view_lease", request.site)
    found = (
        Lease.objects.of_site(request.site)
        .select_related("unit", "parking_space", "fee_item")
        .order_by("-starts_on", "number")
    )
    context = {"page_obj": paginate(request, found), "today": timezone.localdate()}
    return render(request, "billing/leases.html", context)


@site_page
@require_http_methods(["GET", "POST"])
def lease_sign(request):
    ensure_can(request.user, "billing.add_lease", request.site)
    form = LeaseForm(_posted(request), site=request.site)
    if request.method == "POST":
        lease = submit_form(form, lambda d: leases.sign_lease(site=request.site, actor=request.user, **d))  # fmt: skip
        if lease is not None:
            messages.success(request, _("Lease %(number)s signed.") % {"number": lease.number})
            return redirect("billing:lease", lease.pk)
    return render(request, "billing/lease_form.html", {"form": form}, status=form_status(form))


@site_page
@require_http_methods(["GET", "POST"])
def lease_detail(request, pk):
    ensure_can(request.user, "billing.view_lease", request.site)
    lease = access_object(
        Lease.objects.select_related("unit", "parking_space", "fee_item"),
        request.user, pk, site=request.site,
    )  # fmt: skip
    form = None
    if request.method == "POST":
        ensure_can(request.user, "billing.change_lease", request.site)
        form = TerminateLeaseForm(request.POST)
        ended = submit_form(form, lambda d: leases.terminate_lease(lease=lease, actor=request.user, on=d["on"], reason=d["reason"]))  # fmt: skip
        if ended is not None:
            messages.success(request, _("Lease %(number)s ends on %(day)s.") % {"number": ended.number, "day": f"{ended.terminated_on:%Y-%m-%d}"})  # fmt: skip
            return redirect("billing:lease", lease.pk)
    elif request.user.has_perm("billing.change_lease") and lease.terminated_on is None:
        form = TerminateLeaseForm()
    rent = list(
        payments.with_outstanding(BillLine.objects.filter(lease=lease))
        .select_related("fee_item")
        .order_by("period_start", "id")
    )
    for line in rent:
        line.paid = line.paid.quantize(CENT)
        line.outstanding = ZERO if line.cancelled_at else line.amount - line.paid - line.relief.quantize(CENT)  # fmt: skip
    context = {"lease": lease, "lines": rent, "form": form}
    return render(request, "billing/lease.html", context, status=form_status(form) if form else 200)
