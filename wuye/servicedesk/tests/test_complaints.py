"""Complaints (R-CMP-03…12) and help requests (R-HLP-01…05)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from wuye.servicedesk import complaints, services
from wuye.servicedesk.models import ComplaintEvent, HelpAction, HelpKind, Kind, Ticket
from wuye.servicedesk.queries import likely_duplicates

pytestmark = pytest.mark.django_db
State = Ticket.State
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def complaint(new_ticket):
    def make(**fields):
        fields.setdefault("subject", "3栋门口垃圾无人清理")
        return new_ticket(kind=Kind.COMPLAINT, **fields)

    return make


@time_machine.travel(NOW, tick=False)
def test_r_cmp_03_agreed_answer_time_restarts_the_clock(complaint, team):
    ticket = complaint()
    answer_at = NOW + datetime.timedelta(hours=4)
    complaints.agree_answer_time(ticket=ticket, actor=team["clerk"].user, answer_at=answer_at)
    assert ticket.due_at == answer_at and ticket.clock == Ticket.Clock.AGREED_ANSWER
    with pytest.raises(ValidationError):
        complaints.agree_answer_time(
            ticket=ticket, actor=team["clerk"].user, answer_at=NOW - datetime.timedelta(hours=1)
        )


def test_r_cmp_05_investigation_and_negotiation_rounds_until_agreed(complaint, team):
    ticket = complaint()
    clerk = team["clerk"].user
    complaints.record_investigation(ticket=ticket, actor=clerk, investigation="保洁漏扫",
                                    measures="增加一次清扫")  # fmt: skip
    complaints.record_negotiation(ticket=ticket, actor=clerk, proposal="每日两次清扫",
                                  response="要求三次", agreed=False)  # fmt: skip
    complaints.record_negotiation(ticket=ticket, actor=clerk, proposal="每日三次清扫",
                                  response="同意", agreed=True)  # fmt: skip
    assert [r.agreed for r in ticket.negotiations.all()] == [False, True]
    assert ticket.met_at is not None  # the first talk is the first answer
    with pytest.raises(ValidationError) as exc:
        complaints.record_negotiation(ticket=ticket, actor=clerk, proposal="x", response="",
                                      agreed=True)  # fmt: skip
    assert exc.value.error_dict["__all__"][0].code == "agreed"


def test_r_cmp_09_root_cause_is_the_handlers_not_the_callers(
    complaint, team, root_causes, categories
):
    ticket = complaint(category=categories["service"])
    complaints.set_root_cause(ticket=ticket, actor=team["clerk"].user,
                              root_cause=root_causes["工程质量"])  # fmt: skip
    assert ticket.root_cause.name == "工程质量"
    assert ticket.category.name == "服务态度"  # what the caller reported stays


def test_r_cmp_12_only_the_designated_person_confirms_validity(complaint, team):
    ticket = complaint()
    with pytest.raises(PermissionDenied):
        complaints.confirm_validity(ticket=ticket, actor=team["clerk"].user, valid=True)
    complaints.confirm_validity(ticket=ticket, actor=team["cs_sup"].user, valid=True)
    assert ticket.is_valid is True


def test_r_cmp_11_major_complaint_is_flagged(complaint, team):
    ticket = complaint()
    complaints.mark_major(ticket=ticket, actor=team["cs_sup"].user, major=True, note="媒体关注")
    assert ticket.is_major
    assert Ticket.objects.filter(is_major=True).get() == ticket


def test_r_cmp_07_linked_complaints_count_as_one_event(complaint, team, zhang, li):
    first = complaint(person=zhang, caller_name="张三")
    second = complaint(person=li, caller_name="李四", caller_phone="13998765432")
    third = complaint(person=zhang, caller_name="张三")
    clerk = team["clerk"].user
    complaints.link_complaint(ticket=second, actor=clerk, to=first, reach="整栋楼")
    complaints.link_complaint(ticket=third, actor=clerk, to=first)
    event = ComplaintEvent.objects.get(pk=first.event_id)
    assert event.people_count == 2 and event.times_count == 3 and event.reach == "整栋楼"
    assert ComplaintEvent.objects.count() == 1
    primaries = Ticket.objects.filter(is_event_primary=True)
    assert list(primaries) == [first]


def test_r_cmp_07_the_database_refuses_a_primary_complaint_without_its_event(complaint):
    from django.db import IntegrityError, transaction

    ticket = complaint()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(event=None)
    assert Ticket.objects.get(pk=ticket.pk).event_id == ticket.event_id


def test_r_cmp_07_callers_sharing_a_mask_are_two_people(complaint, team):
    # 138****5678 both: the first three and the last four digits agree, the people do not.
    first = complaint(person=None, caller_name="王五", caller_phone="13811115678")
    second = complaint(person=None, caller_name="赵六", caller_phone="13822225678")
    assert first.caller_phone_masked == second.caller_phone_masked
    complaints.link_complaint(ticket=second, actor=team["clerk"].user, to=first)
    event = ComplaintEvent.objects.get(pk=first.event_id)
    assert event.people_count == 2 and event.times_count == 2


def test_r_cmp_07_one_phone_calling_twice_is_one_person(complaint, team, zhang):
    # Once picked from the register, once only by the number the register holds for him.
    first = complaint(person=zhang, caller_name="张三", caller_phone="")
    second = complaint(person=None, caller_name="张先生", caller_phone=zhang_phone(zhang))
    third = complaint(person=None, caller_name="张三", caller_phone="13900001111")
    clerk = team["clerk"].user
    complaints.link_complaint(ticket=second, actor=clerk, to=first)
    complaints.link_complaint(ticket=third, actor=clerk, to=first)
    event = ComplaintEvent.objects.get(pk=first.event_id)
    assert event.people_count == 2 and event.times_count == 3


def zhang_phone(person) -> str:
    from wuye.core.crypto import decrypt

    return decrypt(person.phone_cipher)


def test_r_cmp_07_count_people_by_record_else_phone_hash():
    count = complaints.count_people
    assert count([(1, 7, "h1"), (2, None, "h1"), (3, 7, "")]) == 1
    assert count([(1, None, "h1"), (2, None, "h2")]) == 2
    assert count([(1, None, ""), (2, None, "")]) == 2  # nobody to tell them apart
    assert count([(1, 7, "h1"), (2, 8, "h2"), (3, 8, "h1")]) == 1  # h1 joins 7 and 8


def test_r_cmp_08_different_matters_of_one_owner_count_separately(complaint, team, zhang):
    one = complaint(person=zhang, subject="垃圾无人清理")
    two = complaint(person=zhang, subject="电梯经常故障")
    assert one.event_id != two.event_id
    assert one.is_event_primary and two.is_event_primary


def test_r_cmp_07_desk_is_offered_likely_duplicates(complaint, site_a, unit_a, lift):
    earlier = complaint(subject="1号电梯异响很大", facility=lift)
    complaint(subject="物业费发票开错了")
    found = likely_duplicates(site_a, text="1号电梯有异响", facility=lift)
    assert [d.ticket for d in found] == [earlier]
    assert found[0].same_place
    assert likely_duplicates(site_a, text="小区绿化很好") == []


def test_duplicates_look_only_at_the_recent_window(complaint, site_a):
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        complaint(subject="1号电梯异响很大")
    with time_machine.travel(NOW, tick=False):
        assert likely_duplicates(site_a, text="1号电梯异响很大", now=NOW) == []


def test_r_cmp_06_company_complaint_is_reported_back(complaint, team):
    ticket = complaint(channel="referral", from_company=True, company_reference="HQ-2026-018")
    with pytest.raises(ValidationError):
        complaints.report_back(ticket=ticket, actor=team["clerk"].user, report="已处理")
    services.complete_ticket(ticket=ticket, actor=team["clerk"].user, note="已清理")
    complaints.report_back(ticket=ticket, actor=team["clerk"].user, report="已清理并回访")
    assert ticket.reported_back_at is not None


def test_complaint_needs_the_complaint_kind(new_ticket, team):
    ticket = new_ticket(kind=Kind.INQUIRY, subject="问")
    with pytest.raises(ValidationError):
        complaints.record_investigation(ticket=ticket, actor=team["clerk"].user,
                                        investigation="x", measures="y")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Help requests


@pytest.mark.parametrize("kind", HelpKind.values)
def test_r_hlp_01_help_kinds(new_ticket, kind):
    ticket = new_ticket(kind=Kind.HELP, help_kind=kind, subject="求助")
    assert ticket.help_kind == kind


def test_r_hlp_01_help_needs_its_kind(new_ticket):
    with pytest.raises(ValidationError) as exc:
        new_ticket(kind=Kind.HELP, subject="求助")
    assert "help_kind" in exc.value.error_dict


def test_r_hlp_04_medical_emergency_takes_address_and_phone_first(new_ticket):
    with pytest.raises(ValidationError) as exc:
        new_ticket(kind=Kind.HELP, help_kind="medical", subject="老人晕倒", caller_phone="")
    assert "caller_phone" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        new_ticket(kind=Kind.HELP, help_kind="medical", subject="老人晕倒", unit=None)
    assert "location" in exc.value.error_dict


@time_machine.travel(NOW, tick=False)
def test_r_hlp_04_what_was_done_is_recorded_with_its_time(new_ticket, team):
    ticket = new_ticket(kind=Kind.HELP, help_kind="medical", subject="老人晕倒")
    guard = team["guard"].user
    complaints.record_help_action(ticket=ticket, actor=guard, action="called_120",
                                  done_at=NOW + datetime.timedelta(seconds=40))  # fmt: skip
    complaints.record_help_action(ticket=ticket, actor=guard, action="met_ambulance",
                                  done_at=NOW + datetime.timedelta(seconds=50))  # fmt: skip
    actions = list(HelpAction.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == ["called_120", "met_ambulance"]
    assert ticket.met_at == NOW + datetime.timedelta(seconds=40)  # answered within 5 minutes
    with pytest.raises(ValidationError):
        complaints.record_help_action(ticket=ticket, actor=guard, action="called_120",
                                      done_at=NOW + datetime.timedelta(hours=1))  # fmt: skip


def test_r_hlp_05_emergency_kinds_show_the_steps(new_ticket):
    crime = complaints.guidance("crime")
    disaster = complaints.guidance("disaster")
    assert "110" in crime[0]
    assert any("119" in line for line in disaster)
    assert any("engineering" in line or "工程" in line for line in disaster)
    assert complaints.guidance("other") == []
