"""Every change to a ticket: intake, dispatch, work orders, holds, deferrals, escalation,
completion, callbacks and closing. Complaints and help requests are in `complaints.py`; the
clock sweeps in `sweeps.py`; the daily review and the duty log in `desk.py`.

Each action runs in one transaction on the ticket's locked row: it checks the actor's role and
site, checks the state allows it, writes the ticket and one history step, and moves the
ticket's contribution to the statistics. A stale `version` from a page or an API client is
refused, so two clerks acting on one ticket at once cannot both win.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core import clock
from wuye.core.audit import record_create
from wuye.core.crypto import encrypt
from wuye.core.errors import NUL_CODE, check_text, collecting, invalid, nul_message
from wuye.core.identity import mask_phone, normalize_phone
from wuye.core.numbering import format_document_number, next_document_number
from wuye.core.permissions import ensure_can, ensure_site_access
from wuye.core.sla import deadline, due_after
from wuye.estate.models import Facility, Unit
from wuye.people.models import Person
from wuye.people.queries import with_current_units
from wuye.people.services import phone_hash
from wuye.staff.authority import may_approve, next_up
from wuye.staff.models import AuthorityRule, Department, Employee

from .archive import file_late_request
from .facts import facts_of, move_facts, site_zone
from .models import (
    Attachment,
    Callback,
    Category,
    CategoryWorker,
    Channel,
    ComplaintEvent,
    DeskSettings,
    DispatchMode,
    HelpKind,
    Kind,
    Material,
    PriceItem,
    Ticket,
    TicketStep,
    WorkOrder,
)
from .policy import desk_settings

State = Ticket.State
WoState = WorkOrder.State

# Kinds whose completion is followed by a callback unless the desk says otherwise (R-CMP-06,
# R-REP-04, R-KPI-05).
CALLBACK_KINDS = {Kind.REPAIR, Kind.COMPLAINT, Kind.HELP}
# What residents may file themselves on the portal (docs/servicedesk.md, Intake): help goes by
# phone, praise by any channel.
RESIDENT_KINDS = {Kind.REPAIR, Kind.COMPLAINT, Kind.INQUIRY, Kind.SUGGESTION}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def employee_of(user, site) -> Employee | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return (
        Employee.objects.filter(user=user, site_id=getattr(site, "pk", site), is_active=True)
        .select_related("post__superior", "superior", "site")
        .first()
    )


def _now() -> datetime.datetime:
    # The clock, so a ticket's steps can be dated where they happened (the demo's year).
    return clock.now().replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# One change of a ticket


@dataclass
class Step:
    """What the history step of the change in progress will say."""

    action: str
    note: str = ""
    data: dict = field(default_factory=dict)


@contextmanager
def changing(
    ticket: Ticket | int,
    actor,
    *,
    action: str,
    perm: str | None = "servicedesk.change_ticket",
    version: int | None = None,
    note: str = "",
) -> Iterator[tuple[Ticket, Step]]:
    """Lock the ticket, check the actor and the version, and on leaving save it with one
    history step and its statistics moved. Anything raised inside writes nothing."""
    pk = ticket if isinstance(ticket, int) else ticket.pk
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("site").get(pk=pk)
        if perm is not None:
            ensure_can(actor, perm, locked.site)
        if locked.archive_id is not None:
            raise invalid(
                None,
                _("This help request is in its year's archive and can no longer be changed."),
                "archived",
            )
        if version is not None and int(version) != locked.version:
            raise invalid(
                "version",
                _("Someone else changed this ticket a moment ago. Reload it and try again."),
                "stale",
            )
        zone = site_zone(locked.site)
        before = facts_of(locked, zone)
        from_state = locked.state
        step = Step(action=action, note=note)
        yield locked, step
        if not step.action:  # the action found nothing to do
            return
        file_late_request(locked)  # R-HLP-06
        locked.version += 1
        locked.save()
        move_facts(before, facts_of(locked, zone))
        add_step(locked, actor, step, from_state=from_state)
    if not isinstance(ticket, int):
        ticket.refresh_from_db()


def add_step(ticket: Ticket, actor, step: Step, *, from_state: str = "") -> TicketStep:
    return TicketStep.objects.create(
        ticket=ticket,
        at=_now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=step.action,
        from_state=from_state,
        to_state=ticket.state,
        note=step.note,
        data=step.data,
    )


def _require_state(ticket: Ticket, allowed, message: str, code: str = "wrong_state") -> None:
    if ticket.state not in allowed:
        raise invalid(None, message, code)


def _require_open(ticket: Ticket) -> None:
    _require_state(
        ticket, Ticket.OPEN_STATES, _("This ticket is already completed or closed."), "not_open"
    )


def _text(value: str, name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(name, message, "required")
    if "\x00" in value:
        raise invalid(name, nul_message(), NUL_CODE)
    return value


# ---------------------------------------------------------------------------------------------
# Intake (R-DSK-01, R-CMP-02, R-REP-01, R-HLP-02/03)


def _clock_for(
    kind: str, *, needs_written_answer: bool, agreed_at, received_at, settings: DeskSettings
):
    """The obligation a new ticket starts with, and when it is due."""
    if kind == Kind.HELP:
        return Ticket.Clock.FIRST_ANSWER, due_after(
            received_at, minutes=settings.help_answer_minutes
        )
    if kind == Kind.INQUIRY:
        if needs_written_answer:
            return Ticket.Clock.WRITTEN_ANSWER, due_after(
                received_at, days=settings.written_answer_days
            )
        return Ticket.Clock.FIRST_ANSWER, due_after(
            received_at, minutes=settings.inquiry_answer_minutes
        )
    if kind == Kind.COMPLAINT:
        return Ticket.Clock.AGREED_ANSWER, agreed_at or due_after(
            received_at, hours=settings.complaint_answer_hours
        )
    if kind == Kind.REPAIR:
        return Ticket.Clock.VISIT, agreed_at or due_after(
            received_at, hours=settings.repair_visit_hours
        )
    return "", None


def _set_clock(ticket: Ticket, clock: str, due_at, settings: DeskSettings, start=None) -> None:
    ticket.clock = clock
    if due_at is None:
        ticket.due_at = ticket.warn_at = None
        return
    limits = deadline(start or _now(), due_at, warn_percent=settings.warn_percent)
    ticket.due_at, ticket.warn_at = limits.due_at, limits.warn_at
    ticket.warned_at = ticket.breached_at = None


def _future(value, name: str, now) -> datetime.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value <= now:
        raise invalid(name, _("The agreed time must be in the future."), "past")
    return value


def _scoped(model, pk, site, name: str, label: str):
    if pk in (None, ""):
        return None
    obj = pk if isinstance(pk, model) else model.objects.filter(pk=pk, site=site).first()
    if obj is None or obj.site_id != site.pk:
        raise invalid(name, _("No such %(what)s at this site.") % {"what": label}, "not_found")
    return obj


@dataclass
class Intake:
    """What a contact says, as the desk, a resident or a QR form takes it."""

    kind: str
    channel: str
    subject: str
    description: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    person: Person | int | None = None
    unit: Unit | int | None = None
    facility: Facility | int | None = None
    location: str = ""
    category: Category | int | None = None
    help_kind: str = ""
    neighbour_dispute: bool = False
    needs_written_answer: bool = False
    agreed_at: datetime.datetime | None = None  # complaint: first answer; repair: visit
    received_at: datetime.datetime | None = None
    handled_at_once: bool = False
    answer: str = ""
    from_company: bool = False
    company_reference: str = ""
    needs_callback: bool | None = None
    files: list = field(default_factory=list)


def register_ticket(
    *, site, actor, intake: Intake, resident=None, reporter_ip: str | None = None,
    authorised: bool = False,
) -> Ticket:  # fmt: skip
    """Register a contact as a ticket.

    `authorised`: the caller applied its own rule instead of the staff role — the resident
    pages (the resident is linked to the unit) and the facility QR form (no login, rate
    limited).
    """
    if not authorised:
        ensure_can(actor, "servicedesk.add_ticket", site)
    now = _now()
    settings = desk_settings(site)
    kind, channel = intake.kind, intake.channel
    with collecting() as errors:
        if kind not in Kind.values:
            errors.add("kind", _("Choose what kind of contact this is."), "invalid_choice")
        if channel not in Channel.values:
            errors.add("channel", _("Choose the channel the contact came by."), "invalid_choice")
        subject = errors.check(
            _text, intake.subject, "subject", _("Say in a few words what the matter is.")
        )
        person = errors.check(_scoped, Person, intake.person, site, "person", _("customer"))
        unit = errors.check(_scoped, Unit, intake.unit, site, "unit", _("unit"))
        if unit is None and person is not None and intake.facility is None and not intake.location:
            unit = the_only_unit_of(person)
        facility = errors.check(_scoped, Facility, intake.facility, site, "facility", _("facility"))
        category = errors.check(_scoped, Category, intake.category, site, "category", _("category"))
        if category is not None and category.kind != kind:
            errors.add("category", _("This category is for another kind of ticket."), "mismatch")
        help_kind = intake.help_kind or ""
        if kind == Kind.HELP:
            if help_kind not in HelpKind.values:
                errors.add("help_kind", _("Choose the kind of help needed."), "required")
        elif help_kind:
            help_kind = ""
        caller_name = (intake.caller_name or "").strip() or (person.name if person else "")
        phone_cipher, phone_masked, phone_key = "", "", ""
        if intake.caller_phone.strip():
            normalized = errors.check(normalize_phone, intake.caller_phone, "caller_phone")
            if normalized:
                phone_cipher, phone_masked = encrypt(normalized), mask_phone(normalized)
                phone_key = phone_hash(normalized)
        elif person is not None and person.phone_cipher:
            phone_cipher, phone_masked = person.phone_cipher, person.phone_masked
            phone_key = person.phone_hash
        has_place = unit is not None or facility is not None or bool(intake.location.strip())
        # R-CMP-02: name, unit and phone; a neighbour dispute may leave name and unit blank.
        if kind == Kind.COMPLAINT and not intake.neighbour_dispute:
            if not caller_name:
                errors.add("caller_name", _("A complaint needs the complainant's name."), "required")  # fmt: skip
            if not has_place and not errors.has("unit", "facility"):
                errors.add("unit", _("A complaint needs the complainant's unit."), "required")
        if kind == Kind.COMPLAINT and not phone_cipher:
            errors.add("caller_phone", _("A complaint needs a phone number to answer on."), "required")  # fmt: skip
        # R-HLP-04: a medical emergency records the address and the phone first.
        if help_kind == "medical":
            if not phone_cipher:
                errors.add("caller_phone", _("Take the caller's phone number first."), "required")
            if unit is None and not intake.location.strip() and not errors.has("unit"):
                errors.add("location", _("Take the address first."), "required")
        received_at = intake.received_at or now
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at)
        if received_at > now + datetime.timedelta(minutes=1):
            errors.add("received_at", _("A contact can't be received in the future."), "future")
        agreed_at = errors.check(_future, intake.agreed_at, "agreed_at", now)
        if intake.handled_at_once:
            answer = errors.check(_text, intake.answer, "answer", _("Say how it was handled."))
        for name in ("caller_name", "location", "description", "company_reference"):
            check_text(errors, name, getattr(intake, name))
    if intake.from_company and channel != Channel.REFERRAL:
        channel = Channel.REFERRAL
    needs_callback = (
        intake.needs_callback if intake.needs_callback is not None else kind in CALLBACK_KINDS
    )
    with transaction.atomic():
        year = received_at.astimezone(site_zone(site)).year
        number = next_document_number(site=site, kind="ticket", year=year)
        ticket = Ticket(
            site=site,
            number=format_document_number("TK-", site, year, number),
            kind=kind,
            channel=channel,
            category=category,
            help_kind=help_kind,
            person=person,
            caller_name=caller_name[:100],
            caller_phone_cipher=phone_cipher,
            caller_phone_masked=phone_masked,
            caller_phone_hash=phone_key,
            unit=unit,
            facility=facility,
            location=(intake.location or "").strip()[:200],
            neighbour_dispute=intake.neighbour_dispute,
            subject=subject[:200],
            description=(intake.description or "").strip(),
            needs_written_answer=intake.needs_written_answer and kind == Kind.INQUIRY,
            received_at=received_at,
            received_by=actor if getattr(actor, "pk", None) and resident is None else None,
            resident=resident,
            reporter_ip=reporter_ip,
            department=category.department if category else None,
            from_company=intake.from_company,
            company_reference=intake.company_reference.strip()[:60],
            needs_callback=needs_callback,
        )
        clock, due_at = _clock_for(
            kind,
            needs_written_answer=ticket.needs_written_answer,
            agreed_at=agreed_at,
            received_at=received_at,
            settings=settings,
        )
        _set_clock(ticket, clock, due_at, settings, start=received_at)
        if intake.handled_at_once:
            ticket.met_at = now
            ticket.completed_at = now
            ticket.state = State.COMPLETED
            if not needs_callback:
                ticket.state, ticket.closed_at = State.CLOSED, now
                ticket.close_reason = _("handled at once")
        ticket.save()
        if kind == Kind.COMPLAINT:
            event = ComplaintEvent.objects.create(site=site, primary=ticket)
            ticket.event, ticket.is_event_primary = event, True
            ticket.save(update_fields=["event", "is_event_primary"])
        move_facts(None, facts_of(ticket, site_zone(site)))
        add_step(ticket, actor, Step("registered", note=ticket.description[:500]))
        if intake.handled_at_once:
            add_step(ticket, actor, Step("handled_at_once", note=answer), from_state=State.OPEN)
            if ticket.state == State.COMPLETED:
                _open_callback(ticket, settings, now)
        for upload in intake.files:
            _attach(ticket, upload, actor)
        record_create(actor, ticket)
    return ticket


def the_only_unit_of(person: Person) -> Unit | None:
    """The unit a customer is at now, when there is exactly one (owner, tenant or household)."""
    found = with_current_units(Person.objects.filter(pk=person.pk)).get()
    units = {
        entry.unit
        for name in ("current_ownerships", "current_tenancies", "current_households")
        for entry in getattr(found, name)
    }
    return units.pop() if len(units) == 1 else None


def _attach(ticket: Ticket, upload, actor, work_order: WorkOrder | None = None) -> Attachment:
    size = getattr(upload, "size", 0) or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise invalid("files", _("A file may be at most 10 MB."), "too_large")
    name = getattr(upload, "name", "") or "file"
    return Attachment.objects.create(
        ticket=ticket,
        work_order=work_order,
        file=upload,
        name=name[-200:],
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )


def add_attachments(*, ticket: Ticket, actor, files, work_order: WorkOrder | None = None) -> int:
    with changing(ticket, actor, action="attached") as (locked, step):
        for upload in files:
            _attach(locked, upload, actor, work_order)
        step.data = {"files": [getattr(f, "name", "") for f in files]}
    return len(files)


# ---------------------------------------------------------------------------------------------
# Dispatch (R-REP-01) and work orders (R-REP-02)


def _staff_of_site(employee, site, name: str = "assignee") -> Employee | None:
    if employee in (None, ""):
        return None
    if not isinstance(employee, Employee):
        employee = Employee.objects.filter(pk=employee).select_related("post").first()
    if employee is None or employee.site_id != site.pk or not employee.is_active:
        raise invalid(name, _("Choose someone in service at this site."), "outside_site")
    return employee


def _rotate(category: Category) -> Employee | None:
    """The category's worker who has waited longest for a job (rotation)."""
    # One rotation at a time per category: the category's row is the lock.
    Category.objects.select_for_update().filter(pk=category.pk).first()
    worker = (
        CategoryWorker.objects.select_for_update(of=("self",))
        .filter(category=category, employee__is_active=True)
        .select_related("employee")
        .order_by(F("last_assigned_at").asc(nulls_first=True), "employee__number", "id")
        .first()
    )
    if worker is None:
        return None
    worker.last_assigned_at = timezone.now()
    worker.save(update_fields=["last_assigned_at"])
    return worker.employee


def _active_order(ticket: Ticket) -> WorkOrder | None:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, state__in=WorkOrder.ACTIVE_STATES)
        .first()
    )


def dispatch_ticket(
    *,
    ticket: Ticket,
    actor,
    department: Department | int | None = None,
    assignee: Employee | int | None = None,
    visit_at: datetime.datetime | None = None,
    category: Category | int | None = None,
    version: int | None = None,
) -> Ticket:
    """Give the ticket to a department and a person; a repair gets a work order with its
    agreed visit time. Reassigning an assigned ticket moves its live work order to the new
    worker. How a repair finds its worker follows the category's dispatch mode: the desk's
    choice, an offer to the pool, or the next worker in rotation."""
    with changing(ticket, actor, action="dispatched", perm="servicedesk.dispatch_ticket",
                  version=version) as (t, step):  # fmt: skip
        _require_state(
            t,
            (State.OPEN, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD),
            _("Only an open ticket can be dispatched."),
        )
        now = _now()
        with collecting() as errors:
            if category not in (None, ""):
                chosen = errors.check(_scoped, Category, category, t.site, "category", _("category"))  # fmt: skip
                if chosen is not None and chosen.kind != t.kind:
                    errors.add("category", _("This category is for another kind of ticket."), "mismatch")  # fmt: skip
                elif chosen is not None:
                    t.category = chosen
            mode = t.category.dispatch_mode if t.category else DispatchMode.DESK
            worker = errors.check(_staff_of_site, assignee, t.site)
            if department not in (None, ""):
                dept = department if isinstance(department, Department) else (
                    Department.objects.filter(pk=department, company_id=t.site.company_id).first()
                )  # fmt: skip
                if dept is None or dept.company_id != t.site.company_id:
                    errors.add("department", _("No such department."), "not_found")
                else:
                    t.department = dept
            elif worker is not None:
                t.department = worker.post.department
            elif t.category is not None:
                t.department = t.category.department
            if t.department is None and not errors.has("department"):
                errors.add("department", _("Choose the department responsible."), "required")
            if worker is None and mode == DispatchMode.ROTATION and t.category is not None:
                worker = _rotate(t.category)
            needs_person = t.kind != Kind.REPAIR or mode == DispatchMode.DESK
            if worker is None and needs_person and not errors.has("assignee"):
                errors.add("assignee", _("Choose the person responsible."), "required")
            visit_at = errors.check(_future, visit_at, "visit_at", now) if visit_at else None
            if t.kind == Kind.REPAIR and visit_at is None and not errors.has("visit_at"):
                order = _active_order(t)
                if order is None and (t.due_at is None or t.due_at <= now):
                    errors.add("visit_at", _("Agree a visit time with the resident."), "required")
        previous = t.assignee
        t.assignee = worker
        order = None
        if t.kind == Kind.REPAIR:
            order = _active_order(t)
            if visit_at is None:
                visit_at = order.visit_at if order else t.due_at
            order = _place_work_order(t, order, worker, visit_at)
            if t.met_at is None:
                _set_clock(t, Ticket.Clock.VISIT, visit_at, desk_settings(t.site))
            step.data["work_order"] = order.number
        if t.state in (State.OPEN, State.ON_HOLD) or (previous and previous != worker):
            t.state = State.ASSIGNED
        t.hold_reason = ""
        if worker is None:
            step.action, step.note = "offered", _("offered to the pool")
        elif previous is not None and previous != worker:
            step.action = "reassigned"
        step.data.update(
            {
                "department": str(t.department),
                "assignee": str(worker) if worker else None,
                "visit_at": visit_at.isoformat() if visit_at else None,
            }
        )
    return ticket


def _place_work_order(t: Ticket, order: WorkOrder | None, worker, visit_at) -> WorkOrder:
    if order is None:
        year = visit_at.astimezone(site_zone(t.site)).year
        number = next_document_number(site=t.site, kind="work_order", year=year)
        order = WorkOrder(
            site=t.site, ticket=t, number=format_document_number("WO-", t.site, year, number)
        )
    order.worker = worker
    order.visit_at = visit_at
    order.state = WoState.ASSIGNED if worker else WoState.OFFERED
    order.accepted_at = order.arrived_at = None
    order.hold_reason = ""
    order.save()
    return order


def _order_for(work_order: WorkOrder | int, actor, *, allow_dispatcher: bool = True):
    """The work order, locked, if `actor` is its worker (or may dispatch for them)."""
    pk = work_order if isinstance(work_order, int) else work_order.pk
    order = (
        WorkOrder.objects.select_for_update(of=("self",)).select_related("site", "worker")
        .get(pk=pk)
    )  # fmt: skip
    ensure_site_access(actor, order.site)
    is_worker = order.worker is not None and order.worker.user_id == getattr(actor, "pk", None)
    if not is_worker and not (allow_dispatcher and actor.has_perm("servicedesk.dispatch_ticket")):
        raise PermissionDenied(_("This work order is someone else's."))
    if is_worker and not actor.has_perm("servicedesk.work_on_workorder"):
        raise PermissionDenied(_("Your role does not allow this action."))
    return order


def take_work_order(*, work_order: WorkOrder, actor) -> WorkOrder:
    """A worker takes an order offered to the pool; of two at once, one wins."""
    with transaction.atomic():
        ensure_can(actor, "servicedesk.work_on_workorder", work_order.site)
        worker = employee_of(actor, work_order.site)
        if worker is None:
            raise PermissionDenied(_("Only a member of the site's staff can take work."))
        now = _now()
        taken = WorkOrder.objects.filter(
            pk=work_order.pk, state=WoState.OFFERED, worker__isnull=True
        ).update(worker=worker, state=WoState.ACCEPTED, accepted_at=now)
        if not taken:
            raise invalid(None, _("Someone else has already taken this job."), "taken")
        with changing(work_order.ticket_id, actor, action="taken", perm=None) as (t, step):
            t.assignee = worker
            t.department = t.department or worker.post.department
            t.state = State.IN_PROGRESS
            step.data = {"work_order": work_order.number, "worker": str(worker)}
    work_order.refresh_from_db()
    return work_order


def accept_work_order(*, work_order: WorkOrder, actor) -> WorkOrder:
    with transaction.atomic():
        order = _order_for(work_order, actor)
        if order.state != WoState.ASSIGNED:
            raise invalid(None, _("Only an assigned work order can be accepted."), "wrong_state")
        order.state, order.accepted_at = WoState.ACCEPTED, _now()
        order.save()
        with changing(order.ticket_id, actor, action="accepted", perm=None) as (t, step):
            t.state = State.IN_PROGRESS
            step.data = {"work_order": order.number}
    work_order.refresh_from_db()
    return work_order


def record_arrival(*, work_order: WorkOrder, actor) -> WorkOrder:
    """The worker is on site: the repair's visit clock is met."""
    with transaction.atomic():
        order = _order_for(work_order, actor)
        if order.state not in (WoState.ASSIGNED, WoState.ACCEPTED, WoState.ON_HOLD):
            raise invalid(None, _("Arrival can't be recorded at this stage."), "wrong_state")
        now = _now()
        order.accepted_at = order.accepted_at or now
        order.state, order.arrived_at, order.hold_reason = WoState.ARRIVED, now, ""
        order.save()
        with changing(order.ticket_id, actor, action="arrived", perm=None) as (t, step):
            t.state = State.IN_PROGRESS
            t.hold_reason = ""
            if t.met_at is None:
                t.met_at = now
            step.data = {"work_order": order.number}
    work_order.refresh_from_db()
    return work_order


@dataclass
class MaterialLine:
    name: str
    quantity: Decimal
    unit_label: str = ""


def finish_work_order(
    *,
    work_order: WorkOrder,
    actor,
    work_done: str,
    result: str,
    materials: list[MaterialLine] = (),
    files=(),
    price_item: PriceItem | int | None = None,
    quantity: Decimal | None = None,
    charge_amount: Decimal | None = None,
) -> WorkOrder:
    """The worker records what was done, what it used and how it ended (R-REP-02). Fixed or
    partly fixed completes the ticket; waiting for parts puts it on hold; not fixed sends it
    back to the desk to dispatch again. A paid job carries its price-list item and amount
    (R-REP-03), which billing takes from `paid_service_charges`."""
    with transaction.atomic():
        order = _order_for(work_order, actor)
        if order.state not in (WoState.ACCEPTED, WoState.ARRIVED):
            raise invalid(None, _("Record arrival before finishing the job."), "wrong_state")
        with collecting() as errors:
            work_done = errors.check(_text, work_done, "work_done", _("Say what was done."))
            if result not in WorkOrder.Result.values:
                errors.add("result", _("Choose how the job ended."), "invalid_choice")
            item = errors.check(
                _scoped, PriceItem, price_item, order.site, "price_item", _("paid service")
            )
            amount = None if errors.has("price_item") else errors.check(_charge, item, quantity, charge_amount)  # fmt: skip
            used = [line for line in materials if line.name.strip()]
            if any(line.quantity is None or Decimal(line.quantity) <= 0 for line in used):
                errors.add("materials", _("A material's quantity must be more than 0."), "quantity")  # fmt: skip
        now = _now()
        for line in used:
            Material.objects.create(
                work_order=order, name=line.name.strip()[:100], quantity=line.quantity,
                unit_label=line.unit_label[:10],
            )  # fmt: skip
        order.work_done, order.result, order.finished_at = work_done, result, now
        order.arrived_at = order.arrived_at or now
        if result == WorkOrder.Result.NEEDS_PARTS:
            order.state, order.hold_reason = WoState.ON_HOLD, _("waiting for parts")
        else:
            order.state = WoState.DONE
        order.save()
        with changing(order.ticket_id, actor, action="work_finished", perm=None) as (t, step):
            for upload in files:
                _attach(t, upload, actor, order)
            if t.met_at is None:
                t.met_at = order.arrived_at
            if item is not None:
                t.price_item, t.charge_amount = item, amount
            step.note = work_done
            step.data = {"work_order": order.number, "result": result}
            if result in (WorkOrder.Result.FIXED, WorkOrder.Result.PARTLY):
                _complete(t, now)
            elif result == WorkOrder.Result.NEEDS_PARTS:
                t.state, t.hold_reason = State.ON_HOLD, order.hold_reason
            else:
                t.state, t.assignee = State.OPEN, None
    work_order.refresh_from_db()
    return work_order


def _charge(item: PriceItem | None, quantity, amount) -> Decimal | None:
    if item is None:
        if amount not in (None, ""):
            raise invalid("price_item", _("A charge needs its price-list item."), "required")
        return None
    if amount not in (None, ""):
        amount = Decimal(amount)
    else:
        amount = (item.price * Decimal(quantity or 1)).quantize(Decimal("0.01"))
    if amount < 0:
        raise invalid("charge_amount", _("A charge can't be negative."), "negative")
    return amount


def sign_off_work_order(
    *, work_order: WorkOrder, actor, signed_by: str, rating: int | None = None,
    comment: str = "", authorised: bool = False,
) -> WorkOrder:  # fmt: skip
    """The resident signs the job off and may rate it 1–5 (R-REP-02), on the worker's phone
    or on their own pages (`authorised`: the portal checked the ticket is theirs)."""
    with transaction.atomic():
        if authorised:
            order = WorkOrder.objects.select_for_update(of=("self",)).get(pk=work_order.pk)
        else:
            order = _order_for(work_order, actor)
        if order.state != WoState.DONE:
            raise invalid(None, _("The job can be signed off once it is done."), "wrong_state")
        if order.signed_at is not None:
            raise invalid(None, _("This job has already been signed off."), "signed")
        signed_by = _text(signed_by, "signed_by", _("Who signs the job off?"))
        if rating not in (None, ""):
            rating = int(rating)
            if not 1 <= rating <= 5:
                raise invalid("rating", _("A rating is 1 to 5."), "range")
        order.signed_by, order.signed_at = signed_by[:100], _now()
        order.rating, order.rating_comment = rating or None, (comment or "").strip()[:500]
        order.save()
        with changing(order.ticket_id, actor, action="signed_off", perm=None) as (t, step):
            step.data = {"work_order": order.number, "rating": order.rating}
            step.note = order.rating_comment
    work_order.refresh_from_db()
    return work_order


# ---------------------------------------------------------------------------------------------
# Holding, deferring, escalating, hurrying


def hold_ticket(*, ticket: Ticket, actor, reason: str, version: int | None = None) -> Ticket:
    with changing(ticket, actor, action="held", version=version) as (t, step):
        _require_state(
            t, (State.OPEN, State.ASSIGNED, State.IN_PROGRESS), _("Only open work can be held.")
        )
        reason = _text(reason, "reason", _("Say why the work is held."))
        t.state, t.hold_reason, step.note = State.ON_HOLD, reason[:200], reason
        order = _active_order(t)
        if order is not None:
            order.state, order.hold_reason = WoState.ON_HOLD, reason[:200]
            order.save()
    return ticket


def _resume_state(t: Ticket) -> str:
    order = WorkOrder.objects.filter(ticket=t, state__in=WorkOrder.ACTIVE_STATES).first()
    if order is not None and order.accepted_at:
        order.state = WoState.ARRIVED if order.arrived_at else WoState.ACCEPTED
        order.hold_reason = ""
        order.save()
        return State.IN_PROGRESS
    if order is not None:
        order.state = WoState.ASSIGNED if order.worker_id else WoState.OFFERED
        order.hold_reason = ""
        order.save()
    return State.ASSIGNED if t.assignee_id or order is not None else State.OPEN


def resume_ticket(*, ticket: Ticket, actor, version: int | None = None) -> Ticket:
    with changing(ticket, actor, action="resumed", version=version) as (t, step):
        _require_state(t, (State.ON_HOLD, State.DEFERRED), _("This ticket is not held."))
        t.state = _resume_state(t)
        t.hold_reason, t.deferred_until = "", None
    return ticket


def defer_ticket(
    *, ticket: Ticket, actor, until: datetime.date, reason: str, version: int | None = None
) -> Ticket:
    """Put a ticket aside until a date; the sweep reopens it then."""
    with changing(ticket, actor, action="deferred", version=version) as (t, step):
        _require_state(
            t, (State.OPEN, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD),
            _("Only open work can be deferred."),
        )  # fmt: skip
        today = timezone.localdate(timezone=site_zone(t.site))
        if until is None or until <= today:
            raise invalid("until", _("Defer to a date after today."), "past")
        reason = _text(reason, "reason", _("Say why the work is deferred."))
        t.state, t.deferred_until, t.hold_reason = State.DEFERRED, until, reason[:200]
        step.note, step.data = reason, {"until": until.isoformat()}
    return ticket


def reopen_deferred(ticket: Ticket) -> Ticket:
    """The deferral date has come: the ticket is open again (run by the sweep)."""
    with changing(ticket, None, action="undeferred", perm=None) as (t, step):
        if t.state != State.DEFERRED:
            step.action = ""  # resumed by hand meanwhile
        else:
            t.state = _resume_state(t)
            step.note = _("deferred until %(day)s") % {"day": t.deferred_until}
            t.deferred_until, t.hold_reason = None, ""
    return ticket


def escalation_target(t: Ticket) -> Employee | None:
    """Who a ticket goes up to: the responsible person's superior, else the receiving
    clerk's, else the head of the ticket's department (R-ADM-01's chain)."""
    for employee in (t.assignee, employee_of(t.received_by, t.site)):
        if employee is not None:
            up = next_up(employee)
            if up is not None:
                return up
    if t.department_id:
        return (
            Employee.objects.filter(
                site=t.site, post__department_id=t.department_id, post__is_head=True,
                is_active=True,
            ).order_by("number").first()
        )  # fmt: skip
    return None


def escalate_ticket(*, ticket: Ticket, actor, note: str = "", version: int | None = None) -> Ticket:
    with changing(ticket, actor, action="escalated", version=version) as (t, step):
        _require_open(t)
        target = escalation_target(t) if t.escalated_to is None else next_up(t.escalated_to)
        if target is None:
            raise invalid(None, _("There is nobody above to escalate to."), "no_superior")
        t.escalated_to = target
        step.note, step.data = note, {"to": str(target)}
    return ticket


def hurry_ticket(*, ticket: Ticket, actor, note: str = "", authorised: bool = False) -> Ticket:
    """催单: the caller asks again. Counted and shown to the supervisor."""
    from .models import Hurry

    perm = None if authorised else "servicedesk.change_ticket"
    with changing(ticket, actor, action="hurried", perm=perm) as (t, step):
        _require_open(t)
        Hurry.objects.create(ticket=t, at=_now(), by=actor if getattr(actor, "pk", None) else None,
                             note=(note or "").strip()[:300])  # fmt: skip
        t.hurry_count += 1
        step.note = note
    return ticket


# ---------------------------------------------------------------------------------------------
# Answering, completing, callbacks and closing (R-CMP-06, R-CMP-10, R-REP-04)


def answer_ticket(*, ticket: Ticket, actor, answer: str, complete: bool = False,
                  version: int | None = None) -> Ticket:  # fmt: skip
    """The first (or written, or agreed) answer is given; `complete` when it settles it."""
    with changing(ticket, actor, action="answered", version=version) as (t, step):
        _require_open(t)
        step.note = _text(answer, "answer", _("Write the answer given."))
        now = _now()
        if t.met_at is None and t.clock != Ticket.Clock.VISIT:
            t.met_at = now
        if complete:
            if t.kind == Kind.REPAIR:
                raise invalid(None, _("A repair completes when its work order is finished."), "repair")  # fmt: skip
            _complete(t, now)
    return ticket


def _complete(t: Ticket, now) -> None:
    t.completed_at = now
    t.state = State.COMPLETED
    t.hold_reason = ""
    if t.kind == Kind.COMPLAINT and t.verified_at is None:
        t.verified_at = now
    settings = desk_settings(t.site)
    if t.needs_callback:
        _open_callback(t, settings, now)
    elif t.kind != Kind.COMPLAINT:
        # Nothing more to wait for; a complaint without callback waits a week (R-CMP-10).
        t.state, t.closed_at, t.close_reason = State.CLOSED, now, _("completed")


def _open_callback(t: Ticket, settings: DeskSettings, now) -> Callback:
    callback, _created = Callback.objects.get_or_create(
        ticket=t,
        done_at=None,
        defaults={
            "site_id": t.site_id,
            "due_at": now + datetime.timedelta(days=settings.callback_within_days),
        },
    )
    return callback


def complete_ticket(*, ticket: Ticket, actor, note: str, version: int | None = None) -> Ticket:
    """The matter is dealt with (for a complaint: the work is verified, R-CMP-06)."""
    with changing(ticket, actor, action="completed", version=version) as (t, step):
        _require_state(
            t, (State.OPEN, State.ASSIGNED, State.IN_PROGRESS),
            _("Only open work can be completed."), "not_open",
        )  # fmt: skip
        if t.kind == Kind.REPAIR:
            raise invalid(None, _("A repair completes when its work order is finished."), "repair")
        step.note = _text(note, "note", _("Say what was done."))
        now = _now()
        if t.met_at is None:
            t.met_at = now
        _complete(t, now)
    return ticket


def record_callback(
    *, ticket: Ticket, actor, satisfied: bool, comment: str = "", method: str = "phone",
    version: int | None = None,
) -> Ticket:  # fmt: skip
    """回访: the resident's verdict. Satisfied closes the ticket; not satisfied reopens it and
    counts the reopening (R-CMP-06, R-CMP-10, R-REP-04)."""
    with changing(ticket, actor, action="called_back", version=version) as (t, step):
        if t.state != State.COMPLETED:
            raise invalid(None, _("A callback follows completed work; this ticket is not completed."), "not_completed")  # fmt: skip
        if satisfied is None:
            raise invalid("satisfied", _("Record whether the resident was satisfied."), "required")
        if method not in Callback.Method.values:
            raise invalid("method", _("Choose how the callback was made."), "invalid_choice")
        callback = (
            Callback.objects.select_for_update().filter(ticket=t, done_at__isnull=True).first()
        )
        now = _now()
        if callback is None:
            callback = Callback(site_id=t.site_id, ticket=t, due_at=now)
        callback.done_at, callback.done_by = now, actor
        callback.method, callback.satisfied = method, bool(satisfied)
        callback.comment = (comment or "").strip()[:500]
        callback.save()
        t.called_back_at, t.satisfied = now, bool(satisfied)
        step.note = callback.comment
        step.data = {"satisfied": bool(satisfied), "method": method}
        if satisfied:
            t.state, t.closed_at, t.close_reason = State.CLOSED, now, _("satisfied callback")
        else:
            _reopen(t)
    return ticket


def _reopen(t: Ticket) -> None:
    t.reopen_count += 1
    t.completed_at = None
    t.satisfied = False
    t.state = State.ASSIGNED if t.assignee_id else State.OPEN
    if t.kind == Kind.REPAIR:
        t.state, t.assignee = State.OPEN, None  # the desk agrees a new visit


def closes_by_callback_only(ticket: Ticket) -> bool:
    """Work that needs a callback closes only on a satisfied callback made after its last
    reopening — which closes it by itself — or by force (R-CMP-06, R-CMP-10). A ticket that
    was reopened by a "not satisfied" callback and completed again has a callback in its past,
    but not one that speaks for the work as it is now."""
    return ticket.needs_callback


def close_ticket(*, ticket: Ticket, actor, note: str = "", version: int | None = None) -> Ticket:
    """Close completed work that needs no callback by hand (a complaint waiting out its week,
    R-CMP-10). Work that needs a callback is closed by a satisfied one, or force-closed with a
    reason and counted as not satisfied (R-CMP-06)."""
    with changing(ticket, actor, action="closed", version=version) as (t, step):
        if t.state != State.COMPLETED:
            raise invalid(None, _("Only completed work can be closed."), "not_completed")
        if closes_by_callback_only(t):
            raise invalid(
                None,
                _(
                    "This ticket closes on a satisfied callback after its last completion; "
                    "call the resident back, or force-close it with a reason."
                ),
                "callback_due",
            )
        t.state, t.closed_at = State.CLOSED, _now()
        t.close_reason = (note or "").strip()[:200] or _("closed")
        step.note = note
    return ticket


def force_close_ticket(*, ticket: Ticket, actor, reason: str, version: int | None = None) -> Ticket:
    """A supervisor closes a ticket whatever its state, with a reason (authority matrix:
    force-close)."""
    with changing(ticket, actor, action="force_closed", perm="servicedesk.supervise_ticket",
                  version=version) as (t, step):  # fmt: skip
        if t.state == State.CLOSED:
            raise invalid(None, _("This ticket is already closed."), "closed")
        employee = employee_of(actor, t.site)
        if employee is not None and not may_approve(employee, AuthorityRule.Action.FORCE_CLOSE_TICKET):  # fmt: skip
            raise PermissionDenied(_("Your post has no authority to force-close tickets."))
        reason = _text(reason, "reason", _("Say why the ticket is closed."))
        now = _now()
        t.state, t.closed_at, t.close_reason, t.force_closed = State.CLOSED, now, reason[:200], True
        if t.needs_callback:
            t.satisfied = False  # closed without the resident's satisfaction (R-CMP-06)
        t.deferred_until = None
        order = _active_order(t)
        if order is not None:
            order.state = WoState.CANCELLED
            order.save()
        Callback.objects.filter(ticket=t, done_at__isnull=True).delete()
        step.note = reason
    return ticket


def record_quality_check(*, ticket: Ticket, actor, verdict: str, reason: str = ""):
    """A supervisor's own check of the work, kept apart from the resident's verdict."""
    from .models import QualityCheck

    with changing(ticket, actor, action="quality_checked", perm="servicedesk.supervise_ticket") as (t, step):  # fmt: skip
        if t.completed_at is None and t.state != State.CLOSED:
            raise invalid(None, _("Check the work once it is completed."), "not_completed")
        if verdict not in QualityCheck.Verdict.values:
            raise invalid("verdict", _("Choose good or poor."), "invalid_choice")
        reason = (reason or "").strip()
        if verdict == QualityCheck.Verdict.POOR and not reason:
            raise invalid("reason", _("Say why the work is poor."), "required")
        QualityCheck.objects.create(
            ticket=t, verdict=verdict, reason=reason[:500], checked_at=_now(), checked_by=actor
        )
        step.note, step.data = reason, {"verdict": verdict}
    return ticket


# ---------------------------------------------------------------------------------------------
# Paid service: the seam billing takes its charges from (R-REP-03)


def paid_service_charges(site):
    """Completed paid jobs not yet handed to billing: billing reads these, posts a charge on
    the unit's account and calls `mark_charged` with its reference."""
    return Ticket.objects.of_site(site).filter(
        charge_amount__isnull=False, charge_reference="", completed_at__isnull=False
    )


def mark_charged(*, ticket: Ticket, actor, reference: str) -> Ticket:
    with changing(ticket, actor, action="charged", perm=None) as (t, step):
        if t.charge_amount is None:
            raise invalid(None, _("This ticket carries no charge."), "no_charge")
        if t.charge_reference:
            raise invalid(None, _("This charge has already been handed to billing."), "charged")
        t.charge_reference = _text(reference, "reference", _("Give billing's reference."))[:60]
        step.data = {"reference": t.charge_reference, "amount": str(t.charge_amount)}
    return ticket
