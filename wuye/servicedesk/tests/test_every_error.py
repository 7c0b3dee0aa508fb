"""The desk's services report every bad field of a request at once, and write nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.errors import codes
from wuye.servicedesk import desk, services
from wuye.servicedesk.models import Category, Kind, PriceItem, WorkOrder
from wuye.servicedesk.services import Intake, register_ticket

pytestmark = pytest.mark.django_db


def _fields(exc: ValidationError) -> dict[str, str]:
    return {field: errors[0].code for field, errors in exc.error_dict.items()}


def test_a_ticket_with_four_bad_fields_hears_of_all_four(site_a, team):
    intake = Intake(kind="complaint", channel="fax?", subject=" ", caller_phone="1234",
                    unit=999999, caller_name="")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        register_ticket(site=site_a, actor=team["clerk"].user, intake=intake)
    assert _fields(exc.value) == {
        "channel": "invalid_choice", "subject": "required", "caller_phone": "bad_phone",
        "unit": "not_found", "caller_name": "required",
    }  # fmt: skip


def test_nul_characters_in_a_ticket_are_errors_of_their_fields_not_server_errors(site_a, team):
    intake = Intake(kind="inquiry", channel="phone", subject="停车\x00", caller_name="王\x00",
                    description="说明\x00", location="3号楼\x00")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        register_ticket(site=site_a, actor=team["clerk"].user, intake=intake)
    assert _fields(exc.value) == dict.fromkeys(
        ("subject", "caller_name", "description", "location"), "null_characters_not_allowed"
    )


def test_dispatch_reports_the_department_and_the_visit_time_together(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    past = timezone.now() - datetime.timedelta(hours=1)
    with pytest.raises(ValidationError) as exc:
        services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, department=999999,
                                 assignee=team["tech1"], visit_at=past)  # fmt: skip
    assert _fields(exc.value) == {"department": "not_found", "visit_at": "past"}
    assert not WorkOrder.objects.exists()


def test_finishing_a_job_reports_every_missing_fact(new_ticket, team, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    services.record_arrival(work_order=order, actor=team["tech1"].user)
    with pytest.raises(ValidationError) as exc:
        services.finish_work_order(
            work_order=order, actor=team["tech1"].user, work_done="", result="magic",
            materials=[services.MaterialLine(name="水龙头", quantity=0)],
        )  # fmt: skip
    assert _fields(exc.value) == {
        "work_done": "required", "result": "invalid_choice", "materials": "quantity",
    }  # fmt: skip
    order.refresh_from_db()
    assert order.state == WorkOrder.State.ARRIVED and not order.materials.exists()


def test_the_price_list_refuses_a_nameless_price_beyond_its_column(site_a, team):
    with pytest.raises(ValidationError) as exc:
        desk.save_price_item(site=site_a, actor=team["pm"].user, name=" ", price="1e12")
    assert _fields(exc.value) == {"name": "required", "price": "too_large"}
    assert "¥99,999,999.99" in str(exc.value.message_dict["price"])
    with pytest.raises(ValidationError) as exc:
        desk.save_price_item(site=site_a, actor=team["pm"].user, name="疏通", price="NaN")
    assert codes(exc.value) == {"invalid"}
    assert not PriceItem.objects.exists()


def test_desk_settings_report_each_bad_number(site_a, team):
    with pytest.raises(ValidationError) as exc:
        desk.update_desk_settings(site=site_a, actor=team["pm"].user, warn_percent=5,
                                  help_answer_minutes=0, callback_within_days=99999)  # fmt: skip
    assert _fields(exc.value) == {
        "warn_percent": "range", "help_answer_minutes": "range", "callback_within_days": "invalid",
    }  # fmt: skip


def test_a_category_reports_its_kind_mode_and_name_together(site_a, team):
    with pytest.raises(ValidationError) as exc:
        desk.save_category(site=site_a, actor=team["pm"].user, kind="x", name="",
                           department=None, dispatch_mode="y")  # fmt: skip
    assert set(_fields(exc.value)) == {"kind", "dispatch_mode", "department", "name"}
    assert not Category.objects.exists()


def test_the_intake_page_shows_every_error_beside_its_field(client_of, team, unit_a):
    response = client_of(team["clerk"].user).post(
        reverse("servicedesk:ticket_new"),
        {"kind": Kind.COMPLAINT, "channel": "phone", "subject": "噪音", "caller_phone": "1234",
         "unit": unit_a.code},
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"caller_phone", "caller_name"} <= set(errors)
