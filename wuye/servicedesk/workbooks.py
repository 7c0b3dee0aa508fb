"""The desk's .xlsx exports: a ticket list and the statistics of a period."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.spreadsheets import build_workbook


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_tickets(tickets) -> bytes:
    headers = [
        _("Ticket number"), _("Kind"), _("Channel"), _("State"), _("Subject"), _("Unit"),
        _("Facility"), _("Caller"), _("Phone"), _("Department"), _("Responsible"),
        _("Received at"), _("Due"), _("Answered / visited at"), _("Completed at"),
        _("Closed at"), _("Hurries"), _("Reopened"), _("Satisfied"),
    ]  # fmt: skip
    rows = (
        [
            t.number, t.get_kind_display(), t.get_channel_display(), t.get_state_display(),
            t.subject, t.unit.code if t.unit else "", t.facility.name if t.facility else "",
            t.caller_name, t.caller_phone_masked, str(t.department or ""),
            str(t.assignee or ""), _local(t.received_at), _local(t.due_at), _local(t.met_at),
            _local(t.completed_at), _local(t.closed_at), t.hurry_count, t.reopen_count,
            "" if t.satisfied is None else (_("yes") if t.satisfied else _("no")),
        ]
        for t in tickets
    )  # fmt: skip
    return build_workbook(_("Tickets"), headers, rows)


def export_statistics(figures: dict) -> bytes:
    """One sheet: the totals, the indicators with their targets, then each breakdown."""
    rows: list[list] = [
        [_("Period"), f"{figures['start']} – {figures['end']}"],
        [_("Received"), figures["total"]["received"]],
        [_("On-time rate (%)"), figures["on_time_rate"]],
        [_("Callback rate (%)"), figures["callback_rate"]],
        [_("Satisfaction (%)"), figures["satisfaction"]],
        [],
        [_("Indicator"), _("Value (%)"), _("Target (%)"), _("Numerator"), _("Denominator")],
    ]
    for i in figures["indicators"]:
        rows.append([f"{i.code} {i.label}", i.value, i.target, i.numerator, i.denominator])
    complaints = figures["complaints"]
    rows += [
        [],
        [_("Complaints received"), complaints["received"]],
        [_("Valid complaints"), complaints["valid"]],
        [_("Not valid"), complaints["invalid"]],
        [_("Awaiting confirmation"), complaints["awaiting"]],
        [_("Counted complaints (one per event)"), complaints["counted"]],
        [_("Major complaints"), complaints["major"]],
        [_("Complaint events"), complaints["events"]],
        [_("People who complained"), complaints["people"]],
        [_("Contacts about them"), complaints["contacts"]],
    ]
    for title, key in (
        (_("By kind"), "by_kind"), (_("By channel"), "by_channel"),
        (_("By department"), "by_department"), (_("Complaints by root cause"), "by_root_cause"),
    ):  # fmt: skip
        rows += [[], [title, _("Received"), _("Completed"), _("On time"), _("Satisfied")]]
        rows += [[r["label"], r["received"], r["completed"], r["on_time"], r["satisfied"]]
                 for r in figures[key]]  # fmt: skip
    rows += [
        [],
        [_("Ticket number"), _("Subject"), _("Unit"), _("People"), _("Contacts"),
         _("How far the effect reached"), _("Counted")],
    ]  # fmt: skip
    rows += [
        [e["number"], e["subject"], e["unit"], e["people"], e["contacts"], e["reach"],
         _("yes") if e["counted"] else _("no")]
        for e in figures["complaint_events"]
    ]  # fmt: skip
    return build_workbook(_("Service-desk statistics"), [_("Figure"), _("Value")], rows)
