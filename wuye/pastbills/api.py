"""API: importing a site's past bills and payments (.xlsx) as a background job; the job is
followed at GET /api/v1/jobs/{id}."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from wuye.core.errors import invalid
from wuye.core.scoping import one_site

from .services import start_history_import

router = Router(tags=["billing"])


class JobStarted(Schema):
    job: int
    state: str


@router.post(
    "/history-imports", response={202: JobStarted}, summary="Import past bills and payments"
)
def import_history(request, site: int | None = None, file: UploadedFile = File(...)):  # noqa: B008 (ninja declares uploads so)
    """Every row is checked first; one bad row and nothing is saved (the job's `errors` list
    every bad row). Re-importing the same file adds nothing."""
    if not file.name.lower().endswith(".xlsx"):
        raise invalid("file", _("Choose an .xlsx file."), "not_xlsx")
    job = start_history_import(site=one_site(request.user, site), actor=request.user, upload=file)
    return Status(202, {"job": job.pk, "state": job.state})
