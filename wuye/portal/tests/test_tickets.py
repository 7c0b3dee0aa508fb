"""Residents' own tickets (R-DSK-01; docs/servicedesk.md, Intake): they file repairs, complaints,
inquiries and suggestions for their own units, hurry and rate them — and see nobody else's, however
they try."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from wuye.core.security import issue_api_token
from wuye.portal import services
from wuye.servicedesk import services as desk
from wuye.servicedesk.models import Ticket, WorkOrder
from wuye.staff.models import Department, Employee, Post
from wuye.staff.services import install_company_defaults

BASE = "/api/v1/portal"
JSON = "application/json"


def bearer(account):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=account.user, name='t')[1]}"}


@pytest.fixture
def zhang_acc(resident_of, owned_unit):
    return resident_of(owned_unit, "13812345678", "张三")


@pytest.fixture
def li_acc(resident_of, other_unit):
    return resident_of(other_unit, "13998765432", "李四")


def test_resident_files_a_repair_for_their_unit(zhang_acc, owned_unit):
    ticket = services.file_ticket(account=zhang_acc, unit_id=owned_unit.pk, kind="repair",
                                  subject="卫生间漏水",
                                  agreed_at=timezone.now() + datetime.timedelta(days=1))  # fmt: skip
    assert ticket.resident == zhang_acc.user and ticket.channel == "online"
    assert ticket.caller_name == "张三" and ticket.caller_phone_masked == "138****5678"
    assert ticket.unit == owned_unit and ticket.received_by is None


def test_resident_cannot_file_for_someone_elses_unit(zhang_acc, other_unit):
    with pytest.raises(Http404):
        services.file_ticket(account=zhang_acc, unit_id=other_unit.pk, kind="repair", subject="x")
    assert not Ticket.objects.exists()


def test_resident_may_not_file_a_help_request_or_praise_online(zhang_acc, owned_unit):
    with pytest.raises(ValidationError):
        services.file_ticket(account=zhang_acc, unit_id=owned_unit.pk, kind="help", subject="x")


def test_resident_sees_only_their_own_tickets_through_every_door(
    client, zhang_acc, li_acc, owned_unit, other_unit
):
    mine = services.file_ticket(
        account=zhang_acc, unit_id=owned_unit.pk, kind="inquiry", subject="停车"
    )
    theirs = services.file_ticket(
        account=li_acc, unit_id=other_unit.pk, kind="complaint", subject="噪音"
    )
    headers = bearer(zhang_acc)
    listed = client.get(f"{BASE}/tickets", **headers).json()
    assert [t["id"] for t in listed] == [mine.pk]
    assert client.get(f"{BASE}/tickets/{theirs.pk}", **headers).status_code == 404
    assert client.post(f"{BASE}/tickets/{theirs.pk}/hurry", {}, content_type=JSON, **headers).status_code == 404  # fmt: skip
    assert client.post(f"{BASE}/tickets/{theirs.pk}/rate", {"rating": 1}, content_type=JSON, **headers).status_code == 404  # fmt: skip
    # The staff API is closed to residents.
    assert client.get(f"/api/v1/servicedesk/tickets/{theirs.pk}", **headers).status_code in (
        403,
        404,
    )
    assert client.get("/api/v1/servicedesk/tickets", {"site": owned_unit.site_id}, **headers).status_code == 403  # fmt: skip
    client.force_login(zhang_acc.user)
    assert client.get(reverse("portal:ticket", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("servicedesk:ticket_detail", args=[theirs.pk])).status_code in (
        403,
        404,
    )


def test_file_hurry_and_rate_over_the_api(client, zhang_acc, owned_unit, clerk_a, company, site_a):
    headers = bearer(zhang_acc)
    created = client.post(f"{BASE}/tickets", {"unit": owned_unit.pk, "kind": "repair", "subject": "灯不亮"},
                          content_type=JSON, **headers)  # fmt: skip
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    hurried = client.post(f"{BASE}/tickets/{ticket_id}/hurry", {"note": "快点"}, content_type=JSON, **headers)  # fmt: skip
    assert hurried.json()["hurry_count"] == 1
    early = client.post(
        f"{BASE}/tickets/{ticket_id}/rate", {"rating": 5}, content_type=JSON, **headers
    )
    assert early.status_code == 400  # nothing finished to rate yet
    worker = _technician(company, site_a)
    ticket = Ticket.objects.get(pk=ticket_id)
    desk.dispatch_ticket(ticket=ticket, actor=clerk_a, assignee=worker,
                         visit_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    desk.record_arrival(work_order=order, actor=clerk_a)
    desk.finish_work_order(work_order=order, actor=clerk_a, work_done="换灯泡", result="fixed")
    rated = client.post(f"{BASE}/tickets/{ticket_id}/rate", {"rating": 4, "comment": "不错"}, content_type=JSON, **headers)  # fmt: skip
    assert rated.status_code == 200 and rated.json()["rating"] == 4
    bad = client.post(
        f"{BASE}/tickets/{ticket_id}/rate", {"rating": 6}, content_type=JSON, **headers
    )
    assert bad.status_code == 422


def _technician(company, site):
    install_company_defaults(company=company)
    post = Post.objects.get(department__company=company, code="technician")
    assert Department.objects.filter(company=company).exists()
    return Employee.objects.create(site=site, number="T1", name="周师傅", post=post)


def test_resident_pages(client, zhang_acc, owned_unit):
    client.force_login(zhang_acc.user)
    url = reverse("portal:tickets")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "repair", "unit": owned_unit.pk, "subject": ""})
    assert bad.status_code == 400
    sent = client.post(url, {"kind": "complaint", "unit": owned_unit.pk, "subject": "电梯太慢"})
    ticket = Ticket.objects.get()
    assert sent.status_code == 302 and sent.url == reverse("portal:ticket", args=[ticket.pk])
    page = client.get(sent.url)
    assert "电梯太慢" in page.content.decode()
    assert client.post(sent.url, {"do": "hurry"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.hurry_count == 1


def test_a_kind_residents_may_not_file_and_an_empty_subject_are_told_together(
    zhang_acc, owned_unit
):
    with pytest.raises(ValidationError) as caught:
        services.file_ticket(account=zhang_acc, unit_id=owned_unit.pk, kind="help", subject=" ")
    assert {f: [e.code for e in errors] for f, errors in caught.value.error_dict.items()} == {
        "kind": ["invalid_choice"],
        "subject": ["required"],
    }
    assert not Ticket.objects.exists()


def test_the_ticket_api_names_a_bad_kind_and_an_empty_subject_in_one_400(
    client, zhang_acc, owned_unit
):
    response = client.post(
        f"{BASE}/tickets",
        {"unit": owned_unit.pk, "kind": "praise", "subject": ""},
        content_type=JSON,
        **bearer(zhang_acc),
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("kind", "invalid_choice"),
        ("subject", "required"),
    }
    assert not Ticket.objects.exists()
