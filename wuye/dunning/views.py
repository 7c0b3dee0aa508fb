"""The dunning pages (R-FEE-03): a unit's notices, deliveries and chasing log; a building's
notices in bulk, printed as one PDF and marked delivered in one step; the promises to chase;
and the notices' layout with a preview. Thin: each POST calls a service, and a refusal is shown
on the page beside its field (status 400)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wuye.billing.money import ZERO
from wuye.core.jobs import with_live_progress
from wuye.core.listing import paginate, query_without_page
from wuye.core.models import Job
from wuye.core.money import format_yuan
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.estate.models import Building, Unit

from . import layouts, pdf, queries, services
from .forms import BuildingNoticesForm, ChasingForm, DeliveryForm, IssueNoticeForm, LayoutForm
from .jobs import JOB_KIND, start_building_notices
from .models import Notice, NoticeBatch, NoticeDelivery, NoticeKind


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# ---------------------------------------------------------------------------------------------
# Notices: the site's latest, and finding a unit


@site_page
@require_GET
def notice_list(request):
    """The site's notices, newest first; a box to open a unit's page by its code."""
    ensure_can(request.user, "dunning.view_notice", request.site)
    code = request.GET.get("unit", "").strip()
    if code:
        unit = Unit.objects.of_site(request.site).filter(code__iexact=code).first()
        if unit is not None:
            return redirect("dunning:unit", unit.pk)
        messages.error(request, _("No unit %(code)s at this site.") % {"code": code})
    notices = Notice.objects.of_site(request.site).select_related("unit", "issued_by")
    kind = request.GET.get("kind", "")
    if kind in NoticeKind.values:
        notices = notices.filter(kind=kind)
    context = {
        "code": code, "kind": kind, "kinds": NoticeKind.choices,
        "page_obj": paginate(request, notices), "query": query_without_page(request),
    }  # fmt: skip
    return render(request, "dunning/notices.html", context)


# ---------------------------------------------------------------------------------------------
# A unit


def _unit(request, pk) -> Unit:
    ensure_can(request.user, "dunning.view_notice", request.site)
    return access_object(Unit.objects.select_related("building"), request.user, pk, site=request.site)  # fmt: skip


def _unit_page(request, unit: Unit, *, issue=None, chase=None, delivery=None, failed_notice=None):
    today = services.site_today(request.site)
    rows = services.lines_by_unit(request.site, today, kind=NoticeKind.FEE, units=[unit.pk])[unit.pk]  # fmt: skip
    overdue = [r for r in rows if r["days_overdue"] > 0]
    forms = [issue, chase, delivery]
    context = {
        "unit": unit,
        "owner": services.owners_of([unit.pk]).get(unit.pk, ""),
        "lines": rows,
        "open_total": sum((Decimal(r["owed"]) for r in rows), ZERO),
        "overdue_total": sum((Decimal(r["owed"]) for r in overdue), ZERO),
        "notices": queries.notices_of_unit(request.site, unit.pk),
        "entries": queries.chasing_log(request.site, unit.pk),
        "states": queries.PROMISE_STATES,
        "issue_form": issue or IssueNoticeForm(),
        "chase_form": chase or ChasingForm(prefix="chase"),
        "delivery_form": delivery or DeliveryForm(),
        "failed_notice": failed_notice,
        "channels": NoticeDelivery.Channel.choices,
    }
    status = 400 if any(f is not None and f.is_bound and f.errors for f in forms) else 200
    return render(request, "dunning/unit.html", context, status=status)


@site_page
@require_GET
def unit_page(request, pk):
    return _unit_page(request, _unit(request, pk))


@site_page
@require_POST
def issue_notice(request, pk):
    unit = _unit(request, pk)
    form = IssueNoticeForm(request.POST)
    notice = submit_form(
        form,
        lambda d: services.issue_notice(
            site=request.site, actor=request.user, unit=unit, kind=d["kind"]
        ),
    )
    if notice is None:
        return _unit_page(request, unit, issue=form)
    messages.success(
        request,
        _("%(title)s %(number)s issued: %(total)s.")
        % {
            "title": notice.get_kind_display(),
            "number": notice.number,
            "total": format_yuan(notice.total),
        },
    )
    return redirect(f"{reverse('dunning:unit', args=[unit.pk])}#notice-{notice.pk}")


@site_page
@require_POST
def record_chasing(request, pk):
    unit = _unit(request, pk)
    form = ChasingForm(request.POST, prefix="chase")
    entry = submit_form(
        form,
        lambda d: services.record_chasing(
            site=request.site, actor=request.user, unit=unit, kind=d["kind"], note=d["note"],
            promised_amount=d["promised_amount"], promised_by=d["promised_by"],
        ),
    )  # fmt: skip
    if entry is None:
        return _unit_page(request, unit, chase=form)
    messages.success(request, _("Recorded in the chasing log."))
    return redirect(f"{reverse('dunning:unit', args=[unit.pk])}#chasing")


def _notice(request, pk) -> Notice:
    ensure_can(request.user, "dunning.view_notice", request.site)
    return access_object(
        Notice.objects.select_related("site", "unit__building"), request.user, pk, site=request.site
    )


@site_page
@require_GET
def notice_pdf(request, pk):
    """The notice as it was issued, drawn again from its snapshot."""
    notice = _notice(request, pk)
    return _pdf(pdf.render([notice], title=notice.number), f"{notice.number}.pdf")


@site_page
@require_POST
def record_delivery(request, pk):
    notice = _notice(request, pk)
    form = DeliveryForm(request.POST)
    rows = submit_form(
        form,
        lambda d: services.record_delivery(notice=notice, actor=request.user, channel=d["channel"]),
    )
    if rows is None:
        return _unit_page(request, notice.unit, delivery=form, failed_notice=notice.pk)
    failed = [r for r in rows if r.outcome == NoticeDelivery.Outcome.FAILED]
    if failed:
        messages.error(
            request,
            _("%(notice)s: %(failed)s of %(count)s not sent — %(error)s")
            % {"notice": notice.number, "failed": len(failed), "count": len(rows),
               "error": failed[0].error},
        )  # fmt: skip
    else:
        messages.success(
            request,
            _("%(notice)s recorded as %(channel)s.")
            % {"notice": notice.number, "channel": rows[0].get_channel_display()},
        )
    return redirect(f"{reverse('dunning:unit', args=[notice.unit_id])}#notice-{notice.pk}")


# ---------------------------------------------------------------------------------------------
# A building's notices in bulk


def _job(request, pk: int) -> Job:
    return with_live_progress(get_object_or_404(Job, pk=pk, site=request.site, kind=JOB_KIND))


def _batch_of(job: Job) -> NoticeBatch | None:
    batch_id = (job.result or {}).get("batch")
    if job.state != Job.State.DONE or not batch_id:
        return None
    return NoticeBatch.objects.of_site(job.site_id).filter(pk=batch_id).select_related("delivered_by").first()  # fmt: skip


@site_page
@require_http_methods(["GET", "POST"])
def building_notices(request):
    """Pick a building and a kind of notice; the notices are issued as a job whose progress,
    then result — the combined PDF and the "delivered" step — show on this page."""
    ensure_can(request.user, "dunning.view_notice", request.site)
    form = BuildingNoticesForm(request.POST or None, site=request.site)
    if request.method == "POST":
        job = submit_form(
            form,
            lambda d: start_building_notices(
                site=request.site, actor=request.user, building=d["building"], kind=d["kind"],
                only_overdue_over_days=d["only_overdue_over_days"] or None,
            ),
        )  # fmt: skip
        if job is not None:
            return redirect(f"{reverse('dunning:buildings')}?job={job.pk}")
    job = None
    if request.GET.get("job", "").isdigit():
        job = _job(request, int(request.GET["job"]))
    batches = NoticeBatch.objects.of_site(request.site).select_related("building", "issued_by", "delivered_by")  # fmt: skip
    context = {
        "form": form,
        "job": job,
        "batch": _batch_of(job) if job else None,
        "poll_url": reverse("dunning:building_job", args=[job.pk]) if job else "",
        "page_obj": paginate(request, batches),
    }
    return render(request, "dunning/buildings.html", context, status=form_status(form))


@site_page
@require_GET
def building_job(request, pk):
    """The job's panel, polled while it runs; the page reloads once when it ends."""
    ensure_can(request.user, "dunning.view_notice", request.site)
    job = _job(request, pk)
    if not request.htmx:
        return redirect(f"{reverse('dunning:buildings')}?job={job.pk}")
    context = {"job": job, "batch": _batch_of(job), "poll_url": reverse("dunning:building_job", args=[job.pk])}  # fmt: skip
    response = render(request, "dunning/_building_job.html", context)
    if job.state in (Job.State.DONE, Job.State.FAILED):
        response["HX-Refresh"] = "true"
    return response


def _batch(request, pk) -> NoticeBatch:
    ensure_can(request.user, "dunning.view_notice", request.site)
    return access_object(
        NoticeBatch.objects.select_related("building", "issued_by", "delivered_by"),
        request.user, pk, site=request.site,
    )  # fmt: skip


@site_page
@require_GET
def batch_detail(request, pk):
    batch = _batch(request, pk)
    notices = batch.notices.select_related("unit").order_by("unit__code")
    return render(request, "dunning/batch.html", {"batch": batch, "notices": notices})


@site_page
@require_GET
def batch_pdf(request, pk):
    """Every notice of the batch in one PDF, a page per notice, for printing."""
    batch = _batch(request, pk)
    notices = batch.notices.select_related("site").order_by("unit__code")
    name = f"notices-{batch.building.code}-{batch.issued_at:%Y%m%d}-{batch.pk}.pdf"
    return _pdf(pdf.render(notices, title=name), name)


@site_page
@require_POST
def batch_delivered(request, pk):
    batch = _batch(request, pk)
    try:
        services.mark_batch_delivered(batch=batch, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(count)s notices recorded as printed and delivered.")
            % {"count": batch.notices_count},
        )
    return redirect("dunning:batch", batch.pk)


# ---------------------------------------------------------------------------------------------
# Promises to pay


@site_page
@require_GET
def promise_list(request):
    """Promises to chase: broken ones first; those falling due within three days; open; kept."""
    ensure_can(request.user, "dunning.view_chasingentry", request.site)
    state = request.GET.get("state", queries.BROKEN)
    if state not in ("due_soon", *queries.PROMISE_STATES):
        state = queries.BROKEN
    building = request.GET.get("building", "")
    building_id = int(building) if building.isdigit() else None
    rows = queries.promises(request.site, timezone.now(), state=state, building=building_id)
    tabs = [(queries.BROKEN, pgettext("promises", "Broken")), ("due_soon", _("Due within 3 days")),
            (queries.OPEN, pgettext("promises", "Open")), (queries.KEPT, pgettext("promises", "Kept"))]  # fmt: skip
    context = {
        "state": state, "tabs": tabs, "building": building_id,
        "buildings": Building.objects.of_site(request.site).order_by("code"),
        "page_obj": paginate(request, rows), "query": query_without_page(request),
        "states": queries.PROMISE_STATES,
    }  # fmt: skip
    return render(request, "dunning/promises.html", context)


# ---------------------------------------------------------------------------------------------
# The layout


@site_page
@require_http_methods(["GET", "POST"])
def layout_page(request):
    """Finance edits the site's notice layout; "preview" draws a sample notice from what is in
    the form, saved or not."""
    ensure_can(request.user, "dunning.view_noticelayout", request.site)
    current = layouts.layout_of(request.site)
    form = LayoutForm(request.POST or None, instance=layouts.layout_of(request.site))
    if request.method == "POST":
        preview = request.POST.get("preview") in NoticeKind.values
        if preview:
            shot = submit_form(form, lambda d: _preview(request, d, request.POST["preview"]))
            if shot is not None:
                return _pdf(pdf.render_notices([(shot, services.site_today(request.site))],
                                               title="preview"), "preview.pdf")  # fmt: skip
        else:
            ensure_can(request.user, "dunning.change_noticelayout", request.site)
            saved = submit_form(
                form,
                lambda d: layouts.save_layout(site=request.site, actor=request.user, **d),
            )
            if saved is not None:
                messages.success(request, _("The notice layout is saved."))
                return redirect("dunning:layout")
    context = {
        "form": form,
        "layout": current,
        "placeholders": layouts.PLACEHOLDERS,
        "kinds": NoticeKind.choices,
    }
    return render(request, "dunning/layout.html", context, status=form_status(form))


def _preview(request, data: dict, kind: str) -> dict:
    layouts.check_layout(data)
    draft = layouts.apply(layouts.layout_of(request.site), data)
    return services.preview_snapshot(site=request.site, layout=draft, kind=kind)


@site_page
@require_GET
def layout_preview(request):
    """A sample notice drawn with the saved layout (?kind=fee|dunning)."""
    ensure_can(request.user, "dunning.view_noticelayout", request.site)
    kind = request.GET.get("kind") if request.GET.get("kind") in NoticeKind.values else "dunning"
    shot = services.preview_snapshot(
        site=request.site, layout=layouts.layout_of(request.site), kind=kind
    )
    content = pdf.render_notices([(shot, services.site_today(request.site))], title="preview")
    return _pdf(content, f"preview-{kind}.pdf")
