"""Two people acting on one ticket at once, on real PostgreSQL connections: one wins, the
other is told; numbers stay unique and gap-free; the statistics lose no update."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from tests.concurrency import at_once, postgres_only
from wuye.servicedesk import services
from wuye.servicedesk.models import Kind, Ticket, TicketFact, TicketStep, WorkOrder
from wuye.servicedesk.sweeps import mark_breaches

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()


def test_two_clerks_dispatching_one_ticket_cannot_both_win(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    seen = ticket.version
    workers = [team["tech1"], team["tech2"]]
    visit = timezone.now() + datetime.timedelta(hours=2)
    outcomes = at_once(2, lambda i: services.dispatch_ticket(
        ticket=Ticket.objects.get(pk=ticket.pk), actor=team["clerk"].user, assignee=workers[i],
        visit_at=visit, version=seen,
    ))  # fmt: skip
    errors = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(errors) == 1 and "stale" in str(errors[0].error_dict["version"][0].code)
    assert WorkOrder.objects.filter(ticket=ticket).count() == 1
    assert TicketStep.objects.filter(ticket=ticket, action="dispatched").count() == 1


def test_two_workers_taking_one_pool_job_one_gets_it(new_ticket, team, categories):
    ticket = new_ticket(category=categories["lift"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user,
                             visit_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    users = [team["tech1"].user, team["tech2"].user]
    outcomes = at_once(2, lambda i: services.take_work_order(
        work_order=WorkOrder.objects.get(pk=order.pk), actor=users[i]))  # fmt: skip
    assert sum(isinstance(o, WorkOrder) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert TicketStep.objects.filter(ticket=ticket, action="taken").count() == 1


def test_ticket_numbers_stay_unique_and_gap_free_under_load(site_a, team, unit_a):
    from wuye.servicedesk.services import Intake, register_ticket

    outcomes = at_once(8, lambda i: register_ticket(
        site=site_a, actor=team["clerk"].user,
        intake=Intake(kind=Kind.INQUIRY, channel="phone", subject=f"问题{i}"),
    ))  # fmt: skip
    assert all(isinstance(o, Ticket) for o in outcomes), outcomes
    numbers = sorted(int(t.number[-6:]) for t in outcomes)
    assert numbers == list(range(1, 9))
    # Eight tickets on one day, one aggregate row: no increment lost.
    assert TicketFact.objects.filter(site=site_a).aggregate(n=Sum("received"))["n"] == 8


def test_two_sweeps_at_once_mark_a_breach_once(new_ticket, team):
    ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject="求助")
    later = timezone.now() + datetime.timedelta(minutes=10)
    outcomes = at_once(3, lambda i: mark_breaches(later))
    assert sum(outcomes) == 1, outcomes
    assert TicketStep.objects.filter(ticket=ticket, action="clock_breached").count() == 1
    assert TicketFact.objects.aggregate(n=Sum("breached"))["n"] == 1
