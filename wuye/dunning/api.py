"""The dunning API (R-FEE-03): notices for a unit or a building (as a job), their PDFs and how
they went out, the chasing log and the promises to chase. Scoped by site and role through the
same services as the pages; another site's rows answer 404, bad input 400 with field errors."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from wuye.core.jobs import with_live_progress
from wuye.core.models import Job
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, can_access_site, one_site
from wuye.estate.models import Building, Unit

from . import pdf, queries, services
from .jobs import JOB_KIND, start_building_notices
from .models import Notice, NoticeBatch

router = Router(tags=["dunning"])


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _unit(request, unit_id: int, perm: str) -> Unit:
    unit = access_object(Unit.objects.select_related("site", "building"), request.user, unit_id)
    ensure_can(request.user, perm, unit.site)
    return unit


def _notice(request, notice_id: int) -> Notice:
    notice = access_object(Notice.objects.select_related("site", "unit"), request.user, notice_id)
    ensure_can(request.user, "dunning.view_notice", notice.site_id)
    return notice


# ---------------------------------------------------------------------------------------------
# Notices


class DeliveryOut(Schema):
    id: int
    channel: str
    recipient: str
    sent_by: int = Field(alias="sent_by_id")
    sent_at: datetime.datetime
    outcome: str
    error: str


class NoticeOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    unit: int = Field(alias="unit_id")
    kind: str
    number: str
    total: Decimal
    issued_by: int = Field(alias="issued_by_id")
    issued_at: datetime.datetime
    batch: int | None = Field(None, alias="batch_id")
    snapshot: dict
    deliveries: list[DeliveryOut]

    @staticmethod
    def resolve_deliveries(obj):
        return list(obj.deliveries.all())


class NoticeIn(Schema):
    unit: int
    kind: str = Field(description="fee | dunning")


@router.post("/notices", response={201: NoticeOut}, summary="Issue a fee or dunning notice")
def issue_notice(request, payload: NoticeIn):
    unit = _unit(request, payload.unit, "dunning.add_notice")
    notice = services.issue_notice(site=unit.site, actor=request.user, unit=unit, kind=payload.kind)
    return Status(201, notice)


@router.get("/notices", response=list[NoticeOut], summary="A site's notices, newest first")
@paginate
def notice_list(
    request, site: int | None = None, unit: int | None = None, kind: str | None = None,
    batch: int | None = None,
):  # fmt: skip
    where = one_site(request.user, site)
    ensure_can(request.user, "dunning.view_notice", where)
    notices = Notice.objects.of_site(where).prefetch_related("deliveries")
    if unit is not None:
        notices = notices.filter(unit_id=unit)
    if kind:
        notices = notices.filter(kind=kind)
    if batch is not None:
        notices = notices.filter(batch_id=batch)
    return notices.order_by("-issued_at", "-id")


@router.get("/notices/{notice_id}", response=NoticeOut, summary="A notice and its deliveries")
def notice_detail(request, notice_id: int):
    return _notice(request, notice_id)


@router.get("/notices/{notice_id}/pdf", summary="The notice's PDF (drawn from its snapshot)")
def notice_pdf(request, notice_id: int):
    notice = _notice(request, notice_id)
    return _pdf(pdf.render([notice], title=notice.number), f"{notice.number}.pdf")


class DeliveryIn(Schema):
    channel: str = Field(description="printed | sms | app")


@router.post(
    "/notices/{notice_id}/deliveries", response={201: list[DeliveryOut]},
    summary="Record how a notice went out (SMS and app messages are sent through the sender)",
)  # fmt: skip
def record_delivery(request, notice_id: int, payload: DeliveryIn):
    notice = _notice(request, notice_id)
    rows = services.record_delivery(notice=notice, actor=request.user, channel=payload.channel)
    return Status(201, rows)


# ---------------------------------------------------------------------------------------------
# A building's notices


class BuildingNoticesIn(Schema):
    kind: str = Field(description="fee | dunning")
    only_overdue_over_days: int | None = None


class JobOut(Schema):
    id: int
    state: str
    done: int
    total: int
    message: str
    batch: int | None = None

    @staticmethod
    def resolve_batch(obj):
        return (obj.result or {}).get("batch")


@router.post(
    "/buildings/{building_id}/notices", response={202: JobOut},
    summary="Issue notices for every unit of a building that qualifies (a job)",
)  # fmt: skip
def building_notices(request, building_id: int, payload: BuildingNoticesIn):
    building = access_object(Building.objects.select_related("site"), request.user, building_id)
    job = start_building_notices(
        site=building.site, actor=request.user, building=building, kind=payload.kind,
        only_overdue_over_days=payload.only_overdue_over_days,
    )  # fmt: skip
    job.refresh_from_db()
    return Status(202, job)


@router.get("/jobs/{job_id}", response=JobOut, summary="How far a building's notices have got")
def job_detail(request, job_id: int):
    job = get_object_or_404(Job, pk=job_id, kind=JOB_KIND)
    if not can_access_site(request.user, job.site_id):
        raise Http404("job")  # another site's job answers like one that does not exist
    ensure_can(request.user, "dunning.view_notice", job.site)
    return with_live_progress(job)


class BatchOut(Schema):
    id: int
    building: int = Field(alias="building_id")
    kind: str
    notices_count: int
    total: Decimal
    issued_at: datetime.datetime
    delivered_at: datetime.datetime | None
    delivered_by: int | None = Field(None, alias="delivered_by_id")


def _batch(request, batch_id: int) -> NoticeBatch:
    batch = access_object(NoticeBatch.objects.select_related("building"), request.user, batch_id)
    ensure_can(request.user, "dunning.view_notice", batch.site_id)
    return batch


@router.get("/batches/{batch_id}", response=BatchOut, summary="A building's batch of notices")
def batch_detail(request, batch_id: int):
    return _batch(request, batch_id)


@router.get("/batches/{batch_id}/pdf", summary="Every notice of a batch in one PDF, for printing")
def batch_pdf(request, batch_id: int):
    batch = _batch(request, batch_id)
    notices = batch.notices.select_related("site").order_by("unit__code")
    return _pdf(pdf.render(notices, title=f"batch-{batch.pk}"), f"notices-{batch.pk}.pdf")


@router.post(
    "/batches/{batch_id}/delivered", response=BatchOut,
    summary="Record every notice of a printed batch as printed and delivered (once)",
)  # fmt: skip
def batch_delivered(request, batch_id: int):
    return services.mark_batch_delivered(batch=_batch(request, batch_id), actor=request.user)


# ---------------------------------------------------------------------------------------------
# The chasing log and promises


class ChasingOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    unit_code: str = Field(alias="unit.code")
    kind: str
    note: str
    promised_amount: Decimal | None
    promised_by: datetime.date | None
    recorded_by: int = Field(alias="recorded_by_id")
    recorded_at: datetime.datetime
    paid_towards: Decimal | None = None
    promise_state: str = ""

    @staticmethod
    def resolve_paid_towards(obj):
        if getattr(obj, "promise_state", ""):
            return Decimal(obj.paid_towards).quantize(Decimal("0.01"))
        return None


class ChasingIn(Schema):
    kind: str = Field(description="call | visit | letter | other")
    note: str = ""
    promised_amount: str | None = Field(None, description="yuan, e.g. 300.00")
    promised_by: datetime.date | None = None


@router.get(
    "/units/{unit_id}/chasing", response=list[ChasingOut],
    summary="A unit's chasing log, newest first, with each promise's state",
)  # fmt: skip
def chasing_list(request, unit_id: int):
    unit = _unit(request, unit_id, "dunning.view_chasingentry")
    return list(queries.chasing_log(unit.site, unit.pk).select_related("unit"))


@router.post(
    "/units/{unit_id}/chasing", response={201: ChasingOut},
    summary="Log a call, visit or letter, with a promise to pay (amount and date) if made",
)  # fmt: skip
def chasing_add(request, unit_id: int, payload: ChasingIn):
    unit = _unit(request, unit_id, "dunning.add_chasingentry")
    entry = services.record_chasing(
        site=unit.site, actor=request.user, unit=unit, kind=payload.kind, note=payload.note,
        promised_amount=payload.promised_amount, promised_by=payload.promised_by,
    )  # fmt: skip
    return Status(201, queries.chasing_log(unit.site, unit.pk).select_related("unit").get(pk=entry.pk))  # fmt: skip


@router.get(
    "/promises", response=list[ChasingOut],
    summary="Promises to pay by state: broken (default), due_soon, open, kept",
)  # fmt: skip
@paginate
def promise_list(request, site: int | None = None, state: str = "broken", building: int | None = None):  # fmt: skip
    where = one_site(request.user, site)
    ensure_can(request.user, "dunning.view_chasingentry", where)
    return queries.promises(where, timezone.now(), state=state, building=building)
