"""The clock and its sweeps (R-HLP-02, R-HLP-03, R-CMP-03, R-CMP-10), deferral, and the
statistics aggregate kept by every change."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from wuye.core.schedule import SCHEDULE
from wuye.core.sla import ClockState, clock_state, deadline
from wuye.servicedesk import services
from wuye.servicedesk.facts import aggregate_tickets, rebuild_facts
from wuye.servicedesk.models import Kind, Ticket, TicketFact, TicketStep, WorkOrder
from wuye.servicedesk.sweeps import sweep
from wuye.servicedesk.tasks import sweep_task

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
minutes = lambda n: datetime.timedelta(minutes=n)  # noqa: E731


def test_clock_states():
    due, warn = NOW + minutes(5), NOW + minutes(4)
    state = lambda now, met=None: clock_state(due_at=due, warn_at=warn, met_at=met, now=now)  # noqa: E731
    assert state(NOW) == ClockState.RUNNING
    assert state(NOW + minutes(4)) == ClockState.WARNING
    assert state(NOW + minutes(5)) == ClockState.BREACHED
    assert state(NOW + minutes(9), met=NOW + minutes(3)) == ClockState.MET
    assert state(NOW + minutes(9), met=NOW + minutes(6)) == ClockState.MET_LATE
    assert deadline(NOW, NOW + minutes(10), warn_percent=50).warn_at == NOW + minutes(5)


def test_the_sweep_is_on_the_schedule_of_beat_and_the_embedded_scheduler():
    from wuye.core.schedule import beat_schedule

    assert any(e.task == "wuye.servicedesk.tasks.sweep_task" for e in SCHEDULE)
    entry = beat_schedule()["servicedesk-sweep"]
    assert entry == {"task": "wuye.servicedesk.sweep", "schedule": 60.0}


def test_r_hlp_02_help_warns_then_breaches_and_escalates(new_ticket, team):
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject="钥匙锁在家里")
    with time_machine.travel(NOW + minutes(4), tick=False):
        assert sweep()["warned"] == 1
    with time_machine.travel(NOW + minutes(6), tick=False):
        result = sweep_task.run()
    assert result["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.breached_at == NOW + minutes(6)
    # Received by the clerk, nobody assigned: it goes to the clerk's superior.
    assert ticket.escalated_to == team["cs_sup"]
    actions = list(TicketStep.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == ["registered", "clock_warning", "clock_breached"]
    with time_machine.travel(NOW + minutes(7), tick=False):
        assert sweep() == {"warned": 0, "breached": 0, "undeferred": 0, "auto_closed": 0}


def test_answered_in_time_never_breaches(new_ticket, team):
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject="钥匙锁在家里")
    with time_machine.travel(NOW + minutes(2), tick=False):
        services.answer_ticket(ticket=ticket, actor=team["clerk"].user, answer="已派保安协助")
    with time_machine.travel(NOW + minutes(30), tick=False):
        assert sweep()["breached"] == 0
    ticket.refresh_from_db()
    assert ticket.breached_at is None


def test_repair_breach_escalates_to_the_workers_superior(new_ticket, team, categories):
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(category=categories["plumbing"])
        services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                                 visit_at=NOW + minutes(60))  # fmt: skip
    with time_machine.travel(NOW + minutes(61), tick=False):
        sweep()
    ticket.refresh_from_db()
    assert ticket.escalated_to == team["eng_sup"]


def test_r_hlp_03_written_inquiry_breaches_after_two_days(new_ticket):
    with time_machine.travel(NOW, tick=False):
        new_ticket(kind=Kind.INQUIRY, channel="letter", needs_written_answer=True,
                            subject="来函")  # fmt: skip
    with time_machine.travel(NOW + datetime.timedelta(days=1, hours=23), tick=False):
        assert sweep()["breached"] == 0
    with time_machine.travel(NOW + datetime.timedelta(days=2, minutes=1), tick=False):
        assert sweep()["breached"] == 1


def test_timers_survive_a_restart(new_ticket):
    """Deadlines are rows: what fell due while nothing ran is found by the first sweep after."""
    with time_machine.travel(NOW, tick=False):
        new_ticket(kind=Kind.HELP, help_kind="other", subject="求助")
        new_ticket(kind=Kind.COMPLAINT, subject="噪音", agreed_at=NOW + minutes(30))
    with time_machine.travel(NOW + datetime.timedelta(hours=5), tick=False):
        assert sweep()["breached"] == 2


def test_deferred_ticket_reopens_itself(new_ticket, team):
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.INQUIRY, subject="等业委会答复")
        services.defer_ticket(ticket=ticket, actor=team["clerk"].user,
                              until=datetime.date(2026, 11, 25), reason="等业委会开会")  # fmt: skip
    assert ticket.state == Ticket.State.DEFERRED
    with time_machine.travel(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)):
        assert sweep()["undeferred"] == 0
    # 00:30 on the 25th in Shanghai is still the 24th in UTC.
    with time_machine.travel(datetime.datetime(2026, 11, 24, 16, 30, tzinfo=datetime.UTC)):
        assert sweep()["undeferred"] == 1
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.OPEN and ticket.deferred_until is None


def test_defer_to_a_past_day_is_refused(new_ticket, team):
    from django.core.exceptions import ValidationError

    ticket = new_ticket(kind=Kind.INQUIRY, subject="问")
    with pytest.raises(ValidationError):
        services.defer_ticket(ticket=ticket, actor=team["clerk"].user,
                              until=timezone.localdate(), reason="x")  # fmt: skip


def test_r_cmp_10_complaint_without_callback_closes_after_a_week(new_ticket, team):
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.COMPLAINT, subject="噪音", needs_callback=False)
        services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已劝导")
    with time_machine.travel(NOW + datetime.timedelta(days=6, hours=23), tick=False):
        assert sweep()["auto_closed"] == 0
    with time_machine.travel(NOW + datetime.timedelta(days=7, minutes=1), tick=False):
        assert sweep()["auto_closed"] == 1
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.CLOSED


def test_r_cmp_10_repeat_complaint_keeps_it_open(new_ticket, team):
    from wuye.servicedesk.complaints import link_complaint

    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.COMPLAINT, subject="噪音", needs_callback=False)
        services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已劝导")
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        repeat = new_ticket(kind=Kind.COMPLAINT, subject="又有噪音")
        link_complaint(ticket=repeat, actor=team["clerk"].user, to=ticket)
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=False):
        assert sweep()["auto_closed"] == 0
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.COMPLETED


def test_facts_kept_by_services_equal_a_rebuild(new_ticket, team, categories, site_a):
    """Every change moves the ticket's contribution; a rebuild from the tickets agrees."""
    with time_machine.travel(NOW, tick=False):
        repair = new_ticket(category=categories["plumbing"])
        services.dispatch_ticket(ticket=repair, actor=team["clerk"].user, assignee=team["tech1"],
                                 visit_at=NOW + minutes(60))  # fmt: skip
        help_ = new_ticket(kind=Kind.HELP, help_kind="other", subject="求助")
        complaint = new_ticket(kind=Kind.COMPLAINT, subject="噪音")
        services.hurry_ticket(ticket=repair, actor=team["clerk"].user)
    with time_machine.travel(NOW + minutes(90), tick=False):
        sweep()
        order = WorkOrder.objects.get(ticket=repair)
        services.record_arrival(work_order=order, actor=team["tech1"].user)
        services.finish_work_order(work_order=order, actor=team["tech1"].user, work_done="修",
                                   result="fixed")  # fmt: skip
        services.record_callback(ticket=repair, actor=team["clerk"].user, satisfied=False)
        services.answer_ticket(ticket=help_, actor=team["clerk"].user, answer="已处理",
                               complete=True)  # fmt: skip
    from wuye.servicedesk.complaints import confirm_validity

    confirm_validity(ticket=complaint, actor=team["cs_sup"].user, valid=True)
    kept = sorted(
        (f.day, f.kind, f.channel, f.root_cause_key, f.department_key,
         tuple(getattr(f, m) for m in TicketFact.MEASURES))
        for f in TicketFact.objects.filter(site=site_a)
        if any(getattr(f, m) for m in TicketFact.MEASURES)
    )  # fmt: skip
    rebuilt = sorted(
        (g["day"], g["kind"], g["channel"], g["root_cause_key"], g["department_key"],
         tuple(g[m] or 0 for m in TicketFact.MEASURES))
        for g in aggregate_tickets(site_a)
    )  # fmt: skip
    assert kept == rebuilt
    totals = {m: sum(row[5][i] for row in kept) for i, m in enumerate(TicketFact.MEASURES)}
    assert totals["received"] == 3 and totals["hurries"] == 1 and totals["reopened"] == 1
    assert totals["late"] == 2  # the repair visited late; the help answered late
    assert totals["valid_complaints"] == 1 and totals["counted_complaints"] == 1
    assert rebuild_facts(site_a) == len(rebuilt)
