"""The finance pages: fee items and their rates, bill runs started as background jobs with
progress, a run's totals by fee item and its reversal. Each view checks the role, reads through
the scoping helpers and hands a valid form to a service; what the service refuses is shown
beside the field it concerns, with status 400."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from wuye.core.audit import history
from wuye.core.jobs import with_live_progress
from wuye.core.listing import paginate
from wuye.core.models import AuditEntry, Job
from wuye.core.money import format_yuan_precise
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.ledger.models import BillLine

from . import bill_runs, services
from .finance_forms import (
    EndRateForm,
    FeeItemForm,
    RateForm,
    ReverseRunForm,
    RunBillsForm,
    rate_text,
)
from .jobs import JOB_KIND, start_bill_run
from .models import BillRun, FeeItem
from .money import CENT

# ---------------------------------------------------------------------------------------------
# Fee items and rates


@site_page
def fee_item_list(request):
    ensure_can(request.user, "billing.view_feeitem", request.site)
    today = timezone.localdate()
    in_force = Q(rates__valid_from__lte=today) & (
        Q(rates__valid_to__isnull=True) | Q(rates__valid_to__gte=today)
    )
    items = FeeItem.objects.of_site(request.site).annotate(
        current_rates=Count("rates", filter=in_force)
    )
    return render(request, "billing/finance_fee_items.html", {"items": items})


@site_page
@require_http_methods(["GET", "POST"])
def fee_item_create(request):
    ensure_can(request.user, "billing.add_feeitem", request.site)
    form = FeeItemForm(request.POST or None)
    if request.method == "POST":
        item = submit_form(
            form,
            lambda data: services.save_fee_item(site=request.site, actor=request.user, **data),
        )
        if item is not None:
            messages.success(request, _("Fee item %(name)s saved.") % {"name": item.name})
            return redirect("billing:fee_item", item.pk)
    return _fee_item_form(request, form, None, _("New fee item"))


@site_page
@require_http_methods(["GET", "POST"])
def fee_item_edit(request, pk):
    ensure_can(request.user, "billing.change_feeitem", request.site)
    item = access_object(FeeItem, request.user, pk, site=request.site)
    form = FeeItemForm(request.POST or None, instance=item)
    name = item.name  # the service sets the new values on the item before it checks them
    if request.method == "POST":
        saved = submit_form(
            form,
            lambda data: services.save_fee_item(
                site=request.site, actor=request.user, item=item, **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Fee item %(name)s saved.") % {"name": saved.name})
            return redirect("billing:fee_item", saved.pk)
    return _fee_item_form(request, form, item, _("Edit %(name)s") % {"name": name})


def _fee_item_form(request, form, item: FeeItem | None, title: str) -> HttpResponse:
    context = {"form": form, "item": item, "title": title}
    return render(request, "billing/finance_fee_item_form.html", context, status=form_status(form))


@site_page
@require_http_methods(["GET", "POST"])
def fee_item_detail(request, pk):
    """The item, its rates (add one; end one) and its change history."""
    ensure_can(request.user, "billing.view_feeitem", request.site)
    item = access_object(FeeItem, request.user, pk, site=request.site)
    today = timezone.localdate()
    rate_form = RateForm(None, fee_item=item)
    end_form = EndRateForm(None, fee_item=item, today=today)
    failed = None
    if request.method == "POST" and request.POST.get("action") == "end_rate":
        ensure_can(request.user, "billing.change_rate", request.site)
        end_form = EndRateForm(request.POST, fee_item=item, today=today)
        ended = submit_form(
            end_form,
            lambda data: services.end_rate(
                rate=data["rate"], actor=request.user, valid_to=data["valid_to"]
            ),
        )
        if ended is not None:
            messages.success(
                request, _("The rate now ends on %(day)s.") % {"day": f"{ended.valid_to:%Y-%m-%d}"}
            )
            return redirect("billing:fee_item", item.pk)
        failed = end_form
    elif request.method == "POST":
        ensure_can(request.user, "billing.add_rate", request.site)
        rate_form = RateForm(request.POST, fee_item=item)
        rate = submit_form(
            rate_form,
            lambda _data: services.set_rate(
                fee_item=item, actor=request.user, **rate_form.rate_fields()
            ),
        )
        if rate is not None:
            messages.success(
                request,
                _("Rate of %(amount)s added.") % {"amount": format_yuan_precise(rate.amount)},
            )
            return redirect("billing:fee_item", item.pk)
        failed = rate_form
    rates = list(
        item.rates.select_related("building").order_by("unit_use", "building__code", "valid_from")
    )
    for rate in rates:
        rate.status = _rate_status(rate, today)
        rate.amount_text = rate_text(rate.amount)
    context = {
        "item": item,
        "rates": rates,
        "rate_form": rate_form,
        "end_form": end_form,
        "metered": item.method == FeeItem.Method.METER,
        "paid_service": item.kind == FeeItem.Kind.SERVICE and not item.is_cyclic,
        "rent": item.method == FeeItem.Method.RENT,
        "by_scope": item.method != FeeItem.Method.PER_PARKING,
        "audit_entries": history(item)[:20],
    }
    status = 400 if failed is not None else 200
    return render(request, "billing/finance_fee_item.html", context, status=status)


@site_page
@require_POST
def post_paid_services(request, pk):
    """Post the service desk's finished paid jobs (R-REP-03) as charges of this service item."""
    ensure_can(request.user, "ledger.add_billline", request.site)
    item = access_object(FeeItem, request.user, pk, site=request.site)
    try:
        posted = services.post_paid_services(site=request.site, actor=request.user, fee_item=item)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, ngettext(
            "%(count)s paid job posted as a charge.", "%(count)s paid jobs posted as charges.", posted
        ) % {"count": posted} if posted else _("No finished paid job waits to be charged."))  # fmt: skip
    return redirect("billing:fee_item", item.pk)


def _rate_status(rate, today) -> str:
    if rate.valid_from > today:
        return "future"
    if rate.valid_to and rate.valid_to < today:
        return "ended"
    return "current"


# ---------------------------------------------------------------------------------------------
# Bill runs


@site_page
@require_http_methods(["GET", "POST"])
def run_list(request):
    """The site's runs, newest period first; the form starts a run as a background job, whose
    progress (and then result) shows above the list."""
    ensure_can(request.user, "billing.view_billrun", request.site)
    form = RunBillsForm(request.POST or None, initial={"month": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST":
        ensure_can(request.user, "billing.run_bills", request.site)
        job = submit_form(
            form,
            lambda data: start_bill_run(site=request.site, actor=request.user, month=data["month"]),
        )
        if job is not None:
            return redirect(f"{reverse('billing:runs')}?job={job.pk}")
    job = None
    if request.GET.get("job", "").isdigit():
        job = _job(request, int(request.GET["job"]))
    runs = BillRun.objects.of_site(request.site).select_related("started_by")
    context = {
        "form": form,
        "job": job,
        "poll_url": reverse("billing:run_job", args=[job.pk]) if job else "",
        "page_obj": paginate(request, runs),
    }
    return render(request, "billing/runs.html", context, status=form_status(form))


def _job(request, pk: int) -> Job:
    return with_live_progress(get_object_or_404(Job, pk=pk, site=request.site, kind=JOB_KIND))


@site_page
def run_job(request, pk):
    """The run job's panel, polled by the runs page while it runs. When it finishes the page
    reloads once, so the list shows the new run."""
    ensure_can(request.user, "billing.view_billrun", request.site)
    job = _job(request, pk)
    if not request.htmx:
        return redirect(f"{reverse('billing:runs')}?job={job.pk}")
    context = {"job": job, "poll_url": reverse("billing:run_job", args=[job.pk])}
    response = render(request, "billing/run_job.html", context)
    if job.state in (Job.State.DONE, Job.State.FAILED):
        response["HX-Refresh"] = "true"
    return response


@site_page
@require_http_methods(["GET", "POST"])
def run_detail(request, pk):
    """A run: what it posted by fee item, and its reversal (with a reason)."""
    ensure_can(request.user, "billing.view_billrun", request.site)
    run = access_object(
        BillRun.objects.select_related("started_by"), request.user, pk, site=request.site
    )
    form = ReverseRunForm(request.POST or None)
    if request.method == "POST":
        ensure_can(request.user, "billing.run_bills", request.site)
        reversed_ = submit_form(
            form,
            lambda data: bill_runs.reverse_run(run=run, actor=request.user, reason=data["reason"]),
        )
        if reversed_ is not None:
            messages.success(request, _("The run is reversed; its lines are cancelled."))
            return redirect("billing:run", run.pk)
    totals = [
        {**row, "total": Decimal(row["total"] or 0).quantize(CENT)}
        for row in BillLine.objects.filter(run=run)
        .values("fee_item", "fee_item__code", "fee_item__name")
        .annotate(lines=Count("id"), total=Sum("amount"))
        .order_by("fee_item__code")
    ]
    reversal = None
    if run.state == BillRun.State.REVERSED:
        reversal = history(run).filter(action=AuditEntry.Action.ACTION).first()
    context = {"run": run, "totals": totals, "form": form, "reversal": reversal}
    return render(request, "billing/run_detail.html", context, status=form_status(form))
