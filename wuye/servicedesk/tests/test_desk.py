"""The daily review (R-CMP-04), the duty log and handover (R-DSK-03), settings, and the
statistics (R-CMP-07/08/12, R-KPI-02…06)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from wuye.servicedesk import complaints, desk, services
from wuye.servicedesk.models import DailyReview, DutyShift, Kind, WorkOrder
from wuye.servicedesk.queries import statistics

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 20)


@time_machine.travel(NOW, tick=False)
def test_r_cmp_04_supervisor_signs_the_day_off_once(new_ticket, team, site_a):
    new_ticket(kind=Kind.COMPLAINT, subject="噪音")
    new_ticket(kind=Kind.INQUIRY, subject="问", handled_at_once=True, answer="答")
    with pytest.raises(PermissionDenied):
        desk.sign_daily_review(site=site_a, actor=team["clerk"].user, day=TODAY)
    review = desk.sign_daily_review(site=site_a, actor=team["cs_sup"].user, day=TODAY,
                                    note="无遗漏")  # fmt: skip
    assert (review.received_count, review.open_count) == (2, 1)
    assert review.signed_by == team["cs_sup"].user
    with pytest.raises(ValidationError):
        desk.sign_daily_review(site=site_a, actor=team["cs_sup"].user, day=TODAY)
    with pytest.raises(ValidationError):
        desk.sign_daily_review(site=site_a, actor=team["cs_sup"].user,
                               day=TODAY + datetime.timedelta(days=1))  # fmt: skip
    assert DailyReview.objects.count() == 1


def test_r_dsk_03_duty_log_and_handover_list_open_tickets(new_ticket, team, site_a):
    clerk, sup = team["clerk"].user, team["cs_sup"].user
    desk.start_shift(site=site_a, actor=clerk)
    with pytest.raises(ValidationError):
        desk.start_shift(site=site_a, actor=sup)  # one shift on duty at a time
    ticket = new_ticket(kind=Kind.REPAIR, subject="水管爆裂")
    desk.log_duty(site=site_a, actor=clerk, text="22:10 3栋水管爆裂,已通知工程", ticket=ticket)
    with pytest.raises(ValidationError):
        desk.log_duty(site=site_a, actor=sup, text="不是我的班")
    shift = desk.hand_over(site=site_a, actor=clerk, to_user=sup, note="3栋水管待修")
    assert shift.ended_at is not None and shift.handed_to == sup
    assert [t["number"] for t in shift.open_tickets] == [ticket.number]
    assert shift.entries.get().ticket == ticket
    assert DutyShift.objects.get(ended_at__isnull=True).on_duty == sup


def test_settings_change_the_clocks(site_a, team, new_ticket):
    desk.update_desk_settings(site=site_a, actor=team["pm"].user, help_answer_minutes=3)
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject="求助")
    assert ticket.due_at == NOW + datetime.timedelta(minutes=3)
    with pytest.raises(ValidationError):
        desk.update_desk_settings(site=site_a, actor=team["pm"].user, warn_percent=100)
    with pytest.raises(PermissionDenied):
        desk.update_desk_settings(site=site_a, actor=team["clerk"].user, help_answer_minutes=9)


def test_category_and_root_cause_names_are_unique(
    site_a, team, engineering, categories, root_causes
):
    with pytest.raises(ValidationError):
        desk.save_category(site=site_a, actor=team["pm"].user, kind=Kind.REPAIR, name="水电维修",
                           department=engineering, dispatch_mode="desk")  # fmt: skip
    with pytest.raises(ValidationError):
        desk.save_root_cause(site=site_a, actor=team["pm"].user, name="服务态度")
    with pytest.raises(ValidationError):
        desk.save_price_item(site=site_a, actor=team["pm"].user, name="疏通", price="-1")


def test_statistics_count_complaints_by_the_rules(new_ticket, team, site_a, zhang, li, root_causes):
    clerk, sup = team["clerk"].user, team["cs_sup"].user
    with time_machine.travel(NOW, tick=False):
        noise = [
            new_ticket(kind=Kind.COMPLAINT, subject="装修噪音", person=zhang),
            new_ticket(kind=Kind.COMPLAINT, subject="装修噪音", person=li,
                       caller_phone="13998765432"),
            new_ticket(kind=Kind.COMPLAINT, subject="电梯故障", person=zhang),  # R-CMP-08
            new_ticket(kind=Kind.COMPLAINT, subject="无理投诉", person=li,
                       caller_phone="13998765432"),
        ]  # fmt: skip
        complaints.link_complaint(ticket=noise[1], actor=clerk, to=noise[0])  # R-CMP-07
        for t in noise[:3]:
            complaints.confirm_validity(ticket=t, actor=sup, valid=True)
        complaints.confirm_validity(ticket=noise[3], actor=sup, valid=False)  # R-CMP-12
        complaints.set_root_cause(ticket=noise[0], actor=clerk, root_cause=root_causes["服务态度"])
        services.complete_ticket(ticket=noise[0], actor=clerk, note="已协调")
        services.record_callback(ticket=noise[0], actor=clerk, satisfied=True)
        services.complete_ticket(ticket=noise[2], actor=clerk, note="已修")
        services.record_callback(ticket=noise[2], actor=clerk, satisfied=False)
    figures = statistics(site_a, TODAY, TODAY)
    assert figures["complaints"] == {
        "received": 4, "valid": 3, "invalid": 1, "awaiting": 0, "counted": 2, "major": 0,
        "events": 3, "people": 4, "contacts": 4,
    }  # fmt: skip
    # R-CMP-07: the noise event is two people, two contacts; the most people first.
    events = figures["complaint_events"]
    assert [(e["number"], e["people"], e["contacts"], e["counted"]) for e in events] == [
        (noise[0].number, 2, 2, True),
        (noise[2].number, 1, 1, True),
        (noise[3].number, 1, 1, False),
    ]
    kpi = {i.code: i for i in figures["indicators"]}
    assert (kpi["R-KPI-04"].numerator, kpi["R-KPI-04"].denominator) == (1, 2)
    assert kpi["R-KPI-04"].value == Decimal("50.0") and kpi["R-KPI-04"].meets_target is False
    assert kpi["R-KPI-06"].value == Decimal("100.0")
    causes = {row["key"]: row["received"] for row in figures["by_root_cause"]}
    assert causes[root_causes["服务态度"].pk] == 1


def test_statistics_leave_out_groups_with_nothing_in_them(new_ticket, team, site_a, root_causes):
    clerk = team["clerk"].user
    with time_machine.travel(NOW, tick=False):
        ticket = new_ticket(kind=Kind.COMPLAINT, subject="装修噪音")
        complaints.set_root_cause(ticket=ticket, actor=clerk, root_cause=root_causes["服务态度"])
        complaints.set_root_cause(ticket=ticket, actor=clerk, root_cause=root_causes["工程质量"])
    figures = statistics(site_a, TODAY, TODAY)
    # The complaint left "not set" and then 服务态度: their fact rows are zero now, not shown.
    assert [row["key"] for row in figures["by_root_cause"]] == [root_causes["工程质量"].pk]
    assert [row["key"] for row in figures["by_channel"]] == ["phone"]
    assert set(figures["by_kind"]) == {Kind.COMPLAINT}


def test_kpi_03_repairs_on_time(new_ticket, team, site_a, categories):
    with time_machine.travel(NOW, tick=False):
        tickets = [
            new_ticket(category=categories["plumbing"], subject=f"漏水{i}") for i in range(2)
        ]
        for t in tickets:
            services.dispatch_ticket(ticket=t, actor=team["clerk"].user, assignee=team["tech1"],
                                     visit_at=NOW + datetime.timedelta(hours=1))  # fmt: skip
    for t, late in zip(tickets, (0, 2), strict=True):
        with time_machine.travel(NOW + datetime.timedelta(minutes=30, hours=late), tick=False):
            order = WorkOrder.objects.get(ticket=t)
            services.record_arrival(work_order=order, actor=team["tech1"].user)
    kpi = {i.code: i for i in statistics(site_a, TODAY, TODAY)["indicators"]}
    assert (kpi["R-KPI-03a"].numerator, kpi["R-KPI-03a"].denominator) == (1, 2)


def test_kpi_02_and_05_repairs_followed_up_and_help_handled(new_ticket, team, site_a, categories):
    clerk = team["clerk"].user
    with time_machine.travel(NOW, tick=False):
        repairs = [
            new_ticket(category=categories["plumbing"], subject=f"漏水{i}") for i in range(2)
        ]
        for t in repairs:
            services.dispatch_ticket(ticket=t, actor=clerk, assignee=team["tech1"],
                                     visit_at=NOW + datetime.timedelta(hours=1))  # fmt: skip
            order = WorkOrder.objects.get(ticket=t)
            services.record_arrival(work_order=order, actor=team["tech1"].user)
            services.finish_work_order(work_order=order, actor=team["tech1"].user, work_done="修",
                                       result="fixed")  # fmt: skip
        services.record_callback(ticket=repairs[0], actor=clerk, satisfied=True)
        helps = [
            new_ticket(kind=Kind.HELP, help_kind="other", subject=f"求助{i}") for i in range(4)
        ]
        for t in helps[:3]:
            services.answer_ticket(ticket=t, actor=clerk, answer="已处理", complete=True)
        services.record_callback(ticket=helps[0], actor=clerk, satisfied=True)
        services.record_callback(ticket=helps[1], actor=clerk, satisfied=False)
    kpi = {i.code: i for i in statistics(site_a, TODAY, TODAY)["indicators"]}
    assert (kpi["R-KPI-02"].numerator, kpi["R-KPI-02"].denominator) == (1, 2)
    assert kpi["R-KPI-02"].value == Decimal("50.0")
    # Three of four help requests handled (one reopened by its callback is no longer handled).
    assert (kpi["R-KPI-05a"].numerator, kpi["R-KPI-05a"].denominator) == (2, 4)
    assert (kpi["R-KPI-05b"].numerator, kpi["R-KPI-05b"].denominator) == (1, 2)
