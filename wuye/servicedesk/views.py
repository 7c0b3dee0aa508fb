"""Staff pages of the service desk: the ticket list, intake, the ticket's page and its actions,
callbacks, the daily review, the duty log, statistics and settings. Each view reads through the
scoping helpers and `queries`, hands a valid form to a service and shows what it refused."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.core.crypto import decrypt
from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object
from wuye.core.sla import clock_state
from wuye.core.spreadsheets import xlsx_response

from . import complaints, desk, forms, queries, services
from .actions import CALLS
from .facts import site_zone
from .models import Attachment, Kind, Ticket
from .policy import desk_settings
from .services import Intake, closes_by_callback_only


def _can(request, perm: str) -> None:
    ensure_can(request.user, perm, request.site)


def _today(request) -> datetime.date:
    return timezone.localdate(timezone=site_zone(request.site))


def with_clock(tickets, now=None):
    """Each ticket with its clock state, for the badges of a list."""
    now = now or timezone.now()
    for ticket in tickets:
        ticket.clock_state = clock_state(
            due_at=ticket.due_at, warn_at=ticket.warn_at, met_at=ticket.met_at, now=now
        )
    return tickets


# ---------------------------------------------------------------------------------------------
# Lists


@site_page
def ticket_list(request):
    _can(request, "servicedesk.view_ticket")
    filters = {
        "q": request.GET.get("q", "").strip()[:60],
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in Kind.values else "",
        "state": request.GET.get("state", "")
        if request.GET.get("state") in Ticket.State.values
        else "",  # fmt: skip
        "overdue": request.GET.get("overdue") == "1",
        "mine": request.GET.get("mine") == "1",
        "all": request.GET.get("all") == "1",
        "major": request.GET.get("major") == "1",
        "clock": request.GET.get("clock", "") if request.GET.get("clock") in queries.CLOCK_FILTERS else "",
        "waiting": request.GET.get("waiting") == "1",
        "oversee": request.GET.get("oversee") == "1",
    }  # fmt: skip
    me = services.employee_of(request.user, request.site)
    tickets = queries.filter_tickets(
        request.site, q=filters["q"], kind=filters["kind"], state=filters["state"],
        overdue=filters["overdue"], assignee=me.pk if filters["mine"] and me else None,
        only_open=not (filters["all"] or filters["major"] or filters["state"] in ("completed", "closed")),
        major=filters["major"],
    )  # fmt: skip
    tickets = queries.narrow_tickets(
        tickets, clock=filters["clock"], waiting=filters["waiting"],
        overseer=me if filters["oversee"] else None,
    )  # fmt: skip
    if wants_export(request):
        from .workbooks import export_tickets

        return xlsx_response(_("tickets.xlsx"), export_tickets(tickets[:50000]))
    page_obj = paginate(request, tickets)
    with_clock(page_obj.object_list)
    context = {
        "page_obj": page_obj,
        "rows": page_obj.object_list,
        "filters": filters,
        "query": query_without_page(request),
        "kinds": Kind.choices,
        "states": Ticket.State.choices,
    }
    if request.htmx:
        return render(request, "servicedesk/ticket_list.html#results", context)
    return render(request, "servicedesk/ticket_list.html", context)


@site_page
def ticket_new(request):
    _can(request, "servicedesk.add_ticket")
    form = forms.IntakeForm(
        request.POST or None, request.FILES or None, site=request.site,
        initial={"kind": request.GET.get("kind", Kind.REPAIR)},
    )  # fmt: skip

    def register(data):
        intake = Intake(**{k: v for k, v in data.items() if v not in (None, "")} | {"files": data["files"]})  # fmt: skip
        return services.register_ticket(site=request.site, actor=request.user, intake=intake)

    if request.method == "POST":
        ticket = submit_form(form, register)
        if ticket is not None:
            messages.success(
                request, _("Ticket %(number)s registered.") % {"number": ticket.number}
            )
            return redirect("servicedesk:ticket_detail", ticket.pk)
    return render(request, "servicedesk/ticket_new.html", {"form": form}, status=form_status(form))


@site_page
def duplicates(request):
    """The likely duplicates of what the clerk is typing (R-CMP-07), as a fragment."""
    _can(request, "servicedesk.view_ticket")
    kind = request.GET.get("kind", Kind.COMPLAINT)
    text = f"{request.GET.get('subject', '')} {request.GET.get('description', '')}".strip()
    found = []
    if kind in Kind.values and len(text) >= 4:
        facility = request.GET.get("facility") or None
        found = queries.likely_duplicates(
            request.site, text=text, kind=kind,
            facility=int(facility) if facility and facility.isdigit() else None,
        )  # fmt: skip
    return render(request, "servicedesk/_duplicates.html", {"found": found})


# ---------------------------------------------------------------------------------------------
# One ticket


def _ticket(request, pk) -> Ticket:
    _can(request, "servicedesk.view_ticket")
    return access_object(
        Ticket.objects.select_related(
            "unit", "facility", "person", "category", "department", "assignee", "escalated_to",
            "root_cause", "price_item", "received_by", "event", "archive",
        ),
        request.user, pk, site=request.site,
    )  # fmt: skip


def may_see_phone(user, ticket: Ticket) -> bool:
    """Full numbers for those who call residents (R-CUS-04) and the worker sent to them."""
    if user.has_perm("people.view_personal_data"):
        return True
    return bool(ticket.assignee_id and ticket.assignee.user_id == user.pk)


def caller_phone(user, ticket: Ticket) -> str:
    if ticket.caller_phone_cipher and may_see_phone(user, ticket):
        return decrypt(ticket.caller_phone_cipher)
    return ticket.caller_phone_masked


STEP_LABELS = {
    "registered": gettext_lazy("registered"),
    "handled_at_once": gettext_lazy("handled at once"),
    "attached": gettext_lazy("files added"),
    "dispatched": gettext_lazy("dispatched"),
    "offered": gettext_lazy("offered to the pool"),
    "reassigned": gettext_lazy("reassigned"),
    "taken": gettext_lazy("taken from the pool"),
    "accepted": gettext_lazy("accepted"),
    "arrived": gettext_lazy("arrived on site"),
    "work_finished": gettext_lazy("work finished"),
    "signed_off": gettext_lazy("signed off by the resident"),
    "held": gettext_lazy("put on hold"),
    "resumed": gettext_lazy("resumed"),
    "deferred": gettext_lazy("deferred"),
    "undeferred": gettext_lazy("deferral ended"),
    "escalated": gettext_lazy("escalated"),
    "hurried": gettext_lazy("hurried"),
    "answered": gettext_lazy("answered"),
    "completed": gettext_lazy("completed"),
    "called_back": gettext_lazy("called back"),
    "closed": gettext_lazy("closed"),
    "force_closed": gettext_lazy("force-closed"),
    "auto_closed": gettext_lazy("closed automatically"),
    "quality_checked": gettext_lazy("quality checked"),
    "charged": gettext_lazy("handed to billing"),
    "clock_warning": gettext_lazy("due soon"),
    "clock_breached": gettext_lazy("overdue, escalated"),
    "answer_time_agreed": gettext_lazy("first answer time agreed"),
    "investigated": gettext_lazy("investigated"),
    "negotiated": gettext_lazy("negotiation round"),
    "root_cause_set": gettext_lazy("root cause set"),
    "validity_confirmed": gettext_lazy("validity confirmed"),
    "major_marked": gettext_lazy("major complaint marked"),
    "reported_back": gettext_lazy("reported back to the company"),
    "linked": gettext_lazy("linked to the same event"),
    "help_action": gettext_lazy("help given"),
}


def labelled_steps(ticket: Ticket) -> list:
    """The ticket's history with each step's name and new state in the reader's language."""
    states = dict(Ticket.State.choices)
    steps = list(ticket.steps.select_related("actor"))
    for step in steps:
        step.label = STEP_LABELS.get(step.action, step.action)
        changed = step.from_state and step.to_state != step.from_state
        step.to_label = states.get(step.to_state, "") if changed else ""
    return steps


@dataclass(frozen=True)
class Action:
    """A button on the ticket's page: its form, who may see it and when. What it does is
    `actions.CALLS[name]`, shared with the API."""

    label: str
    form: type
    perm: str = "servicedesk.change_ticket"
    states: tuple = Ticket.OPEN_STATES
    kinds: tuple = tuple(Kind.values)
    site_form: bool = False
    danger: bool = False


S = Ticket.State
ANSWERABLE = (Kind.COMPLAINT, Kind.HELP, Kind.INQUIRY, Kind.SUGGESTION, Kind.PRAISE)
WORKING = (S.OPEN, S.ASSIGNED, S.IN_PROGRESS)
ALL_STATES = tuple(S.values)
COMPLAINT = (Kind.COMPLAINT,)
ACTIONS: dict[str, Action] = {
    "dispatch": Action(gettext_lazy("Dispatch"), forms.DispatchForm, "servicedesk.dispatch_ticket", (*WORKING, S.ON_HOLD), site_form=True),
    "answer": Action(gettext_lazy("Record an answer"), forms.AnswerForm, kinds=ANSWERABLE),
    "complete": Action(gettext_lazy("Complete"), forms.NoteForm, states=WORKING, kinds=ANSWERABLE),
    "hold": Action(gettext_lazy("Put on hold"), forms.ReasonForm, states=WORKING),
    "resume": Action(gettext_lazy("Resume"), forms.OptionalNoteForm, states=(S.ON_HOLD, S.DEFERRED)),
    "defer": Action(gettext_lazy("Defer"), forms.DeferForm, states=(*WORKING, S.ON_HOLD)),
    "hurry": Action(gettext_lazy("Record a hurry"), forms.OptionalNoteForm),
    "escalate": Action(gettext_lazy("Escalate"), forms.OptionalNoteForm),
    "callback": Action(gettext_lazy("Record the callback"), forms.CallbackForm, states=(S.COMPLETED,)),
    "close": Action(gettext_lazy("Close"), forms.OptionalNoteForm, states=(S.COMPLETED,)),
    "quality": Action(gettext_lazy("Quality check"), forms.QualityForm, "servicedesk.supervise_ticket", (S.COMPLETED, S.CLOSED)),
    "force_close": Action(gettext_lazy("Force-close"), forms.ReasonForm, "servicedesk.supervise_ticket", (*Ticket.OPEN_STATES, S.COMPLETED), danger=True),
    "agree_time": Action(gettext_lazy("Agree the first answer time"), forms.AgreeTimeForm, kinds=COMPLAINT),
    "investigate": Action(gettext_lazy("Investigation and measures"), forms.InvestigationForm, kinds=COMPLAINT),
    "negotiate": Action(gettext_lazy("Record a negotiation round"), forms.NegotiationForm, kinds=COMPLAINT),
    "root_cause": Action(gettext_lazy("Set the root cause"), forms.RootCauseForm, states=ALL_STATES, kinds=COMPLAINT, site_form=True),
    "link": Action(gettext_lazy("Link to the same event"), forms.LinkForm, states=ALL_STATES, kinds=COMPLAINT),
    "validity": Action(gettext_lazy("Valid for statistics?"), forms.ValidityForm, "servicedesk.validate_complaint", ALL_STATES, COMPLAINT),
    "major": Action(gettext_lazy("Major complaint"), forms.MajorForm, "servicedesk.validate_complaint", ALL_STATES, COMPLAINT),
    "report_back": Action(gettext_lazy("Report back to the company"), forms.ReportBackForm, states=(S.COMPLETED, S.CLOSED)),
    "help_action": Action(gettext_lazy("Record what was done"), forms.HelpActionForm, kinds=(Kind.HELP,)),
}  # fmt: skip


def _by_number(request, number: str) -> Ticket:
    number = number.strip().upper()
    found = (
        Ticket.objects.of_site(request.site)
        .filter(number__iendswith=number if len(number) >= 6 else f"-{number.zfill(6)}")
        .first()
    )
    if found is None:
        raise ValidationError(
            {"to": [_("No ticket %(number)s at this site.") % {"number": number}]}
        )
    return found


def available_actions(user, ticket: Ticket) -> list[tuple[str, Action]]:
    if ticket.archive_id is not None:
        return []  # read-only in its year's archive (R-HLP-06)
    return [
        (name, action)
        for name, action in ACTIONS.items()
        if ticket.state in action.states
        and ticket.kind in action.kinds
        and user.has_perm(action.perm)
        and not (name == "report_back" and not ticket.from_company)
        and not (name == "callback" and not ticket.needs_callback)
        and not (name == "close" and closes_by_callback_only(ticket))
    ]


def _action_form(request, name: str, action: Action, ticket: Ticket, data=None):
    kwargs = {"site": request.site} if action.site_form else {}
    initial = {}
    if name == "dispatch":
        initial = {
            "category": ticket.category_id, "department": ticket.department_id,
            "assignee": ticket.assignee_id,
        }  # fmt: skip
    return action.form(data, prefix=name, initial=initial, **kwargs)


@site_page
def ticket_detail(request, pk, failed: tuple[str, Any] | None = None):
    ticket = _ticket(request, pk)
    actions = []
    for name, action in available_actions(request.user, ticket):
        form = (
            failed[1]
            if failed and failed[0] == name
            else _action_form(request, name, action, ticket)
        )
        actions.append({"name": name, "action": action, "form": form, "open": bool(failed and failed[0] == name)})  # fmt: skip
    with_clock([ticket])
    context = {
        "ticket": ticket,
        "phone": caller_phone(request.user, ticket),
        "actions": actions,
        "steps": labelled_steps(ticket),
        "work_orders": ticket.work_orders.select_related("worker").prefetch_related("materials"),
        "attachments": ticket.attachments.all(),
        "callbacks": ticket.callbacks.select_related("done_by"),
        "help_actions": ticket.help_actions.all(),
        "guidance": complaints.guidance(ticket.help_kind) if ticket.kind == Kind.HELP else [],
        "negotiations": ticket.negotiations.all(),
        "quality_checks": ticket.quality_checks.select_related("checked_by"),
        "linked": (
            Ticket.objects.filter(event_id=ticket.event_id)
            .exclude(pk=ticket.pk)
            .order_by("received_at")
            if ticket.event_id
            else []
        ),  # fmt: skip
    }
    return render(request, "servicedesk/ticket_detail.html", context, status=400 if failed else 200)


@require_POST
@site_page
def ticket_action(request, pk, name):
    ticket = _ticket(request, pk)
    action = ACTIONS.get(name)
    if action is None:
        raise Http404(name)
    form = _action_form(request, name, action, ticket, request.POST)
    version = request.POST.get("version")

    def call(data):
        data = {**data, "version": int(version) if version and version.isdigit() else None}
        if name == "link":
            data["to"] = _by_number(request, data["to"])
        try:
            return CALLS[name](request.user, ticket, data) or True
        except PermissionDenied:
            raise
        except ValidationError as exc:
            if getattr(exc, "error_dict", None) and "version" in exc.error_dict:
                raise ValidationError({NON_FIELD_ERRORS: exc.error_dict["version"]}) from exc
            raise

    if submit_form(form, call) is not None:
        messages.success(request, _("%(action)s: done.") % {"action": action.label})
        return redirect("servicedesk:ticket_detail", ticket.pk)
    return ticket_detail.__wrapped__(request, pk, failed=(name, form))


@site_page
def attachment(request, pk):
    """A ticket's file, to those who may see the ticket."""
    _can(request, "servicedesk.view_ticket")
    found = access_object(
        Ticket.objects.all(), request.user,
        Attachment.objects.filter(pk=pk).values_list("ticket_id", flat=True).first() or 0,
        site=request.site,
    )  # fmt: skip
    item = Attachment.objects.get(pk=pk, ticket=found)
    return FileResponse(item.file.open("rb"), filename=item.name)


# ---------------------------------------------------------------------------------------------
# Callbacks, daily review, duty


@site_page
def callback_list(request):
    _can(request, "servicedesk.view_ticket")
    by_today = request.GET.get("due") == "today"
    callbacks = (
        queries.callbacks_due_by(request.site, _today(request))
        if by_today
        else queries.callbacks_due(request.site)
    )
    context = {
        "page_obj": paginate(request, callbacks),
        "now": timezone.now(),
        "by_today": by_today,
    }
    return render(request, "servicedesk/callbacks.html", context)


@site_page
def daily_review(request):
    """R-CMP-04: today's tickets and everything still open, overdue first; signed off daily."""
    _can(request, "servicedesk.view_ticket")
    today = _today(request)
    try:
        day = (
            datetime.date.fromisoformat(request.GET.get("day", ""))
            if request.GET.get("day")
            else today
        )
    except ValueError:
        day = today
    form = forms.ReviewForm(request.POST or None)
    sign = lambda d: desk.sign_daily_review(site=request.site, actor=request.user, day=day, note=d["note"])  # noqa: E731  # fmt: skip
    if request.method == "POST" and submit_form(form, sign):
        messages.success(request, _("The review of %(day)s is signed off.") % {"day": day})
        return redirect(f"{reverse('servicedesk:review')}?day={day.isoformat()}")
    from .models import DailyReview

    open_page = paginate(request, queries.open_tickets(request.site))
    with_clock(open_page.object_list)
    received = with_clock(list(queries.received_on(request.site, day)[:200]))
    context = {
        "day": day,
        "today": today,
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1) if day < today else None,
        "received": received,
        "counts": queries.review_counts(request.site, day),
        "page_obj": open_page,
        "signed": DailyReview.objects.of_site(request.site)
        .filter(day=day)
        .select_related("signed_by")
        .first(),  # fmt: skip
        "form": form,
        "recent": DailyReview.objects.of_site(request.site).select_related("signed_by")[:7],
    }
    return render(request, "servicedesk/review.html", context, status=form_status(form))


@site_page
def duty(request):
    """R-DSK-03: the shift on duty, its log, and the handover with the open tickets."""
    _can(request, "servicedesk.view_ticket")
    from .models import DutyShift

    shift = DutyShift.objects.of_site(request.site).filter(ended_at__isnull=True).select_related("on_duty").first()  # fmt: skip
    users = (
        get_user_model()
        .objects.filter(site_memberships__site=request.site, is_active=True)
        .exclude(pk=request.user.pk)
        .order_by("first_name", "username")
    )
    log_form = forms.DutyLogForm(request.POST if request.POST.get("do") == "log" else None)
    handover_form = forms.HandoverForm(
        request.POST if request.POST.get("do") == "handover" else None, users=users
    )
    if request.method == "POST":
        do = request.POST.get("do")
        done = None
        if do == "start":
            done = submit_form(forms.OptionalNoteForm({}), lambda d: desk.start_shift(site=request.site, actor=request.user))  # fmt: skip
            if done is None:
                messages.error(request, _("A shift is already on duty; take it over by handover."))
        elif do == "log":
            done = submit_form(log_form, lambda d: desk.log_duty(site=request.site, actor=request.user, text=d["text"]))  # fmt: skip
        elif do == "handover":
            done = submit_form(handover_form, lambda d: desk.hand_over(
                site=request.site, actor=request.user, to_user=d["to_user"], note=d["note"]))  # fmt: skip
        if done is not None:
            return redirect("servicedesk:duty")
    context = {
        "shift": shift,
        "entries": shift.entries.select_related("ticket") if shift else [],
        "is_mine": shift is not None and shift.on_duty_id == request.user.pk,
        "log_form": log_form,
        "handover_form": handover_form,
        "open_tickets": with_clock(list(queries.open_tickets(request.site)[:50])),
        "past": DutyShift.objects.of_site(request.site)
        .filter(ended_at__isnull=False)
        .select_related("on_duty", "handed_to")
        .prefetch_related("entries")[:10],  # fmt: skip
    }
    bound = log_form.is_bound or handover_form.is_bound
    return render(request, "servicedesk/duty.html", context, status=400 if bound else 200)


# ---------------------------------------------------------------------------------------------
# Statistics and settings


EVENTS_SHOWN = 50  # the page's share of a period's complaint events; the export has them all


@site_page
def statistics(request):
    _can(request, "servicedesk.view_desk_statistics")
    today = _today(request)
    first = today.replace(day=1)
    form = forms.PeriodForm(
        request.GET if "start" in request.GET else {"start": first, "end": today}
    )
    figures = None
    if form.is_valid():
        figures = queries.statistics(
            request.site, form.cleaned_data["start"], form.cleaned_data["end"]
        )
        figures = queries.label_statistics(figures, request.site)
        if wants_export(request):
            from .workbooks import export_statistics

            return xlsx_response(_("service-desk-statistics.xlsx"), export_statistics(figures))
    events = figures["complaint_events"] if figures else []
    return render(request, "servicedesk/statistics.html",
                  {"form": form, "figures": figures, "query": query_without_page(request),
                   "events_shown": events[:EVENTS_SHOWN],
                   "events_more": max(len(events) - EVENTS_SHOWN, 0)},
                  status=form_status(form))  # fmt: skip


@site_page
def desk_settings_page(request):
    _can(request, "servicedesk.view_desksettings")
    site = request.site
    can_change = request.user.has_perm("servicedesk.change_desksettings")
    do = request.POST.get("do") if request.method == "POST" else None
    current = desk_settings(site)
    settings_form = forms.SettingsForm(request.POST if do == "settings" else None, instance=current)
    category_form = forms.CategoryForm(request.POST if do == "category" else None, site=site)
    cause_form = forms.NameForm(request.POST if do == "root_cause" else None, prefix="cause")
    price_form = forms.PriceItemForm(request.POST if do == "price" else None, prefix="price")
    done = None
    if do == "settings":
        done = submit_form(settings_form, lambda d: desk.update_desk_settings(site=site, actor=request.user, **d))  # fmt: skip
    elif do == "category":
        done = submit_form(category_form, lambda d: desk.save_category(site=site, actor=request.user, **d))  # fmt: skip
    elif do == "root_cause":
        done = submit_form(cause_form, lambda d: desk.save_root_cause(site=site, actor=request.user, name=d["name"]))  # fmt: skip
    elif do == "price":
        done = submit_form(price_form, lambda d: desk.save_price_item(site=site, actor=request.user, **d))  # fmt: skip
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("servicedesk:settings")
    from .models import Category, PriceItem, RootCause

    context = {
        "can_change": can_change,
        "settings_form": settings_form,
        "category_form": category_form,
        "cause_form": cause_form,
        "price_form": price_form,
        "categories": Category.objects.of_site(site)
        .select_related("department")
        .prefetch_related("workers__employee"),  # fmt: skip
        "root_causes": RootCause.objects.of_site(site),
        "price_items": PriceItem.objects.of_site(site),
    }
    return render(
        request, "servicedesk/settings.html", context, status=400 if do and done is None else 200
    )
