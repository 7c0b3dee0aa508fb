"""Each role's home page shows its work to do now: exactly the records due, in order, with a
count whose link opens that many rows."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from wuye.approvals import queries as approval_queries
from wuye.approvals import services as approvals
from wuye.billing import payments
from wuye.ledger.models import BillLine
from wuye.servicedesk.models import Kind, WorkOrder
from wuye.servicedesk.sweeps import sweep

from .conftest import NOW, minutes
from .pages import assert_counts_open_their_lists, block, dispatch, home, rows_behind

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# The desk


def test_the_desk_sees_help_requests_on_their_clock_tickets_about_to_breach_and_callbacks_due_today(
    client_of, team, desk_day
):
    client = client_of(team["clerk"].user)
    response, sections, lists = home(client)
    assert sections == ["desk"]
    # R-HLP-02: 3 minutes into the 5-minute clock, 2 minutes left; the answered one is gone.
    assert lists["help"].rows == [desk_day["waiting"]] and lists["help"].count == 1
    assert "还剩 2 分钟" in block(response, "help")
    assert "电梯困人" not in block(response, "help")
    assert lists["due_soon"].rows == [desk_day["repair"]]
    assert "还剩 10 分钟" in block(response, "due_soon")
    assert lists["callbacks"].rows == [desk_day["callback"]]
    assert "借梯子" not in block(response, "callbacks")
    assert_counts_open_their_lists(client, lists)


def test_an_overdue_help_request_leaves_its_clock_list_for_about_to_breach(
    client_of, team, desk_day, clock
):
    clock.move_to(NOW + minutes(3))  # the 5 minutes are up
    response, _sections, lists = home(client_of(team["clerk"].user))
    assert lists["help"].rows == []
    assert "暂无待办" in block(response, "help")
    assert lists["due_soon"].rows == [desk_day["waiting"], desk_day["repair"]]
    assert "已超时 1 分钟" in block(response, "due_soon")


def test_the_last_minute_of_a_clock_reads_as_under_a_minute_not_zero_minutes(
    client_of, team, desk_day, clock
):
    client = client_of(team["clerk"].user)
    clock.move_to(NOW + datetime.timedelta(seconds=90))  # 30 seconds of the 5 minutes left
    response, _sections, lists = home(client)
    assert lists["help"].rows == [desk_day["waiting"]]
    assert "还剩不到 1 分钟" in block(response, "help") and "0 分钟" not in block(response, "help")
    clock.move_to(NOW + datetime.timedelta(seconds=140))  # 20 seconds past due
    response, _sections, lists = home(client)
    assert lists["due_soon"].rows[0] == desk_day["waiting"]
    assert "刚刚超时" in block(response, "due_soon") and "0 分钟" not in block(response, "due_soon")


def test_the_desk_lists_show_eight_rows_and_count_all(client_of, team, ticket, clock):
    for n in range(11):
        ticket(Kind.HELP, f"求助 {n}")
    client = client_of(team["clerk"].user)
    response, _sections, lists = home(client)
    assert len(lists["help"].rows) == 8 and lists["help"].count == 11
    assert "全部 11 条" in block(response, "help")
    shown, total = rows_behind(client, lists["help"])
    assert total == 11 and shown[:8] == lists["help"].rows


# ---------------------------------------------------------------------------------------------
# A worker


@pytest.fixture
def work_day(clock, ticket, team, categories):
    clock.move_to(NOW - datetime.timedelta(hours=2))
    orders = {}
    for name, worker, visit in (
        ("late", "tech1", NOW - minutes(60)), ("soon", "tech1", NOW + minutes(30)),
        ("later", "tech1", NOW + minutes(180)), ("colleague", "tech2", NOW + minutes(60)),
    ):  # fmt: skip
        found = ticket(Kind.REPAIR, f"维修 {name}", category=categories["plumbing"])
        dispatch(found, team, visit, worker)
        orders[name] = WorkOrder.objects.get(ticket=found)
    lift = ticket(Kind.REPAIR, "电梯异响", category=categories["lift"])
    dispatch(lift, team, NOW + minutes(120), worker=None)
    orders["pool"] = WorkOrder.objects.get(ticket=lift, state=WorkOrder.State.OFFERED)
    clock.move_to(NOW)
    return orders


def test_an_engineer_sees_his_orders_by_visit_time_late_first_and_the_pool_not_a_colleagues(
    client_of, team, work_day
):
    client = client_of(team["tech1"].user)
    response, sections, lists = home(client)
    assert sections == ["work"]
    assert lists["orders"].rows == [work_day["late"], work_day["soon"], work_day["later"]]
    assert [o.late for o in lists["orders"].rows] == [True, False, False]
    assert "维修 colleague" not in response.content.decode()
    assert lists["pool"].rows == [work_day["pool"]]
    assert_counts_open_their_lists(client, lists)


def test_the_engineering_supervisor_also_sees_what_breached_in_his_department(
    client_of, team, work_day
):
    response, sections, lists = home(client_of(team["eng_sup"].user))
    assert sections == ["work", "head"]
    assert [t.subject for t in lists["breached"].rows] == ["维修 late"]
    assert list(lists) == ["orders", "pool", "breached"], "no approval inbox of his own"


# ---------------------------------------------------------------------------------------------
# The cashier


def test_the_cashier_sees_todays_takings_by_method_and_the_last_receipts(
    client_of, finance, counter_day
):
    client = client_of(finance["cashier"].user)
    response, sections, lists = home(client)
    assert sections == ["cashier"]
    [section] = response.context["panels"]["sections"]
    today = sum((p.amount for p in counter_day["today"]), D(0))
    assert section.takings.total == today == D("270.50"), "not yesterday's ¥100"
    assert section.methods == [("现金", D("220.50")), ("扫码（微信 / 支付宝）", D("50.00"))]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    assert "¥270.50" in text and "3 张收据" in text
    newest_first = [*reversed(counter_day["today"]), counter_day["yesterday"]]
    assert lists["receipts"].rows == newest_first
    html = response.content.decode()
    for payment in newest_first:
        assert reverse("billing:receipt_pdf", args=[payment.receipt.pk]) in html
        assert reverse("billing:unit_account", args=[payment.unit.pk]) in html
    close = client.get(lists["receipts"].url)
    [mine] = [c for c in close.context["cashiers"] if c.cashier == finance["cashier"].user]
    assert mine.total == today and len(mine.receipts) == 3


def test_takings_are_counted_by_the_sites_day(client_of, finance, counter_day, clock):
    # 15:59 UTC is 23:59 in Shanghai: still today; a minute later it is tomorrow, with nothing.
    clock.move_to(datetime.datetime(2026, 12, 4, 15, 59, tzinfo=datetime.UTC))
    response, _sections, _lists = home(client_of(finance["cashier"].user))
    assert response.context["panels"]["sections"][0].takings.total == D("270.50")
    clock.move_to(datetime.datetime(2026, 12, 4, 16, 0, tzinfo=datetime.UTC))
    response, _sections, _lists = home(client_of(finance["cashier"].user))
    assert response.context["panels"]["sections"][0].takings.total == D("0")


# ---------------------------------------------------------------------------------------------
# A head


@pytest.fixture
def to_approve(counter_day, finance, owed):
    """A bill line's cancellation (¥100: the finance supervisor's) and a payment's void
    (¥1,500: beyond him, the centre head's), both asked by the cashier."""
    cashier = finance["cashier"].user
    line = BillLine.objects.filter(unit=owed, cancelled_at__isnull=True).order_by("period_start").last()  # fmt: skip
    big = payments.take_payment(site=owed.site, actor=cashier, unit=owed.__class__.objects.get(code="2-0102"),
                                method="transfer", amount="1500", take_rest_as_credit=True)  # fmt: skip
    ask = lambda action, params: approvals.request_approval(  # noqa: E731
        site=owed.site, actor=cashier, action=action, params=params, reason="收错了"
    )
    return {
        "cancel": ask("cancel_bill_line", {"bill_line": line.pk}),
        "void": ask("void_payment", {"payment": big.pk}),
    }


def test_a_head_sees_the_approval_requests_waiting_for_their_post_and_not_another(
    client_of, finance, to_approve
):
    cancel, void = to_approve["cancel"], to_approve["void"]
    assert (cancel.approver_name, void.approver_name) == ("赵会计", "李主任")
    client = client_of(finance["sup"].user)
    response, sections, lists = home(client)
    assert sections == ["head"]
    assert lists["approvals"].rows == [cancel]
    assert "¥100.00" in block(response, "approvals") and "¥1,500.00" not in block(response, "approvals")  # fmt: skip
    assert_counts_open_their_lists(client, lists)
    head = client_of(finance["head"].user)
    _response, _sections, lists = home(head)
    assert lists["approvals"].rows == [cancel, void]
    assert_counts_open_their_lists(head, lists)
    # Nobody decides their own request: the cashier has none to decide, and no head section.
    assert home(client_of(finance["cashier"].user))[1] == ["cashier"]


def test_the_list_of_requests_to_decide_is_what_the_authority_matrix_allows(finance, to_approve):
    from wuye.approvals.queries import to_decide as approvals_to_decide
    from wuye.staff.authority import may_approve

    for who in ("sup", "head", "pm"):
        employee = finance[who]
        expected = [
            r for r in approval_queries.pending(employee.site)
            if may_approve(employee, r.action, amount=r.amount)
        ]  # fmt: skip
        assert list(approvals_to_decide(employee.user, employee.site)) == expected, who


@pytest.fixture
def breaches(clock, ticket, team, categories):
    """A help request unanswered past its 5 minutes, escalated to the desk's supervisor, and a
    repair whose visit time passed, in engineering."""
    clock.move_to(NOW - datetime.timedelta(hours=2))
    repair = ticket(Kind.REPAIR, "水管爆裂", category=categories["plumbing"])
    dispatch(repair, team, NOW - minutes(30))
    clock.move_to(NOW - minutes(20))
    help_ = ticket(Kind.HELP, "老人摔倒")
    clock.move_to(NOW)
    sweep(NOW)
    help_.refresh_from_db()
    assert help_.escalated_to == team["cs_sup"]
    return {"repair": repair, "help": help_}


def test_heads_see_what_breached_in_their_department_or_escalated_to_them(
    client_of, team, breaches
):
    sup = client_of(team["cs_sup"].user)
    response, sections, lists = home(sup)
    assert sections == ["desk", "head"]
    assert lists["breached"].rows == [breaches["help"]]
    assert "已超时 15 分钟" in block(response, "breached")
    assert_counts_open_their_lists(sup, lists)
    engineering = client_of(team["eng_sup"].user)
    assert home(engineering)[2]["breached"].rows == [breaches["repair"]]
    centre = client_of(team["head"].user)
    _response, sections, lists = home(centre)
    assert sections == ["head"]
    assert lists["breached"].rows == [breaches["repair"], breaches["help"]]
    assert_counts_open_their_lists(centre, lists)


def test_a_clerk_and_a_worker_see_no_head_section(client_of, team, breaches):
    assert home(client_of(team["clerk"].user))[1] == ["desk"]
    assert home(client_of(team["tech1"].user))[1] == ["work"]


def test_empty_lists_say_nothing_is_waiting(client_of, team, clock):
    response, _sections, lists = home(client_of(team["head"].user))
    assert all(listing.rows == [] for listing in lists.values())
    for key in lists:
        assert "暂无待办" in block(response, key)
