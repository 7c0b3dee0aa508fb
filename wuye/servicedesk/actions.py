"""The actions on one ticket, by name: what the ticket page's forms and the API's endpoints
both call, so a page and an endpoint can't differ on what an action does. Each takes the
acting user, the ticket and the cleaned input (with the `version` the caller saw)."""

from __future__ import annotations

from collections.abc import Callable

from . import complaints, services
from .models import Ticket

Call = Callable[[object, Ticket, dict], object]


def _v(d: dict):
    return d.get("version")


CALLS: dict[str, Call] = {
    "dispatch": lambda u, t, d: services.dispatch_ticket(
        ticket=t, actor=u, department=d.get("department"), assignee=d.get("assignee"),
        visit_at=d.get("visit_at"), category=d.get("category"), version=_v(d)),
    "answer": lambda u, t, d: services.answer_ticket(
        ticket=t, actor=u, answer=d["answer"], complete=bool(d.get("complete")), version=_v(d)),
    "complete": lambda u, t, d: services.complete_ticket(
        ticket=t, actor=u, note=d["note"], version=_v(d)),
    "hold": lambda u, t, d: services.hold_ticket(
        ticket=t, actor=u, reason=d["reason"], version=_v(d)),
    "resume": lambda u, t, d: services.resume_ticket(ticket=t, actor=u, version=_v(d)),
    "defer": lambda u, t, d: services.defer_ticket(
        ticket=t, actor=u, until=d["until"], reason=d["reason"], version=_v(d)),
    "hurry": lambda u, t, d: services.hurry_ticket(ticket=t, actor=u, note=d.get("note") or ""),
    "escalate": lambda u, t, d: services.escalate_ticket(
        ticket=t, actor=u, note=d.get("note") or "", version=_v(d)),
    "callback": lambda u, t, d: services.record_callback(
        ticket=t, actor=u, satisfied=d["satisfied"], comment=d.get("comment") or "",
        method=d.get("method") or "phone", version=_v(d)),
    "close": lambda u, t, d: services.close_ticket(
        ticket=t, actor=u, note=d.get("note") or "", version=_v(d)),
    "quality": lambda u, t, d: services.record_quality_check(
        ticket=t, actor=u, verdict=d["verdict"], reason=d.get("reason") or ""),
    "force_close": lambda u, t, d: services.force_close_ticket(
        ticket=t, actor=u, reason=d["reason"], version=_v(d)),
    "agree_time": lambda u, t, d: complaints.agree_answer_time(
        ticket=t, actor=u, answer_at=d["answer_at"], version=_v(d)),
    "investigate": lambda u, t, d: complaints.record_investigation(
        ticket=t, actor=u, investigation=d["investigation"], measures=d["measures"],
        version=_v(d)),
    "negotiate": lambda u, t, d: complaints.record_negotiation(
        ticket=t, actor=u, proposal=d["proposal"], response=d.get("response") or "",
        agreed=bool(d.get("agreed"))),
    "root_cause": lambda u, t, d: complaints.set_root_cause(
        ticket=t, actor=u, root_cause=d["root_cause"], version=_v(d)),
    "link": lambda u, t, d: complaints.link_complaint(
        ticket=t, actor=u, to=d["to"], reach=d.get("reach") or ""),
    "validity": lambda u, t, d: complaints.confirm_validity(
        ticket=t, actor=u, valid=d["valid"], note=d.get("note") or "", version=_v(d)),
    "major": lambda u, t, d: complaints.mark_major(
        ticket=t, actor=u, major=bool(d["major"]), note=d.get("note") or "", version=_v(d)),
    "report_back": lambda u, t, d: complaints.report_back(
        ticket=t, actor=u, report=d["report"], version=_v(d)),
    "help_action": lambda u, t, d: complaints.record_help_action(
        ticket=t, actor=u, action=d["action"], done_at=d.get("done_at"),
        note=d.get("note") or ""),
}  # fmt: skip
