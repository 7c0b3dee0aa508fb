"""Each role's home page costs a fixed number of queries, however many rows its lists have
(STYLE.md: exact query counts on list pages)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wuye.approvals import services as approvals
from wuye.billing import payments
from wuye.ledger.models import BillLine
from wuye.servicedesk import services
from wuye.servicedesk.models import Kind

from .conftest import DAY, NOW, minutes
from .pages import dispatch, home

pytestmark = pytest.mark.django_db


def queries_of(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("workbench:home")).status_code == 200
    return len(captured)


def with_one_then_twelve(client, one_of_each, django_assert_max_num_queries):
    """The home page's queries with one row of each list, and its lists once there are twelve
    — read within that same number of queries."""
    one_of_each(0)
    few = queries_of(client)
    for n in range(1, 12):
        one_of_each(n)
    with django_assert_max_num_queries(few):
        _response, _sections, lists = home(client)
    return few, lists


def test_the_desks_home_costs_the_same_queries_with_one_row_or_many(
    client_of, team, ticket, categories, clock, django_assert_max_num_queries
):
    client = client_of(team["clerk"].user)

    def one_of_each(n):
        clock.move_to(NOW - 2 * DAY)
        done = ticket(Kind.HELP, f"已办 {n}")
        services.answer_ticket(ticket=done, actor=team["clerk"].user, answer="好", complete=True)
        clock.move_to(NOW - minutes(50))
        dispatch(ticket(Kind.REPAIR, f"维修 {n}", category=categories["plumbing"]), team, NOW + minutes(5))  # fmt: skip
        clock.move_to(NOW - minutes(1))
        ticket(Kind.HELP, f"求助 {n}")
        clock.move_to(NOW)

    few, lists = with_one_then_twelve(client, one_of_each, django_assert_max_num_queries)
    assert [lists[k].count for k in ("help", "due_soon", "callbacks")] == [12, 12, 12]
    assert few <= 20


def test_a_workers_home_costs_the_same_queries_with_one_row_or_many(
    client_of, team, ticket, categories, clock, django_assert_max_num_queries
):
    client = client_of(team["tech1"].user)

    def one_of_each(n):
        clock.move_to(NOW - minutes(60))
        dispatch(ticket(Kind.REPAIR, f"维修 {n}", category=categories["plumbing"]), team, NOW + minutes(n + 1))  # fmt: skip
        dispatch(ticket(Kind.REPAIR, f"电梯 {n}", category=categories["lift"]), team, NOW + minutes(n + 1), worker=None)  # fmt: skip
        clock.move_to(NOW)

    few, lists = with_one_then_twelve(client, one_of_each, django_assert_max_num_queries)
    assert (lists["orders"].count, lists["pool"].count) == (12, 12)
    assert few <= 17


def test_the_cashiers_home_costs_the_same_queries_with_one_row_or_many(
    client_of, finance, owed, estate, clock, django_assert_max_num_queries
):
    client = client_of(finance["cashier"].user)
    take = lambda unit: payments.take_payment(  # noqa: E731
        site=unit.site, actor=finance["cashier"].user, unit=unit, method="cash", amount="10"
    )
    take(estate["units"][0])
    few = queries_of(client)
    for unit in estate["units"][1:]:
        take(unit)
        take(unit)
    with django_assert_max_num_queries(few):
        _response, _sections, lists = home(client)
    assert len(lists["receipts"].rows) == 8
    assert few <= 17


def test_a_heads_home_costs_the_same_queries_with_one_row_or_many(
    client_of, team, finance, owed, estate, ticket, categories, clock,
    django_assert_max_num_queries,
):  # fmt: skip
    client = client_of(team["head"].user)
    cashier = finance["cashier"].user
    lines = list(BillLine.objects.filter(site=owed.site).order_by("pk"))

    def one_of_each(n):
        approvals.request_approval(site=owed.site, actor=cashier, action="cancel_bill_line",
                                   params={"bill_line": lines[n].pk}, reason="收错了")  # fmt: skip
        clock.move_to(NOW - minutes(60))
        dispatch(ticket(Kind.REPAIR, f"维修 {n}", category=categories["plumbing"]), team, NOW - minutes(30))  # fmt: skip
        clock.move_to(NOW)

    few, lists = with_one_then_twelve(client, one_of_each, django_assert_max_num_queries)
    assert (lists["approvals"].count, lists["breached"].count) == (12, 12)
    assert few <= 26
