"""The owners-and-tenants import pages: upload, template download and the job's progress."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuye.core.forms import SpreadsheetUploadForm
from wuye.core.models import Job
from wuye.core.pages import form_status, site_page
from wuye.core.permissions import ensure_can
from wuye.core.spreadsheets import xlsx_response

from .people_import import JOB_KIND, import_report, start_people_import
from .workbooks import people_template


@site_page
@require_http_methods(["GET", "POST"])
def people_import(request):
    ensure_can(request.user, "people.add_person", request.site)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = start_people_import(
            site=request.site, actor=request.user, upload=form.cleaned_data["file"]
        )
        return redirect("people:import_job", pk=job.pk)
    recent = Job.objects.filter(site=request.site, kind=JOB_KIND).select_related("actor")[:10]
    return render(
        request, "people/import.html", {"form": form, "recent": recent}, status=form_status(form)
    )


@site_page
def people_import_job(request, pk):
    job = get_object_or_404(Job, pk=pk, site=request.site, kind=JOB_KIND)
    ensure_can(request.user, "people.view_person", request.site)
    context = {
        "job": job,
        "poll_url": reverse("people:import_job", args=[job.pk]),
        "report": import_report(job) if job.state == Job.State.FAILED else [],
    }
    if request.htmx:
        return render(request, "people/_import_job.html", context)
    return render(request, "people/import_job.html", context)


@site_page
def people_import_template(request):
    return xlsx_response(_("owners-and-tenants-template.xlsx"), people_template())
