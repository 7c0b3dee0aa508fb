"""Late-fee pages (R-FEE-04): a fee item's rule, the site's late fees (accruing and posted)
with filters and .xlsx export, a waiver — beyond the actor's authority, offered as an approval
request to the person who may approve it, as the unit account's corrections are — and "post
now" at the counter."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.money import format_yuan
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.core.spreadsheets import build_workbook, xlsx_response
from wuye.estate.models import Building

from . import late_fee_queries, late_fees
from .authority import ASK
from .late_fee_forms import LateFeeRuleForm, WaiveForm
from .late_fee_queries import Filters
from .models import FeeItem, LateFee
from .money import CENT, ZERO

SUM = DecimalField(max_digits=16, decimal_places=4)


def _back(request, fallback: str):
    """Back where the form came from (a page of this site), else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@site_page
def late_fee_list(request):
    ensure_can(request.user, "billing.view_latefee", request.site)
    filters = Filters.from_params(request.GET)
    lines = late_fee_queries.principals(request.site, filters)
    if wants_export(request):
        headers = [_("Unit"), _("Building"), _("Fee item"), _("Period"), _("Due"), _("Principal (yuan)"),
                   _("Outstanding (yuan)"), _("Days overdue"), _("Accrued (yuan)"), _("Waived (yuan)"),
                   _("To post (yuan)"), _("Posted (yuan)"), _("State")]  # fmt: skip
        table = [
            [r.principal.unit.code, r.principal.unit.building.name, r.principal.fee_item.name,
             f"{r.principal.period_start:%Y-%m}", r.principal.due_date, r.principal.amount, r.outstanding,
             r.days_overdue, r.late_fee.accrued, r.late_fee.waived, r.to_post,
             r.late_fee.charge_line.amount if r.late_fee.charge_line else "", r.state_label]
            for r in map(late_fee_queries.row, lines.iterator(chunk_size=2000))
        ]  # fmt: skip
        name = _("late-fees-%(day)s.xlsx") % {"day": timezone.localdate().isoformat()}
        money = [5, 6, 8, 9, 10, 11]  # principal, outstanding, accrued, waived, to post, posted
        return xlsx_response(name, build_workbook(_("Late fees"), headers, table, money=money))
    zero = Value(ZERO, output_field=SUM)
    totals = lines.order_by().aggregate(
        count=Count("pk"),
        accrued=Coalesce(Sum("late_fee__accrued", output_field=SUM), zero),
        waived=Coalesce(Sum("late_fee__waived", output_field=SUM), zero),
    )
    page_obj = paginate(request, lines)
    context = {
        "filters": filters,
        "states": [(key, label) for key, label in late_fee_queries.STATES.items()],
        "totals": {k: v.quantize(CENT) if k != "count" else v for k, v in totals.items()},
        "buildings": Building.objects.of_site(request.site).order_by("code"),
        "items": FeeItem.objects.of_site(request.site).filter(late_fee_rule__isnull=False),
        "page_obj": page_obj,
        "rows": late_fee_queries.rows(page_obj.object_list),
        "query": query_without_page(request),
    }
    return render(request, "billing/late_fees.html", context)


def _late_fee(request, pk) -> LateFee:
    ensure_can(request.user, "billing.view_latefee", request.site)
    return access_object(
        LateFee.objects.select_related("bill_line__fee_item", "bill_line__unit__building", "site"),
        request.user, pk, site=request.site,
    )  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def waive(request, pk):
    """GET: the waiver form. POST: waive; beyond authority, the refusal with a button that asks
    the approver (the unit account's approval page and flow); with `ask`, the request."""
    late_fee = _late_fee(request, pk)
    form = WaiveForm(
        request.POST if request.method == "POST" else None,
        initial={"amount": late_fees.waivable(late_fee)},
    )
    beyond = None
    if request.method == "POST" and request.POST.get("ask"):
        asked = submit_form(form, lambda d: approvals.request_approval(
            site=request.site, actor=request.user, action=ApprovalRequest.Action.WAIVE_LATE_FEE,
            params={"late_fee": late_fee.pk, "amount": str(d["amount"])}, reason=d["reason"],
        ))  # fmt: skip
        if asked is not None:
            messages.success(request, _("Asked %(who)s to approve: %(what)s of %(amount)s.") % {
                "who": asked.approver_name or _("the company"), "what": asked.get_action_display(),
                "amount": format_yuan(asked.amount)})  # fmt: skip
            return _back(request, "billing:late_fees")
    elif request.method == "POST":
        try:
            waiver = submit_form(form, lambda d: late_fees.waive_late_fee(
                late_fee=late_fee, actor=request.user, amount=d["amount"], reason=d["reason"]))  # fmt: skip
        except BeyondAuthority as exc:
            beyond, waiver = exc, None
        if waiver is not None:
            messages.success(request, _("Waived %(amount)s of the late fee.") % {"amount": format_yuan(waiver.amount)})  # fmt: skip
            return _back(request, "billing:late_fees")
    principal = late_fee.bill_line
    title = _("Waive the late fee on %(item)s %(period)s") % {
        "item": principal.fee_item.name, "period": f"{principal.period_start:%Y-%m}"}  # fmt: skip
    context = {
        "unit": principal.unit, "form": form, "title": title, "submit": _("Waive"), "beyond": beyond,
        "may_ask": request.user.has_perm(ASK), "danger": True,
    }  # fmt: skip
    status = 403 if beyond else form_status(form)
    return render(request, "billing/approval_action.html", context, status=status)


@site_page
@require_POST
def post_now(request, pk):
    """Charge one late fee now (the resident settles at the counter)."""
    late_fee = _late_fee(request, pk)
    try:
        line = late_fees.post_late_fee(late_fee=late_fee, actor=request.user)
    except ValidationError as exc:  # a refusal: shown, nothing posted
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Late fee of %(amount)s charged.") % {"amount": format_yuan(line.amount)}
        )
    return _back(request, "billing:late_fees")


@site_page
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk):
    """A fee item's late-fee rule, set or changed."""
    ensure_can(request.user, late_fees.RULE_PERM, request.site)
    item = access_object(FeeItem, request.user, pk, site=request.site)
    current = late_fees.rule_of(item)
    initial = (
        {"basis": current.basis, "rate_percent": current.rate_percent, "grace_days": current.grace_days,
         "cap_percent": current.cap_percent, "is_active": current.is_active}
        if current else {"basis": "daily", "grace_days": 0, "is_active": True}
    )  # fmt: skip
    form = LateFeeRuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        saved = submit_form(form, lambda d: late_fees.save_late_fee_rule(fee_item=item, actor=request.user, **d))  # fmt: skip
        if saved is not None:
            messages.success(
                request, _("The late-fee rule of %(name)s is saved.") % {"name": item.name}
            )
            return redirect("billing:fee_item", item.pk)
    context = {"item": item, "form": form, "rule": current}
    return render(request, "billing/late_fee_rule_form.html", context, status=form_status(form))
