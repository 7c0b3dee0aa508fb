"""What only complaints and help requests go through (R-CMP-03…12, R-HLP-01…05): agreed answer
times, investigation and negotiation, root causes, validity and major complaints, events that
several complaints share, reports back to the company, and what was done in an emergency."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.errors import invalid

from .facts import facts_of, move_facts, site_zone
from .models import ComplaintEvent, HelpAction, HelpKind, Kind, NegotiationRound, RootCause, Ticket
from .services import (
    _future,
    _now,
    _require_open,
    _scoped,
    _set_clock,
    _text,
    changing,
    desk_settings,
)

State = Ticket.State


def _require_complaint(t: Ticket) -> None:
    if t.kind != Kind.COMPLAINT:
        raise invalid(None, _("This applies to complaints only."), "not_complaint")


def agree_answer_time(*, ticket: Ticket, actor, answer_at: datetime.datetime, version=None):
    """R-CMP-03: the time of the first answer, agreed with the complainant, starts the clock."""
    with changing(ticket, actor, action="answer_time_agreed", version=version) as (t, step):
        _require_complaint(t)
        _require_open(t)
        if t.met_at is not None:
            raise invalid(None, _("The first answer has already been given."), "answered")
        answer_at = _future(answer_at, "answer_at", _now())
        _set_clock(t, Ticket.Clock.AGREED_ANSWER, answer_at, desk_settings(t.site))
        step.data = {"answer_at": answer_at.isoformat()}
    return ticket


def record_investigation(*, ticket: Ticket, actor, investigation: str, measures: str, version=None):
    """R-CMP-05: what the on-site investigation found and the measures proposed."""
    with changing(ticket, actor, action="investigated", version=version) as (t, step):
        _require_complaint(t)
        _require_open(t)
        t.investigation = _text(investigation, "investigation", _("Say what the investigation found."))  # fmt: skip
        t.measures = _text(measures, "measures", _("Say what measures are proposed."))
        step.note = t.measures
    return ticket


def record_negotiation(*, ticket: Ticket, actor, proposal: str, response: str, agreed: bool):
    """R-CMP-05: one round of talks; rounds go on until the complainant agrees."""
    with changing(ticket, actor, action="negotiated") as (t, step):
        _require_complaint(t)
        _require_open(t)
        if t.negotiations.filter(agreed=True).exists():
            raise invalid(None, _("The complainant has already agreed."), "agreed")
        NegotiationRound.objects.create(
            ticket=t,
            at=_now(),
            proposal=_text(proposal, "proposal", _("Say what was proposed.")),
            response=(response or "").strip(),
            agreed=bool(agreed),
            recorded_by=actor,
        )
        if t.met_at is None:
            t.met_at = _now()  # the first talk answers the complaint
        step.note = proposal
        step.data = {"agreed": bool(agreed), "round": t.negotiations.count()}
    return ticket


def set_root_cause(*, ticket: Ticket, actor, root_cause: RootCause | int, version=None):
    """R-CMP-09: the handler's final root cause, whatever the caller called it."""
    with changing(ticket, actor, action="root_cause_set", version=version) as (t, step):
        _require_complaint(t)
        cause = _scoped(RootCause, root_cause, t.site, "root_cause", _("root cause"))
        if cause is None or not cause.is_active:
            raise invalid("root_cause", _("Choose a root cause in use."), "required")
        t.root_cause = cause
        step.data = {"root_cause": cause.name}
    return ticket


def confirm_validity(*, ticket: Ticket, actor, valid: bool, note: str = "", version=None):
    """R-CMP-12: a designated person confirms whether the complaint counts in the statistics."""
    with changing(ticket, actor, action="validity_confirmed", perm="servicedesk.validate_complaint",
                  version=version) as (t, step):  # fmt: skip
        _require_complaint(t)
        if valid is None:
            raise invalid("valid", _("Say whether the complaint is valid."), "required")
        t.is_valid = bool(valid)
        step.note, step.data = note, {"valid": bool(valid)}
    return ticket


def mark_major(*, ticket: Ticket, actor, major: bool, note: str = "", version=None):
    """R-CMP-11: a major complaint is filed apart."""
    with changing(ticket, actor, action="major_marked", perm="servicedesk.validate_complaint",
                  version=version) as (t, step):  # fmt: skip
        _require_complaint(t)
        t.is_major = bool(major)
        step.note, step.data = note, {"major": bool(major)}
    return ticket


def report_back(*, ticket: Ticket, actor, report: str, version=None):
    """R-CMP-06: a complaint passed down from the company is reported back with its result."""
    with changing(ticket, actor, action="reported_back", version=version) as (t, step):
        if not t.from_company:
            raise invalid(None, _("Only a complaint passed down from the company is reported back."), "not_from_company")  # fmt: skip
        if t.completed_at is None and t.state != State.CLOSED:
            raise invalid(None, _("Report back once the work is completed."), "not_completed")
        step.note = _text(report, "report", _("Write the result reported to the company."))
        t.reported_back_at = _now()
    return ticket


def count_people(callers) -> int:
    """How many people the contacts `(ticket id, customer id, phone hash)` came from
    (R-CMP-07): one person per customer record, else per keyed phone hash — and a customer who
    once called from a phone is the same person when that phone calls without being picked.
    A masked phone never stands for anyone: two numbers share a mask. A contact with neither
    counts as a person of its own."""
    parent: dict = {}

    def root(key):
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for ticket_id, person_id, phone_key in callers:
        keys = [k for k in (("person", person_id), ("phone", phone_key)) if k[1]]
        keys = keys or [("contact", ticket_id)]
        first = root(keys[0])
        for key in keys[1:]:
            parent[root(key)] = first
    return len({root(key) for key in parent})


def _recount(event: ComplaintEvent) -> None:
    """Keep the event's people and times (R-CMP-07) and its primary complaint: the earliest."""
    complaints = Ticket.objects.filter(event=event)
    stats = complaints.aggregate(times=Count("id"), first=Min("received_at"))
    event.times_count = stats["times"] or 0
    event.people_count = count_people(
        complaints.values_list("pk", "person_id", "caller_phone_hash")
    )
    primary = complaints.order_by("received_at", "id").first()
    for ticket in complaints.select_for_update(of=("self",)):
        should = primary is not None and ticket.pk == primary.pk
        if ticket.is_event_primary != should:
            zone = site_zone(event.site)
            before = facts_of(ticket, zone)
            ticket.is_event_primary = should
            ticket.save(update_fields=["is_event_primary"])
            move_facts(before, facts_of(ticket, zone))
    event.primary = primary
    event.save()


def link_complaint(*, ticket: Ticket, actor, to: Ticket | int, reach: str = ""):
    """R-CMP-07: this complaint is about the same event as `to`; they count as one, recording
    how many people complained how many times. Different matters from one owner stay apart
    (R-CMP-08): only the desk links, and only complaints of one site."""
    with changing(ticket, actor, action="linked") as (t, step):
        _require_complaint(t)
        other = _scoped(Ticket, to, t.site, "to", _("complaint"))
        if other is None or other.kind != Kind.COMPLAINT:
            raise invalid("to", _("Link complaints to complaints."), "not_complaint")
        if other.event_id == t.event_id:
            raise invalid("to", _("These complaints are already linked."), "linked")
        old_event = t.event
        t.event_id = other.event_id
        t.save(update_fields=["event"])
        event = ComplaintEvent.objects.select_for_update().get(pk=other.event_id)
        if reach.strip():
            event.reach = reach.strip()[:200]
        _recount(event)
        t.refresh_from_db(fields=["is_event_primary"])
        if old_event is not None and not old_event.complaints.exists():
            old_event.primary = None
            old_event.save(update_fields=["primary"])
            old_event.delete()
        step.data = {"to": other.number, "people": event.people_count, "times": event.times_count}
    return ticket


# ---------------------------------------------------------------------------------------------
# Help requests (R-HLP-01, R-HLP-04, R-HLP-05)

GUIDANCE: dict[str, list[str]] = {
    HelpKind.MEDICAL: [
        gettext_lazy("Take the address and the phone number first."),
        gettext_lazy("Call 120; send a guard to meet the ambulance at the gate."),
        gettext_lazy("Tell the supervisor; escort to hospital or give short-term care."),
    ],
    HelpKind.CRIME: [
        gettext_lazy("Call the police (110) first."),
        gettext_lazy("Then tell the supervisor and security."),
        gettext_lazy("Keep the scene as it is and note witnesses."),
    ],
    HelpKind.DISASTER: [
        gettext_lazy("Fire: call 119 and the police, then the supervisor and security."),
        gettext_lazy("Gas leak or burst pipe: call the engineering supervisor directly."),
        gettext_lazy("Typhoon or flood: tell the supervisor; follow the emergency plan."),
    ],
}


def guidance(help_kind: str) -> list[str]:
    return [str(line) for line in GUIDANCE.get(help_kind, [])]


def record_help_action(
    *, ticket: Ticket, actor, action: str, done_at: datetime.datetime | None = None, note: str = ""
):
    """What was done for a help request and when; the first action answers it (R-HLP-02)."""
    with changing(ticket, actor, action="help_action") as (t, step):
        if t.kind != Kind.HELP:
            raise invalid(None, _("This applies to help requests only."), "not_help")
        if action not in HelpAction.Action.values:
            raise invalid("action", _("Choose what was done."), "invalid_choice")
        now = _now()
        done_at = done_at or now
        if timezone.is_naive(done_at):
            done_at = timezone.make_aware(done_at)
        if done_at > now + datetime.timedelta(minutes=1):
            raise invalid("done_at", _("This can't have been done in the future."), "future")
        if done_at < t.received_at:
            raise invalid("done_at", _("This was done before the call came in?"), "before_call")
        if action == HelpAction.Action.OTHER and not note.strip():
            raise invalid("note", _("Say what was done."), "required")
        HelpAction.objects.create(
            ticket=t, action=action, done_at=done_at, note=note.strip()[:300], recorded_by=actor
        )
        if t.met_at is None:
            t.met_at = done_at
        if t.state == State.OPEN:
            t.state = State.IN_PROGRESS
        step.note = note
        step.data = {"action": action, "done_at": done_at.isoformat()}
    return ticket
