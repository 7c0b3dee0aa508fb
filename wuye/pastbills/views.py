"""The past-bills import pages: upload, template download and the job's progress and log."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuye.core.forms import SpreadsheetUploadForm
from wuye.core.jobs import with_live_progress
from wuye.core.models import Job
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import xlsx_response

from .rows import history_template
from .services import JOB_KIND, import_report, start_history_import


@site_page
@require_http_methods(["GET", "POST"])
def history_import(request):
    ensure_can(request.user, "billing.run_bills", request.site)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        job = submit_form(
            form,
            lambda d: start_history_import(site=request.site, actor=request.user, upload=d["file"]),
        )
        if job is not None:
            return redirect("pastbills:history_import_job", pk=job.pk)
    recent = Job.objects.filter(site=request.site, kind=JOB_KIND).select_related("actor")[:10]
    context = {"form": form, "recent": recent}
    return render(request, "pastbills/history_import.html", context, status=form_status(form))


@site_page
def history_import_job(request, pk):
    ensure_can(request.user, "billing.run_bills", request.site)
    job = with_live_progress(get_object_or_404(Job, pk=pk, site=request.site, kind=JOB_KIND))
    context = {
        "job": job,
        "poll_url": reverse("pastbills:history_import_job", args=[job.pk]),
        "report": import_report(job) if job.state == Job.State.FAILED else [],
    }
    if request.htmx:
        return render(request, "pastbills/history_import_progress.html", context)
    return render(request, "pastbills/history_import_job.html", context)


@site_page
def history_import_template(request):
    ensure_can(request.user, "billing.run_bills", request.site)
    return xlsx_response(_("past-bills-template.xlsx"), history_template())
