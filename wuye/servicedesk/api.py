"""The service desk's API: tickets and their actions, work orders, duplicates, callbacks, the
daily review and the statistics.

Lists cover the sites the caller may see (narrowed with `?site=`); a ticket of another site
answers 404 exactly like a missing one. Every action goes through the same services as the
pages (`actions.CALLS`); send the `version` you read to have a concurrent change refused.
"""

from __future__ import annotations

import datetime
import inspect
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wuye.core.errors import invalid
from wuye.core.models import Site
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, one_site

from . import desk, queries, services
from .actions import CALLS
from .models import HelpArchive, Kind, Ticket, WorkOrder
from .services import Intake, MaterialLine
from .views import caller_phone, labelled_steps

router = Router(tags=["servicedesk"])


def _site(request, site_id: int | None) -> Site:
    return one_site(request.user, site_id)


class TicketOut(Schema):
    id: int
    site: int
    number: str
    kind: str
    channel: str
    state: str
    help_kind: str
    subject: str
    description: str
    caller_name: str
    caller_phone: str = Field(description="Masked unless the caller's role may see it.")
    person: int | None
    unit: int | None
    unit_code: str | None
    facility: int | None
    location: str
    category: int | None
    department: int | None
    assignee: int | None
    clock: str
    due_at: datetime.datetime | None
    met_at: datetime.datetime | None
    breached_at: datetime.datetime | None
    escalated_to: int | None
    received_at: datetime.datetime
    completed_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    hurry_count: int
    reopen_count: int
    satisfied: bool | None
    is_valid: bool | None
    is_major: bool
    root_cause: int | None
    event: int | None
    charge_amount: Decimal | None
    version: int


class TicketPage(Schema):
    count: int
    items: list[TicketOut]


def ticket_out(user, t: Ticket) -> dict:
    return {
        "id": t.pk, "site": t.site_id, "number": t.number, "kind": t.kind, "channel": t.channel,
        "state": t.state, "help_kind": t.help_kind, "subject": t.subject,
        "description": t.description, "caller_name": t.caller_name,
        "caller_phone": caller_phone(user, t), "person": t.person_id, "unit": t.unit_id,
        "unit_code": t.unit.code if t.unit_id else None, "facility": t.facility_id,
        "location": t.location, "category": t.category_id, "department": t.department_id,
        "assignee": t.assignee_id, "clock": t.clock, "due_at": t.due_at, "met_at": t.met_at,
        "breached_at": t.breached_at, "escalated_to": t.escalated_to_id,
        "received_at": t.received_at, "completed_at": t.completed_at, "closed_at": t.closed_at,
        "hurry_count": t.hurry_count, "reopen_count": t.reopen_count, "satisfied": t.satisfied,
        "is_valid": t.is_valid, "is_major": t.is_major, "root_cause": t.root_cause_id,
        "event": t.event_id, "charge_amount": t.charge_amount, "version": t.version,
    }  # fmt: skip


def _ticket(request, ticket_id: int) -> Ticket:
    ticket = access_object(Ticket.objects.select_related("unit", "assignee"), request.user, ticket_id)  # fmt: skip
    ensure_can(request.user, "servicedesk.view_ticket", ticket.site_id)
    return ticket


@router.get("/tickets", response=TicketPage, summary="Tickets: open ones overdue first, or all")
def list_tickets(request, site: int | None = None, q: str = "", kind: str = "", state: str = "",
                 overdue: bool = False, all: bool = False, page: int = 1):  # fmt: skip
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_ticket", where)
    tickets = queries.filter_tickets(where, q=q, kind=kind, state=state, overdue=overdue,
                                     only_open=not all)  # fmt: skip
    paginator = Paginator(tickets, settings.WUYE_PAGE_SIZE)
    rows = paginator.get_page(page).object_list
    return {"count": paginator.count, "items": [ticket_out(request.user, t) for t in rows]}


class TicketIn(Schema):
    site: int | None = None
    kind: str
    channel: str
    subject: str = Field(max_length=200)
    description: str = ""
    caller_name: str = Field("", max_length=100)
    caller_phone: str = Field("", max_length=30)
    person: int | None = None
    unit: int | None = None
    facility: int | None = None
    location: str = Field("", max_length=200)
    category: int | None = None
    help_kind: str = ""
    neighbour_dispute: bool = False
    needs_written_answer: bool = False
    agreed_at: datetime.datetime | None = None
    received_at: datetime.datetime | None = None
    handled_at_once: bool = False
    answer: str = ""
    from_company: bool = False
    company_reference: str = Field("", max_length=60)
    needs_callback: bool | None = None


@router.post("/tickets", response={201: TicketOut}, summary="Register a contact as a ticket")
def create_ticket(request, payload: TicketIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    ticket = services.register_ticket(site=site, actor=request.user, intake=Intake(**data))
    return Status(201, ticket_out(request.user, ticket))


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="One ticket")
def get_ticket(request, ticket_id: int):
    return ticket_out(request.user, _ticket(request, ticket_id))


class StepOut(Schema):
    at: datetime.datetime
    actor: str | None
    action: str
    label: str
    from_state: str
    to_state: str
    note: str
    data: dict


@router.get("/tickets/{ticket_id}/history", response=list[StepOut], summary="A ticket's history")
def ticket_history(request, ticket_id: int):
    return [
        {
            "at": s.at,
            "actor": s.actor.username if s.actor else None,
            "action": s.action,
            "label": str(s.label),
            "from_state": s.from_state,
            "to_state": s.to_state,
            "note": s.note,
            "data": s.data,
        }  # fmt: skip
        for s in labelled_steps(_ticket(request, ticket_id))
    ]


# ---------------------------------------------------------------------------------------------
# Actions: one endpoint each, all calling `actions.CALLS`


class Versioned(Schema):
    version: int | None = Field(None, description="The ticket's version you read; a newer one is refused.")  # fmt: skip


class DispatchIn(Versioned):
    department: int | None = None
    assignee: int | None = None
    visit_at: datetime.datetime | None = None
    category: int | None = None


class AnswerIn(Versioned):
    answer: str
    complete: bool = False


class NoteIn(Versioned):
    note: str = ""


class ReasonIn(Versioned):
    reason: str


class DeferIn(Versioned):
    until: datetime.date
    reason: str


class CallbackIn(Versioned):
    satisfied: bool
    comment: str = ""
    method: str = "phone"


class QualityIn(Schema):
    verdict: str
    reason: str = ""


class AgreeTimeIn(Versioned):
    answer_at: datetime.datetime


class InvestigationIn(Versioned):
    investigation: str
    measures: str


class NegotiationIn(Schema):
    proposal: str
    response: str = ""
    agreed: bool = False


class RootCauseIn(Versioned):
    root_cause: int


class LinkIn(Schema):
    to: int = Field(description="The id of a complaint about the same event.")
    reach: str = ""


class ValidityIn(Versioned):
    valid: bool
    note: str = ""


class MajorIn(Versioned):
    major: bool
    note: str = ""


class ReportIn(Versioned):
    report: str


class HelpActionIn(Schema):
    action: str
    done_at: datetime.datetime | None = None
    note: str = ""


ACTION_SCHEMAS: dict[str, tuple[str, type, str]] = {
    "dispatch": ("dispatch", DispatchIn, "Dispatch to a department and person (repairs: a work order)"),
    "answer": ("answer", AnswerIn, "Record the answer given"),
    "complete": ("complete", NoteIn, "Complete (a complaint: the work is verified)"),
    "hold": ("hold", ReasonIn, "Put on hold with a reason"),
    "resume": ("resume", Versioned, "Resume held or deferred work"),
    "defer": ("defer", DeferIn, "Defer until a date"),
    "hurry": ("hurry", NoteIn, "Record a hurry (催单)"),
    "escalate": ("escalate", NoteIn, "Escalate to the superior"),
    "callback": ("callback", CallbackIn, "Record the callback (回访)"),
    "close": ("close", NoteIn, "Close completed work"),
    "quality": ("quality-check", QualityIn, "A supervisor's quality check"),
    "force_close": ("force-close", ReasonIn, "Force-close with a reason (supervisor)"),
    "agree_time": ("agree-answer-time", AgreeTimeIn, "Agree the first answer time (R-CMP-03)"),
    "investigate": ("investigation", InvestigationIn, "Investigation and measures (R-CMP-05)"),
    "negotiate": ("negotiations", NegotiationIn, "A negotiation round (R-CMP-05)"),
    "root_cause": ("root-cause", RootCauseIn, "Set the root cause (R-CMP-09)"),
    "link": ("link", LinkIn, "Link to a complaint about the same event (R-CMP-07)"),
    "validity": ("validity", ValidityIn, "Confirm validity for statistics (R-CMP-12)"),
    "major": ("major", MajorIn, "Mark a major complaint (R-CMP-11)"),
    "report_back": ("report-back", ReportIn, "Report back to the company (R-CMP-06)"),
    "help_action": ("help-actions", HelpActionIn, "Record what was done for a help request"),
}  # fmt: skip


def _action_endpoint(name: str, schema: type):
    def endpoint(request, ticket_id: int, payload):
        ticket = _ticket(request, ticket_id)
        data = payload.model_dump()
        if name == "link":
            data["to"] = access_object(Ticket, request.user, data["to"], site=ticket.site)
        CALLS[name](request.user, ticket, data)
        return ticket_out(request.user, _ticket(request, ticket_id))

    parameters = list(inspect.signature(endpoint).parameters.values())
    parameters[2] = parameters[2].replace(annotation=schema)
    endpoint.__signature__ = inspect.Signature(parameters)
    endpoint.__annotations__ = {"ticket_id": int, "payload": schema}
    endpoint.__name__ = f"ticket_{name}"
    return endpoint


for _name, (_path, _schema, _summary) in ACTION_SCHEMAS.items():
    router.post(f"/tickets/{{ticket_id}}/{_path}", response=TicketOut, summary=_summary)(
        _action_endpoint(_name, _schema)
    )


# ---------------------------------------------------------------------------------------------
# Work orders


class WorkOrderOut(Schema):
    id: int
    number: str
    ticket: int
    subject: str
    worker: int | None
    state: str
    visit_at: datetime.datetime
    accepted_at: datetime.datetime | None
    arrived_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    work_done: str
    result: str
    rating: int | None


def work_order_out(o: WorkOrder) -> dict:
    return {
        "id": o.pk, "number": o.number, "ticket": o.ticket_id, "subject": o.ticket.subject,
        "worker": o.worker_id, "state": o.state, "visit_at": o.visit_at,
        "accepted_at": o.accepted_at, "arrived_at": o.arrived_at, "finished_at": o.finished_at,
        "work_done": o.work_done, "result": o.result, "rating": o.rating,
    }  # fmt: skip


@router.get("/work-orders", response=list[WorkOrderOut], summary="My live work orders")
def my_work_orders(request, site: int | None = None):
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_workorder", where)
    me = services.employee_of(request.user, where)
    return [work_order_out(o) for o in queries.my_work_orders(me)] if me else []


@router.get("/work-orders/pool", response=list[WorkOrderOut], summary="Work offered to the pool")
def pool(request, site: int | None = None):
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_workorder", where)
    me = services.employee_of(request.user, where)
    return [work_order_out(o) for o in queries.pool(where, me)[:100]]


def _order(request, order_id: int) -> WorkOrder:
    return access_object(WorkOrder.objects.select_related("ticket"), request.user, order_id)


class MaterialIn(Schema):
    name: str = Field(max_length=100)
    quantity: Decimal
    unit_label: str = Field("", max_length=10)


class FinishIn(Schema):
    work_done: str
    result: str
    materials: list[MaterialIn] = []
    price_item: int | None = None
    quantity: Decimal | None = None
    charge_amount: Decimal | None = None


class SignOffIn(Schema):
    signed_by: str
    rating: int | None = Field(None, ge=1, le=5)
    comment: str = ""


@router.post("/work-orders/{order_id}/take", response=WorkOrderOut, summary="Take a pool job")
def take(request, order_id: int):
    return work_order_out(services.take_work_order(work_order=_order(request, order_id), actor=request.user))  # fmt: skip


@router.post("/work-orders/{order_id}/accept", response=WorkOrderOut, summary="Accept the job")
def accept(request, order_id: int):
    return work_order_out(services.accept_work_order(work_order=_order(request, order_id), actor=request.user))  # fmt: skip


@router.post("/work-orders/{order_id}/arrive", response=WorkOrderOut, summary="Record arrival")
def arrive(request, order_id: int):
    return work_order_out(services.record_arrival(work_order=_order(request, order_id), actor=request.user))  # fmt: skip


@router.post("/work-orders/{order_id}/finish", response=WorkOrderOut, summary="Record the result")
def finish(request, order_id: int, payload: FinishIn):
    data = payload.model_dump()
    materials = [MaterialLine(**m) for m in data.pop("materials")]
    order = services.finish_work_order(work_order=_order(request, order_id), actor=request.user,
                                       materials=materials, **data)  # fmt: skip
    return work_order_out(order)


@router.post(
    "/work-orders/{order_id}/sign-off", response=WorkOrderOut, summary="Resident's sign-off"
)
def sign_off(request, order_id: int, payload: SignOffIn):
    order = services.sign_off_work_order(work_order=_order(request, order_id), actor=request.user,
                                         **payload.model_dump())  # fmt: skip
    return work_order_out(order)


# ---------------------------------------------------------------------------------------------
# Desk-wide reads and the daily review


class DuplicateOut(Schema):
    ticket: int
    number: str
    subject: str
    received_at: datetime.datetime
    score: float
    same_place: bool


@router.get("/duplicates", response=list[DuplicateOut], summary="Likely duplicates (R-CMP-07)")
def duplicates(request, text: str, site: int | None = None, kind: str = Kind.COMPLAINT,
               unit: int | None = None, facility: int | None = None):  # fmt: skip
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_ticket", where)
    found = queries.likely_duplicates(where, text=text, kind=kind, unit=unit, facility=facility)
    return [
        {"ticket": d.ticket.pk, "number": d.ticket.number, "subject": d.ticket.subject,
         "received_at": d.ticket.received_at, "score": d.score, "same_place": d.same_place}
        for d in found
    ]  # fmt: skip


class CallbackDueOut(Schema):
    ticket: int
    number: str
    subject: str
    due_at: datetime.datetime


@router.get("/callbacks", response=list[CallbackDueOut], summary="Callbacks due, oldest first")
def callbacks(request, site: int | None = None):
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_ticket", where)
    return [
        {"ticket": c.ticket_id, "number": c.ticket.number, "subject": c.ticket.subject,
         "due_at": c.due_at}
        for c in queries.callbacks_due(where)[:500]
    ]  # fmt: skip


class ReviewIn(Schema):
    site: int | None = None
    day: datetime.date
    note: str = ""


class ReviewOut(Schema):
    day: datetime.date
    received_count: int
    open_count: int
    overdue_count: int
    signed_by: str
    signed_at: datetime.datetime


@router.post("/daily-reviews", response={201: ReviewOut}, summary="Sign a day's review (R-CMP-04)")
def sign_review(request, payload: ReviewIn):
    review = desk.sign_daily_review(site=_site(request, payload.site), actor=request.user,
                                    day=payload.day, note=payload.note)  # fmt: skip
    return Status(201, {**{f: getattr(review, f) for f in ("day", "received_count", "open_count", "overdue_count", "signed_at")},
                        "signed_by": review.signed_by.username})  # fmt: skip


class IndicatorOut(Schema):
    code: str
    label: str
    numerator: int
    denominator: int
    value: Decimal | None
    target: Decimal


class GroupOut(Schema):
    key: int | str
    label: str
    received: int
    completed: int
    on_time: int
    late: int
    satisfied: int


class ComplaintEventOut(Schema):
    ticket_id: int = Field(description="The event's earliest complaint, which stands for it")
    number: str
    subject: str
    received_at: datetime.datetime
    unit: str
    root_cause: str
    people: int = Field(description="Distinct people: customer record, else keyed phone hash")
    contacts: int = Field(description="Complaints about the event (times complained)")
    reach: str
    counted: bool = Field(description="Counted in the statistics (a valid complaint)")
    satisfied: bool | None
    state: str


class StatisticsOut(Schema):
    start: datetime.date
    end: datetime.date
    total: dict[str, int]
    on_time_rate: Decimal | None
    callback_rate: Decimal | None
    satisfaction: Decimal | None
    complaints: dict[str, int]
    complaint_events: list[ComplaintEventOut]
    indicators: list[IndicatorOut]
    by_kind: list[GroupOut]
    by_channel: list[GroupOut]
    by_department: list[GroupOut]
    by_root_cause: list[GroupOut]


@router.get("/statistics", response=StatisticsOut, summary="Figures of a period (R-KPI-02…06)")
def statistics(request, start: datetime.date, end: datetime.date, site: int | None = None):
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_desk_statistics", where)
    if start > end:
        raise invalid("end", _("The period ends before it starts."), "order")
    figures = queries.label_statistics(queries.statistics(where, start, end), where)
    figures["indicators"] = [
        {"code": i.code, "label": str(i.label), "numerator": i.numerator,
         "denominator": i.denominator, "value": i.value, "target": i.target}
        for i in figures["indicators"]
    ]  # fmt: skip
    return figures


# ---------------------------------------------------------------------------------------------
# The help register's yearly archives (R-HLP-06)


class HelpArchiveOut(Schema):
    year: int
    request_count: int
    archived_at: datetime.datetime
    remove_after: datetime.date = Field(description="The day the job removes its requests")
    removed_at: datetime.datetime | None
    removed_count: int


@router.get("/help-archives", response=list[HelpArchiveOut], summary="The help register's yearly archives (R-HLP-06)")  # fmt: skip
def list_help_archives(request, site: int | None = None):
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_ticket", where)
    return list(HelpArchive.objects.of_site(where).order_by("-year"))


@router.get("/help-archives/{year}/requests", response=TicketPage, summary="One year's archived help requests, searched (read-only)")  # fmt: skip
def list_archived_help_requests(request, year: int, site: int | None = None, q: str = "",
                                help_kind: str = "", page: int = 1):  # fmt: skip
    where = _site(request, site)
    ensure_can(request.user, "servicedesk.view_ticket", where)
    archive = HelpArchive.objects.of_site(where).filter(year=year).first()
    if archive is None:
        raise Http404
    tickets = queries.archived_help_requests(archive, q=q[:60], help_kind=help_kind)
    paginator = Paginator(tickets, settings.WUYE_PAGE_SIZE)
    rows = paginator.get_page(page).object_list
    return {"count": paginator.count, "items": [ticket_out(request.user, t) for t in rows]}
