"""Relief pages (docs/collections.md, Relief): the site's rules (finance sets and ends them),
vacancy applications through their steps (a clerk applies, an engineer or clerk records the
inspection, the centre head or finance decides), paying months ahead at the counter, and cancelling
a relief entry from the unit account."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wuye.approvals import queries as approval_queries
from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.core.listing import paginate, query_without_page
from wuye.core.money import format_yuan
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.estate.models import Unit

from . import figures, relief, relief_versions
from .authority import ASK
from .models import ReliefEntry, ReliefRule, VacancyApplication
from .relief_forms import (
    ApplicationForm,
    CancelReliefForm,
    CorrectRuleForm,
    DecisionForm,
    EndRuleForm,
    InspectionForm,
    PayAheadForm,
    RuleForm,
)  # fmt: skip

State = VacancyApplication.State


@site_page
@require_http_methods(["GET", "POST"])
def rule_list(request):
    """The site's relief rules; finance makes one with the form beside them."""
    ensure_can(request.user, "billing.view_reliefrule", request.site)
    may_add = request.user.has_perm(relief.RULE_PERM)
    form = RuleForm(request.POST if request.method == "POST" else None, site=request.site) if may_add else None  # fmt: skip
    if request.method == "POST":
        ensure_can(request.user, relief.RULE_PERM, request.site)
        made = submit_form(
            form, lambda d: relief.save_rule(site=request.site, actor=request.user, **d)
        )
        if made is not None:
            messages.success(
                request, _("The relief rule “%(name)s” is saved.") % {"name": made.name}
            )
            return redirect("billing:relief_rules")
    rules = ReliefRule.objects.of_site(request.site).select_related("fee_item", "building")
    context = {
        "rules": rules.order_by("-is_active", "-valid_from", "name"),
        "form": form,
        "today": figures.local_day(request.site),
        "may_end": request.user.has_perm(relief.END_PERM),
        "end_form": EndRuleForm(),
    }
    status = form_status(form) if form is not None else 200
    return render(request, "billing/relief_rules.html", context, status=status)


@site_page
@require_POST
def end_rule(request, pk):
    ensure_can(request.user, relief.END_PERM, request.site)
    rule = access_object(ReliefRule, request.user, pk, site=request.site)
    form = EndRuleForm(request.POST)
    if form.is_valid():
        try:
            relief.end_rule(rule=rule, actor=request.user, ends_on=form.cleaned_data["ends_on"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The relief rule “%(name)s” is ended.") % {"name": rule.name})  # fmt: skip
    return redirect("billing:relief_rules")


@site_page
@require_http_methods(["GET", "POST"])
def rule_detail(request, pk):
    """A rule's versions, the first first, with what each granted; finance corrects the latest
    from a month on (the old version ends, what it granted stays)."""
    ensure_can(request.user, "billing.view_reliefrule", request.site)
    rule = access_object(ReliefRule.objects.select_related("fee_item", "building"), request.user, pk, site=request.site)  # fmt: skip
    found = relief_versions.versions(rule)
    latest = found[-1]
    may_correct = request.user.has_perm(relief.RULE_PERM) and request.user.has_perm(relief.END_PERM) and latest.is_active  # fmt: skip
    form = CorrectRuleForm(request.POST if request.method == "POST" else None, rule=latest) if may_correct else None  # fmt: skip
    if request.method == "POST":
        ensure_can(request.user, relief.END_PERM, request.site)
        made = submit_form(form, lambda d: relief_versions.correct_rule(rule=latest, actor=request.user, **d)) if form else None  # fmt: skip
        if made is not None:
            messages.success(request, _("“%(name)s” is corrected from %(day)s: version %(n)s.") % {
                "name": made.name, "day": made.valid_from, "n": made.version})  # fmt: skip
            return redirect("billing:relief_rule", made.pk)
    granted = {
        row["rule"]: row
        for row in ReliefEntry.objects.filter(rule__in=found, cancelled_at__isnull=True)
        .values("rule").annotate(count=Count("id"), total=Sum("amount")).order_by()
    }  # fmt: skip
    for version in found:
        version.granted = granted.get(version.pk, {"count": 0, "total": None})
    context = {"rule": latest, "versions": found, "form": form, "today": figures.local_day(request.site)}  # fmt: skip
    return render(request, "billing/relief_rule.html", context, status=form_status(form) if form is not None else 200)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Vacancy applications


@site_page
@require_http_methods(["GET", "POST"])
def vacancy_list(request):
    """Applications by state; a clerk applies for a unit with the form beside them."""
    ensure_can(request.user, "billing.view_vacancyapplication", request.site)
    may_apply = request.user.has_perm(relief.APPLY_PERM)
    form = ApplicationForm(request.POST if request.method == "POST" else None, site=request.site) if may_apply else None  # fmt: skip
    if request.method == "POST":
        ensure_can(request.user, relief.APPLY_PERM, request.site)
        made = submit_form(form, lambda d: relief.apply_for_vacancy(site=request.site, actor=request.user, **d))  # fmt: skip
        if made is not None:
            messages.success(request, _("Applied for vacancy relief for %(unit)s.") % {"unit": made.unit.code})  # fmt: skip
            return redirect("billing:vacancy_application", made.pk)
    state = request.GET.get("state", "")
    state = state if state in State.values else ""
    found = relief.applications_of(request.site, state=state)
    page_obj = paginate(request, found)
    context = {
        "state": state,
        "states": State.choices,
        "page_obj": page_obj,
        "applications": page_obj.object_list,
        "query": query_without_page(request),
        "form": form,
    }
    status = form_status(form) if form is not None else 200
    return render(request, "billing/relief_vacancy.html", context, status=status)


@site_page
@require_http_methods(["GET", "POST"])
def vacancy_application(request, pk):
    """One application and the step it waits for: the inspection, then the decision."""
    ensure_can(request.user, "billing.view_vacancyapplication", request.site)
    application = access_object(
        VacancyApplication.objects.select_related("unit__building", "fee_item", "applied_by", "inspected_by", "decided_by"),
        request.user, pk, site=request.site,
    )  # fmt: skip
    step = request.POST.get("step") if request.method == "POST" else None
    inspection = InspectionForm(request.POST if step == "inspect" else None, prefix="inspect")
    decision = DecisionForm(request.POST if step in ("decide", "ask") else None, prefix="decide")
    beyond = None
    if step == "ask":  # beyond the relief authority (R-ADM-02): ask who may approve it
        asked = submit_form(decision, lambda d: approvals.request_approval(
            site=request.site, actor=request.user, action=ApprovalRequest.Action.RELIEF,
            params={"application": application.pk}, reason=d["note"] or application.reason,
        ))  # fmt: skip
        if asked is not None:
            messages.success(request, _("Asked %(who)s to approve: %(what)s of %(amount)s.") % {
                "who": asked.approver_name or _("the company"), "what": asked.get_action_display(),
                "amount": format_yuan(asked.amount)})  # fmt: skip
            return redirect("billing:vacancy_application", application.pk)
    elif step == "inspect":
        done = submit_form(inspection, lambda d: relief.record_inspection(application=application, actor=request.user, **d))  # fmt: skip
        if done is not None:
            messages.success(request, _("The inspection is recorded."))
            return redirect("billing:vacancy_application", application.pk)
    elif step == "decide":
        try:
            done = submit_form(decision, lambda d: relief.decide_vacancy(application=application, actor=request.user, **d))  # fmt: skip
        except BeyondAuthority as exc:
            beyond, done = exc, None
        if done is not None:
            messages.success(request, _("The application is %(state)s.") % {"state": done.get_state_display()})  # fmt: skip
            return redirect("billing:vacancy_application", application.pk)
    user, waiting = request.user, application.state in (State.APPLIED, State.INSPECTED)
    entries = application.entries.select_related("bill_line__fee_item")
    context = {
        "application": application,
        "entries": entries.order_by("bill_line__period_start"),
        "estimate": relief.estimated_relief(application) if waiting else None,
        "inspection": inspection
        if application.state == State.APPLIED and user.has_perm(relief.INSPECT_PERM)
        else None,
        "decision": decision if waiting and user.has_perm(relief.APPROVE_PERM) else None,
        "beyond": beyond,
        "may_ask": user.has_perm(ASK),
        "asked": approval_queries.pending(request.site).filter(action=ApprovalRequest.Action.RELIEF, params__application=application.pk).first() if waiting else None,
    }  # fmt: skip
    bad = (step == "inspect" and inspection.errors) or (
        step in ("decide", "ask") and decision.errors
    )
    return render(request, "billing/relief_application.html", context, status=403 if beyond else 400 if bad else 200)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# At the counter


def _unit(request, pk) -> Unit:
    ensure_can(request.user, "ledger.view_billline", request.site)
    return access_object(Unit.objects.select_related("building"), request.user, pk, site=request.site)  # fmt: skip


def offers_for(unit: Unit):
    """The pay-ahead offers in use today for the unit's building (or the whole site)."""
    today = figures.local_day(unit.site_id)
    rules = relief.rules_in_use(unit.site_id, (ReliefRule.Kind.DISCOUNT, ReliefRule.Kind.GIFT_MONTHS), on=today)  # fmt: skip
    return rules.filter(months_ahead__isnull=False).filter(Q(building__isnull=True) | Q(building_id=unit.building_id))  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def pay_ahead(request, pk):
    """预交优惠: the unit pays months of a fee item ahead by an offer; each offer shows its
    months, relief and price first."""
    unit = _unit(request, pk)
    ensure_can(request.user, relief.PAY_PERM, request.site)
    rules = offers_for(unit)
    form = PayAheadForm(
        request.POST if request.method == "POST" else None, rules=rules,
        initial={"idempotency_key": uuid.uuid4().hex},
    )  # fmt: skip
    if request.method == "POST":
        done = submit_form(form, lambda d: relief.pay_ahead(
            site=request.site, actor=request.user, unit=unit, rule=d["rule"], method=d["method"],
            tendered=d["tendered"], payer=d["payer"], idempotency_key=d["idempotency_key"],
        ))  # fmt: skip
        if done is not None:
            messages.success(request, _("Paid ahead %(months)s months; relief %(relief)s, received %(paid)s.") % {
                "months": len(done.lines), "relief": format_yuan(done.relief), "paid": format_yuan(done.to_pay)})  # fmt: skip
            return redirect("billing:unit_account", unit.pk)
    quotes = []
    for rule in rules:
        try:
            quotes.append((rule, relief.quote_ahead(rule=rule, unit=unit), None))
        except ValidationError as exc:
            quotes.append((rule, None, " ".join(exc.messages)))
    context = {"unit": unit, "form": form, "quotes": quotes}
    return render(request, "billing/relief_pay_ahead.html", context, status=form_status(form))


@site_page
@require_http_methods(["GET", "POST"])
def cancel_entry(request, pk):
    """Cancel one relief entry: its amount is owed again (authority as cancelling a line)."""
    ensure_can(request.user, relief.CANCEL_PERM, request.site)
    entry = access_object(
        ReliefEntry.objects.select_related("bill_line__fee_item", "unit__building"), request.user, pk, site=request.site
    )  # fmt: skip
    form = CancelReliefForm(request.POST if request.method == "POST" else None)
    beyond = None
    if request.method == "POST":
        try:
            done = submit_form(form, lambda d: relief.cancel_relief(entry=entry, actor=request.user, reason=d["reason"]))  # fmt: skip
        except BeyondAuthority as exc:
            beyond, done = exc, None
        if done is not None:
            messages.success(request, _("The relief of %(amount)s is cancelled; it is owed again.") % {"amount": format_yuan(done.amount)})  # fmt: skip
            return redirect("billing:unit_account", entry.unit_id)
    title = _("Cancel relief on %(item)s %(period)s (%(amount)s)") % {
        "item": entry.bill_line.fee_item.name, "period": f"{entry.bill_line.period_start:%Y-%m}", "amount": format_yuan(entry.amount)}  # fmt: skip
    context = {"unit": entry.unit, "form": form, "title": title, "submit": _("Cancel the relief"), "beyond": beyond, "may_ask": False, "danger": True}  # fmt: skip
    return render(request, "billing/approval_action.html", context, status=403 if beyond else form_status(form))  # fmt: skip
