"""Money's kinds of approval request (R-ADM-02): cancelling a bill line, voiding a payment, a
refund, waiving a late fee and granting a vacancy relief, each registered with the approval
engine (`wuye.approvals`) when the app is ready. Each kind checks what is asked for when it is
asked — what the approver will carry out must be there to carry out — and carries it out through
the service that makes the correction directly.

Parameters: {"bill_line": id}; {"payment": id}; for a refund {"unit", "source", "amount",
"method", and "bill_line", "deposit" or "fee_item" as the source needs, "paid_to"}; for a late
fee's waiver {"late_fee", "amount"}; for a vacancy relief {"application": id} (inspected and
found vacant; its amount is the relief the window would bring)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.approvals.kinds import Kind, register
from wuye.core.errors import collecting, invalid
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine
from wuye.staff.models import AuthorityRule

from . import late_fees, payments, refunds, relief, services
from .authority import MAKES
from .models import Deposit, FeeItem, LateFee, Payment, Refund, VacancyApplication

Action = AuthorityRule.Action


def _pk(params: dict, key: str) -> int | None:
    try:
        return int(params.get(key))
    except (TypeError, ValueError):
        return None


def _get(model, site, params: dict, key: str, related: tuple = ()):
    """The object `params[key]` names, of this site only, or the request's field error."""
    found = model.objects.filter(site=site, pk=_pk(params, key)).select_related(*related).first()  # fmt: skip
    if found is None:
        raise invalid("params", _("Name what is to be corrected."), "not_found")
    return found


def _ids(requests, key: str) -> set[int]:
    return {pk for asked in requests if (pk := _pk(asked.params, key)) is not None}


def _period(line: BillLine) -> str:
    return f"{line.fee_item.name} {line.period_start:%Y-%m}"


# ---------------------------------------------------------------------------------------------
# Cancelling a bill line


def _prepare_cancel(site, params):
    line = _get(BillLine, site, params, "bill_line")
    return {"bill_line": line.pk}, line.amount


def _cancel(request, actor):
    line = _get(BillLine, request.site, request.params, "bill_line")
    return services.cancel_bill_line(line=line, actor=actor, reason=request.reason)


def _describe_cancel(site, requests):
    lines = BillLine.objects.of_site(site).select_related("fee_item", "unit").in_bulk(_ids(requests, "bill_line"))  # fmt: skip
    for asked in requests:
        line = lines.get(_pk(asked.params, "bill_line"))
        asked.unit = line.unit if line else None
        asked.parts = [_period(line)] if line else []


# ---------------------------------------------------------------------------------------------
# Voiding a payment


def _prepare_void(site, params):
    payment = _get(Payment, site, params, "payment")
    return {"payment": payment.pk}, payment.amount


def _void(request, actor):
    payment = _get(Payment, request.site, request.params, "payment")
    return payments.void_payment(payment=payment, actor=actor, reason=request.reason)


def _describe_void(site, requests):
    paid = Payment.objects.of_site(site).select_related("unit", "receipt").in_bulk(_ids(requests, "payment"))  # fmt: skip
    for asked in requests:
        payment = paid.get(_pk(asked.params, "payment"))
        asked.unit = payment.unit if payment else None
        if payment:
            asked.parts = [payment.receipt.number, f"{payment.received_at:%Y-%m-%d}", payment.get_method_display()]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Waiving a late fee


def _prepare_waiver(site, params):
    late_fee = _get(LateFee, site, params, "late_fee")
    amount = late_fees.checked_waiver(late_fee, str(params.get("amount", "")))
    return {"late_fee": late_fee.pk, "amount": str(amount)}, amount


def _waive(request, actor):
    late_fee = _get(LateFee, request.site, request.params, "late_fee")
    return late_fees.waive_late_fee(
        late_fee=late_fee, actor=actor, amount=request.params["amount"], reason=request.reason,
        approval=request,
    )  # fmt: skip


def _describe_waiver(site, requests):
    waived = LateFee.objects.of_site(site).select_related("bill_line__fee_item", "bill_line__unit").in_bulk(_ids(requests, "late_fee"))  # fmt: skip
    for asked in requests:
        late_fee = waived.get(_pk(asked.params, "late_fee"))
        asked.unit = late_fee.bill_line.unit if late_fee else None
        asked.parts = [_period(late_fee.bill_line)] if late_fee else []


# ---------------------------------------------------------------------------------------------
# Granting a vacancy relief


def _prepare_relief(site, params):
    """Bounded by the relief the window would bring; what the approver will approve must be
    approvable now."""
    application = _get(VacancyApplication, site, params, "application", ("unit", "site"))
    relief.check_approvable(application)
    amount = relief.estimated_relief(application)
    if amount <= 0:
        raise invalid("params", _("This window brings no relief; approve it at once."), "no_relief")  # fmt: skip
    return {"application": application.pk}, amount


def _grant_relief(request, actor):
    application = _get(VacancyApplication, request.site, request.params, "application", ("unit", "site"))  # fmt: skip
    return relief.decide_vacancy(application=application, actor=actor, approve=True, note=request.reason)  # fmt: skip


def _describe_relief(site, requests):
    vacant = VacancyApplication.objects.of_site(site).select_related("unit", "fee_item").in_bulk(_ids(requests, "application"))  # fmt: skip
    for asked in requests:
        application = vacant.get(_pk(asked.params, "application"))
        asked.unit = application.unit if application else None
        if application:
            asked.parts = [f"{application.starts_on:%Y-%m-%d} – {application.ends_on:%Y-%m-%d}",
                           application.fee_item.name if application.fee_item else ""]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# A refund


def _related(site, params: dict) -> dict:
    """The line, deposit or earmark a refund request names, of this site only."""
    found = {}
    for name, model in (("bill_line", BillLine), ("deposit", Deposit), ("fee_item", FeeItem)):
        value = params.get(name)
        found[name] = model.objects.filter(site=site, pk=value).first() if str(value or "").isdigit() else None  # fmt: skip
        if value not in (None, "") and found[name] is None:
            raise invalid("params", _("Name what is to be corrected."), "not_found")
    return found


def _prepare_refund(site, params):
    """What the approver will refund must be there to refund now."""
    with collecting() as errors:
        money = errors.check(payments.checked_money, params.get("method", ""), params.get("amount"), None)  # fmt: skip
    amount: Decimal = money[0]
    params = {**params, "amount": str(amount)}
    unit = _get(Unit, site, params, "unit")
    refunds.check_available(unit=unit, source=params.get("source", ""), amount=amount, **_related(site, params))  # fmt: skip
    return params, amount


def _refund(request, actor):
    site, params = request.site, request.params
    return refunds.refund(
        site=site, actor=actor, unit=_get(Unit, site, params, "unit"), source=params.get("source", ""),
        amount=params["amount"], method=params.get("method", ""), reason=request.reason,
        paid_to=params.get("paid_to", ""), approval=request, **_related(site, params),
    )  # fmt: skip


def _describe_refund(site, requests):
    lines = BillLine.objects.of_site(site).select_related("fee_item").in_bulk(_ids(requests, "bill_line"))  # fmt: skip
    units = Unit.objects.of_site(site).in_bulk(_ids(requests, "unit"))
    held = Deposit.objects.of_site(site).select_related("fee_item").in_bulk(_ids(requests, "deposit"))  # fmt: skip
    items = FeeItem.objects.of_site(site).in_bulk(_ids(requests, "fee_item"))
    methods, sources = dict(Payment.Method.choices), dict(Refund.Source.choices)
    for asked in requests:
        params = asked.params
        asked.unit = units.get(_pk(params, "unit"))
        parts = [sources.get(params.get("source"), "")]
        line = lines.get(_pk(params, "bill_line"))
        if line:
            parts.append(_period(line))
        deposit = held.get(_pk(params, "deposit"))
        if deposit:
            parts.append(deposit.fee_item.name)
        item = items.get(_pk(params, "fee_item"))
        if item:
            parts.append(item.name)
        parts.append(methods.get(params.get("method"), ""))
        if params.get("paid_to"):
            parts.append(_("to %(whom)s") % {"whom": params["paid_to"]})
        asked.parts = parts


def _linked(describe):
    """`describe`, and each request's unit linked to its account page."""

    def described(site, requests):
        describe(site, requests)
        for asked in requests:
            asked.link = (
                reverse("billing:unit_account", args=[asked.unit.pk]) if asked.unit else None
            )

    return described


# The refusal of each beyond the actor's authority (R-ADM-02), naming who may approve it.
REFUSALS = {
    Action.CANCEL_BILL_LINE: gettext_lazy("Cancelling %(amount)s is beyond your authority; %(who)s may approve it."),
    Action.VOID_PAYMENT: gettext_lazy("Voiding %(amount)s is beyond your authority; %(who)s may approve it."),
    Action.REFUND: gettext_lazy("Refunding %(amount)s is beyond your authority; %(who)s may approve it."),
    Action.WAIVE_LATE_FEE: gettext_lazy("Waiving %(amount)s of a late fee is beyond your authority; %(who)s may approve it."),
    Action.RELIEF: gettext_lazy("Granting %(amount)s of relief is beyond your authority; %(who)s may approve it."),
}  # fmt: skip


def register_kinds() -> None:
    for action, prepare, carry_out, describe in (
        (Action.CANCEL_BILL_LINE, _prepare_cancel, _cancel, _describe_cancel),
        (Action.VOID_PAYMENT, _prepare_void, _void, _describe_void),
        (Action.REFUND, _prepare_refund, _refund, _describe_refund),
        (Action.WAIVE_LATE_FEE, _prepare_waiver, _waive, _describe_waiver),
        (Action.RELIEF, _prepare_relief, _grant_relief, _describe_relief),
    ):
        register(
            Kind(
                action,
                prepare,
                carry_out,
                _linked(describe),
                makes=MAKES[action],
                refusal=REFUSALS[action],
            )
        )
