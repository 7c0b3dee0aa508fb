"""Intake, dispatch, work orders, holds, callbacks and closing, rule by rule."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.errors import codes
from wuye.core.crypto import decrypt
from wuye.servicedesk import services
from wuye.servicedesk.models import (
    Attachment,
    Callback,
    Channel,
    Kind,
    Ticket,
    TicketStep,
    WorkOrder,
)
from wuye.servicedesk.services import Intake, MaterialLine, register_ticket

pytestmark = pytest.mark.django_db
State = Ticket.State
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def steps(ticket) -> list[str]:
    return list(
        TicketStep.objects.filter(ticket=ticket).order_by("id").values_list("action", flat=True)
    )


@pytest.mark.parametrize("channel", Channel.values)
def test_r_dsk_01_every_channel_is_recorded(new_ticket, channel):
    ticket = new_ticket(kind=Kind.INQUIRY, channel=channel, subject="物业费怎么交")
    assert ticket.channel == channel
    assert ticket.number.startswith("TK-A-2")
    assert steps(ticket) == ["registered"]


def test_ticket_numbers_are_unique_and_consecutive_per_site_and_year(new_ticket):
    numbers = [new_ticket(kind=Kind.INQUIRY, subject=f"问题{i}").number for i in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


def test_r_cmp_02_complaint_needs_name_unit_and_phone(new_ticket):
    with pytest.raises(ValidationError) as exc:
        new_ticket(kind=Kind.COMPLAINT, caller_name="", subject="保安态度差")
    assert "caller_name" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        new_ticket(kind=Kind.COMPLAINT, unit=None, subject="保安态度差")
    assert "unit" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        new_ticket(kind=Kind.COMPLAINT, caller_phone="", subject="保安态度差")
    assert "caller_phone" in exc.value.error_dict
    assert not Ticket.objects.exists()


def test_r_cmp_02_neighbour_dispute_may_leave_name_and_unit_blank(new_ticket):
    ticket = new_ticket(
        kind=Kind.COMPLAINT, caller_name="", unit=None, neighbour_dispute=True,
        subject="楼上噪音",
    )  # fmt: skip
    assert ticket.caller_name == "" and ticket.unit is None
    assert ticket.event is not None and ticket.is_event_primary


def test_caller_phone_is_stored_encrypted_and_masked(new_ticket):
    ticket = new_ticket(caller_phone="138 1234 5678")
    assert ticket.caller_phone_masked == "138****5678"
    assert "13812345678" not in ticket.caller_phone_cipher
    assert decrypt(ticket.caller_phone_cipher) == "+8613812345678" or decrypt(
        ticket.caller_phone_cipher
    ).endswith("13812345678")


def test_bad_phone_is_a_field_error(new_ticket):
    with pytest.raises(ValidationError) as exc:
        new_ticket(caller_phone="12345")
    assert "caller_phone" in exc.value.error_dict


def test_unit_of_another_site_is_refused(new_ticket, unit_b):
    with pytest.raises(ValidationError) as exc:
        new_ticket(unit=unit_b)
    assert codes(exc.value) == {"not_found"}


def test_clerk_of_another_site_cannot_register(site_a, clerk_b, unit_a):
    with pytest.raises(PermissionDenied):
        register_ticket(
            site=site_a, actor=clerk_b,
            intake=Intake(kind=Kind.INQUIRY, channel="phone", subject="问"),
        )  # fmt: skip


def test_attachments_are_kept_with_the_ticket(new_ticket):
    photo = SimpleUploadedFile("leak.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, "image/jpeg")
    ticket = new_ticket(files=[photo])
    assert Attachment.objects.filter(ticket=ticket, name="leak.jpg").count() == 1


@time_machine.travel(NOW, tick=False)
def test_r_hlp_02_help_request_is_due_within_five_minutes(new_ticket):
    ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject="钥匙锁在家里")
    assert ticket.clock == Ticket.Clock.FIRST_ANSWER
    assert ticket.due_at == NOW + datetime.timedelta(minutes=5)
    assert ticket.warn_at == NOW + datetime.timedelta(minutes=4)  # 80% of the time


@time_machine.travel(NOW, tick=False)
def test_r_hlp_03_written_inquiry_is_due_in_two_days(new_ticket):
    ticket = new_ticket(kind=Kind.INQUIRY, channel="letter", needs_written_answer=True,
                        subject="来函咨询停车位")  # fmt: skip
    assert ticket.clock == Ticket.Clock.WRITTEN_ANSWER
    assert ticket.due_at == NOW + datetime.timedelta(days=2)


@time_machine.travel(NOW, tick=False)
def test_r_cmp_03_complaint_clock_is_the_agreed_first_answer(new_ticket):
    agreed = NOW + datetime.timedelta(hours=3)
    ticket = new_ticket(kind=Kind.COMPLAINT, subject="保安态度差", agreed_at=agreed)
    assert ticket.clock == Ticket.Clock.AGREED_ANSWER
    assert ticket.due_at == agreed


@time_machine.travel(NOW, tick=False)
def test_r_cmp_03_handled_at_once_is_answered_at_once(new_ticket):
    ticket = new_ticket(kind=Kind.INQUIRY, subject="物业费多少", handled_at_once=True,
                        answer="2.5元/平方米/月")  # fmt: skip
    assert ticket.state == State.CLOSED
    assert ticket.met_at == NOW
    assert steps(ticket) == ["registered", "handled_at_once"]


@time_machine.travel(NOW, tick=False)
def test_agreed_time_in_the_past_is_refused(new_ticket):
    with pytest.raises(ValidationError) as exc:
        new_ticket(agreed_at=NOW - datetime.timedelta(hours=1))
    assert codes(exc.value) == {"past"}
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------------------------
# Dispatch and work orders (R-REP-01, R-REP-02)


@time_machine.travel(NOW, tick=False)
def test_r_rep_01_repair_becomes_a_work_order_for_a_named_worker(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    visit = NOW + datetime.timedelta(hours=2)
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=visit)  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    assert order.worker == team["tech1"] and order.visit_at == visit
    assert order.state == WorkOrder.State.ASSIGNED and order.number.startswith("WO-A-2")
    assert ticket.state == State.ASSIGNED and ticket.due_at == visit
    assert ticket.department.kind == "engineering"


@time_machine.travel(NOW, tick=False)
def test_dispatch_refuses_visit_in_the_past_and_staff_of_another_site(
    new_ticket, team, categories, django_user_model, site_b, org_b_employee
):
    ticket = new_ticket(category=categories["plumbing"])
    with pytest.raises(ValidationError) as exc:
        services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                                 visit_at=NOW - datetime.timedelta(minutes=5))  # fmt: skip
    assert codes(exc.value) == {"past"}
    with pytest.raises(ValidationError) as exc:
        services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=org_b_employee,
                                 visit_at=NOW + datetime.timedelta(hours=1))  # fmt: skip
    assert codes(exc.value) == {"outside_site"}
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN and not WorkOrder.objects.exists()


@pytest.fixture
def org_b_employee(site_b, team):
    from wuye.staff.models import Employee

    return Employee.objects.create(site=site_b, number="B001", name="外站", post=team["tech1"].post)


@time_machine.travel(NOW, tick=False)
def test_r_rep_02_worker_accepts_arrives_and_finishes(new_ticket, team, categories, price_items):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=NOW + datetime.timedelta(hours=2))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    worker = team["tech1"].user
    services.accept_work_order(work_order=order, actor=worker)
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        services.record_arrival(work_order=order, actor=worker)
    photo = SimpleUploadedFile("after.jpg", b"\xff\xd8\xff\xe0after", "image/jpeg")
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        services.finish_work_order(
            work_order=order, actor=worker, work_done="更换三角阀", result="fixed",
            materials=[MaterialLine("三角阀", Decimal("1"), "个")], files=[photo],
            price_item=price_items["tap"],
        )  # fmt: skip
    services.sign_off_work_order(work_order=order, actor=worker, signed_by="张三", rating=5,
                                 comment="师傅很专业")  # fmt: skip
    order.refresh_from_db()
    ticket.refresh_from_db()
    assert order.state == WorkOrder.State.DONE and order.rating == 5
    assert order.materials.get().name == "三角阀"
    assert ticket.state == State.COMPLETED
    assert ticket.met_at == NOW + datetime.timedelta(hours=1)  # on site before the agreed time
    assert ticket.charge_amount == Decimal("80.00")
    assert Callback.objects.filter(ticket=ticket, done_at__isnull=True).exists()  # R-REP-04
    assert steps(ticket) == [
        "registered", "dispatched", "accepted", "arrived", "work_finished", "signed_off",
    ]  # fmt: skip


def test_another_worker_cannot_touch_the_order(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    with pytest.raises(PermissionDenied):
        services.accept_work_order(work_order=order, actor=team["tech2"].user)


def test_finishing_before_arrival_is_refused(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    with pytest.raises(ValidationError):
        services.finish_work_order(work_order=order, actor=team["tech1"].user, work_done="x",
                                   result="fixed")  # fmt: skip


def test_pool_work_is_taken_by_one_worker(new_ticket, team, categories):
    ticket = new_ticket(category=categories["lift"], subject="电梯异响")
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user,
                             visit_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    assert order.state == WorkOrder.State.OFFERED and order.worker is None
    services.take_work_order(work_order=order, actor=team["tech2"].user)
    with pytest.raises(ValidationError) as exc:
        services.take_work_order(work_order=order, actor=team["tech1"].user)
    assert codes(exc.value) == {"taken"}
    ticket.refresh_from_db()
    assert ticket.assignee == team["tech2"] and ticket.state == State.IN_PROGRESS


def test_rotation_gives_work_to_whoever_waited_longest(new_ticket, team, categories):
    visit = timezone.now() + datetime.timedelta(hours=1)
    workers = []
    for i in range(4):
        ticket = new_ticket(category=categories["electric"], subject=f"跳闸{i}")
        services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, visit_at=visit)
        workers.append(WorkOrder.objects.get(ticket=ticket).worker)
    assert workers == [team["tech1"], team["tech2"], team["tech1"], team["tech2"]]


def test_reassign_moves_the_live_work_order(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    visit = timezone.now() + datetime.timedelta(hours=2)
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=visit)  # fmt: skip
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech2"])
    assert WorkOrder.objects.filter(ticket=ticket).count() == 1
    assert WorkOrder.objects.get(ticket=ticket).worker == team["tech2"]
    assert steps(ticket)[-1] == "reassigned"


def test_hold_needs_a_reason_and_resume_returns_to_work(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    with pytest.raises(ValidationError):
        services.hold_ticket(ticket=ticket, actor=team["clerk"].user, reason=" ")
    services.hold_ticket(ticket=ticket, actor=team["clerk"].user, reason="业主出差")
    assert ticket.state == State.ON_HOLD
    assert WorkOrder.objects.get(ticket=ticket).state == WorkOrder.State.ON_HOLD
    services.resume_ticket(ticket=ticket, actor=team["clerk"].user)
    assert ticket.state == State.ASSIGNED
    assert WorkOrder.objects.get(ticket=ticket).state == WorkOrder.State.ASSIGNED


def test_stale_version_loses(new_ticket, team):
    ticket = new_ticket(kind=Kind.INQUIRY, subject="问")
    seen = ticket.version
    services.answer_ticket(ticket=ticket, actor=team["clerk"].user, answer="已答复", version=seen)
    with pytest.raises(ValidationError) as exc:
        services.hold_ticket(ticket=ticket, actor=team["cs_sup"].user, reason="x", version=seen)
    assert codes(exc.value) == {"stale"}


def test_hurries_are_counted(new_ticket, team):
    ticket = new_ticket()
    services.hurry_ticket(ticket=ticket, actor=team["clerk"].user, note="业主第二次来电")
    services.hurry_ticket(ticket=ticket, actor=team["clerk"].user)
    assert ticket.hurry_count == 2 and ticket.hurries.count() == 2


def test_force_close_needs_a_reason_and_authority(new_ticket, team):
    ticket = new_ticket()
    with pytest.raises(PermissionDenied):
        services.force_close_ticket(ticket=ticket, actor=team["clerk"].user, reason="重复")
    with pytest.raises(ValidationError):
        services.force_close_ticket(ticket=ticket, actor=team["cs_sup"].user, reason="")
    services.force_close_ticket(ticket=ticket, actor=team["cs_sup"].user, reason="重复登记")
    assert ticket.state == State.CLOSED and ticket.force_closed


# ---------------------------------------------------------------------------------------------
# Callbacks and closing (R-CMP-06, R-CMP-10, R-REP-04)


def _completed_repair(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    services.record_arrival(work_order=order, actor=team["tech1"].user)
    services.finish_work_order(work_order=order, actor=team["tech1"].user, work_done="修好",
                               result="fixed")  # fmt: skip
    ticket.refresh_from_db()
    return ticket


def test_r_rep_04_satisfied_callback_closes(new_ticket, team, categories):
    ticket = _completed_repair(new_ticket, team, categories)
    services.record_callback(ticket=ticket, actor=team["clerk"].user, satisfied=True,
                             comment="满意")  # fmt: skip
    assert ticket.state == State.CLOSED and ticket.satisfied is True
    assert Callback.objects.get(ticket=ticket).done_by == team["clerk"].user


def test_r_cmp_06_unsatisfied_callback_reopens_and_counts(new_ticket, team, categories):
    ticket = _completed_repair(new_ticket, team, categories)
    services.record_callback(ticket=ticket, actor=team["clerk"].user, satisfied=False,
                             comment="还在漏")  # fmt: skip
    assert ticket.state == State.OPEN and ticket.reopen_count == 1
    assert ticket.completed_at is None


def _reopened_and_completed_again(ticket, team):
    clerk = team["clerk"].user
    services.record_callback(ticket=ticket, actor=clerk, satisfied=False, comment="不满意")
    services.complete_ticket(ticket=ticket, actor=clerk, note="再次处理并道歉")
    ticket.refresh_from_db()
    assert ticket.state == State.COMPLETED
    return ticket


def test_r_cmp_06_reopened_complaint_does_not_close_by_hand(new_ticket, team):
    ticket = new_ticket(kind=Kind.COMPLAINT, subject="保安态度差")
    services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已处理并道歉")
    ticket = _reopened_and_completed_again(ticket, team)
    with pytest.raises(ValidationError) as exc:
        services.close_ticket(ticket=ticket, actor=team["clerk"].user, note="已处理")
    assert codes(exc.value) == {"callback_due"}
    ticket.refresh_from_db()
    assert ticket.state == State.COMPLETED and ticket.satisfied is False


def test_r_cmp_06_only_a_satisfied_callback_after_the_reopening_closes_it(new_ticket, team):
    ticket = new_ticket(kind=Kind.COMPLAINT, subject="保安态度差")
    services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已处理并道歉")
    ticket = _reopened_and_completed_again(ticket, team)
    services.record_callback(ticket=ticket, actor=team["clerk"].user, satisfied=True)
    assert ticket.state == State.CLOSED and ticket.satisfied is True
    assert list(ticket.callbacks.order_by("id").values_list("satisfied", flat=True)) == [
        False,
        True,
    ]


def test_r_cmp_06_force_close_of_a_reopened_complaint_counts_not_satisfied(
    new_ticket, team, site_a
):
    from wuye.servicedesk.queries import statistics

    ticket = new_ticket(kind=Kind.COMPLAINT, subject="保安态度差")
    services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已处理并道歉")
    ticket = _reopened_and_completed_again(ticket, team)
    with pytest.raises(ValidationError) as exc:
        services.force_close_ticket(ticket=ticket, actor=team["cs_sup"].user, reason="")
    assert codes(exc.value) == {"required"}
    services.force_close_ticket(ticket=ticket, actor=team["cs_sup"].user, reason="业主拒绝回访")
    assert ticket.state == State.CLOSED and ticket.force_closed and ticket.satisfied is False
    day = timezone.localdate()
    figures = statistics(site_a, day, day)
    assert figures["by_kind"][Kind.COMPLAINT]["satisfied"] == 0
    assert figures["by_kind"][Kind.COMPLAINT]["closed"] == 1


def test_r_cmp_06_close_action_is_not_offered_on_work_needing_a_callback(new_ticket, team):
    from wuye.servicedesk.views import available_actions

    ticket = new_ticket(kind=Kind.COMPLAINT, subject="保安态度差")
    services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已处理并道歉")
    ticket = _reopened_and_completed_again(ticket, team)
    names = [name for name, _action in available_actions(team["clerk"].user, ticket)]
    assert "callback" in names and "close" not in names


def test_callback_on_open_ticket_is_refused(new_ticket, team):
    ticket = new_ticket()
    with pytest.raises(ValidationError) as exc:
        services.record_callback(ticket=ticket, actor=team["clerk"].user, satisfied=True)
    assert codes(exc.value) == {"not_completed"}
    assert not Callback.objects.exists()


def test_closing_work_that_is_not_completed_is_refused(new_ticket, team):
    ticket = new_ticket()
    with pytest.raises(ValidationError) as exc:
        services.close_ticket(ticket=ticket, actor=team["clerk"].user)
    assert codes(exc.value) == {"not_completed"}
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN


def test_r_cmp_10_complaint_needing_callback_does_not_close_without_one(new_ticket, team):
    ticket = new_ticket(kind=Kind.COMPLAINT, subject="保安态度差")
    services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已处理并道歉")
    with pytest.raises(ValidationError) as exc:
        services.close_ticket(ticket=ticket, actor=team["clerk"].user)
    assert codes(exc.value) == {"callback_due"}


def test_supervisor_quality_check_is_kept_apart(new_ticket, team, categories):
    ticket = _completed_repair(new_ticket, team, categories)
    with pytest.raises(ValidationError):
        services.record_quality_check(ticket=ticket, actor=team["cs_sup"].user, verdict="poor")
    services.record_quality_check(ticket=ticket, actor=team["cs_sup"].user, verdict="poor",
                                  reason="现场未清理")  # fmt: skip
    assert ticket.quality_checks.get().verdict == "poor"
    assert ticket.satisfied is None  # the resident's verdict is another matter
    with pytest.raises(PermissionDenied):
        services.record_quality_check(ticket=ticket, actor=team["clerk"].user, verdict="good")


def test_r_rep_03_paid_service_charges_wait_for_billing(new_ticket, team, categories, price_items):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    services.record_arrival(work_order=order, actor=team["tech1"].user)
    services.finish_work_order(work_order=order, actor=team["tech1"].user, work_done="换龙头",
                               result="fixed", price_item=price_items["tap"], quantity=2)  # fmt: skip
    assert list(services.paid_service_charges(ticket.site)) == [ticket]
    services.mark_charged(ticket=ticket, actor=None, reference="BL-1")
    assert not services.paid_service_charges(ticket.site).exists()
    ticket.refresh_from_db()
    assert ticket.charge_amount == Decimal("160.00")


def test_r_cmp_02_a_customer_at_one_unit_brings_their_unit(site_a, team, zhang, vacant_units):
    from wuye.people import lifecycle

    lifecycle.register_move_in(unit=vacant_units[0], actor=team["clerk"].user,
                               moved_in_on=datetime.date(2024, 5, 1),
                               owners=[lifecycle.NewOwner(zhang)])  # fmt: skip
    ticket = register_ticket(site=site_a, actor=team["clerk"].user, intake=Intake(
        kind=Kind.REPAIR, channel="phone", subject="漏水", person=zhang))  # fmt: skip
    assert ticket.unit == vacant_units[0]
    assert ticket.caller_name == "张三" and ticket.caller_phone_masked == "138****5678"
