"""The desk's staff pages, the worker's phone pages and the facility QR form."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from wuye.servicedesk import desk, services
from wuye.servicedesk.forms import FinishForm
from wuye.servicedesk.models import Kind, Ticket, TicketStep, WorkOrder
from wuye.servicedesk.public_views import facility_token

pytestmark = pytest.mark.django_db


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_list_shows_open_tickets_overdue_first(client_of, team, new_ticket):
    later = new_ticket(kind=Kind.COMPLAINT, subject="噪音",
                       agreed_at=timezone.now() + datetime.timedelta(hours=8))  # fmt: skip
    sooner = new_ticket(kind=Kind.HELP, help_kind="other", subject="求助")
    response = client_of(team["clerk"].user).get(reverse("servicedesk:ticket_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.index(sooner.subject) < text.index(later.subject)


def test_list_exports_xlsx(client_of, team, new_ticket):
    new_ticket(subject="导出测试")
    response = client_of(team["clerk"].user).get(
        reverse("servicedesk:ticket_list") + "?export=xlsx"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert any(row[4] == "导出测试" for row in sheet.iter_rows(values_only=True))


def test_intake_registers_and_bad_input_is_a_400_with_field_errors(client_of, team, unit_a):
    client = client_of(team["clerk"].user)
    url = reverse("servicedesk:ticket_new")
    bad = client.post(
        url, {"kind": "complaint", "channel": "phone", "subject": "噪音", "unit": "1-0101"}
    )
    assert bad.status_code == 400
    assert "caller_name" in bad.context["form"].errors
    assert not Ticket.objects.exists()
    photo = SimpleUploadedFile("leak.jpg", b"\xff\xd8\xff\xe0data", "image/jpeg")
    good = client.post(url, {
        "kind": "repair", "channel": "phone", "subject": "厨房漏水", "unit": "1-0101",
        "caller_name": "张三", "caller_phone": "13812345678",
        "agreed_at": _local(timezone.now() + datetime.timedelta(hours=3)), "files": [photo],
    })  # fmt: skip
    ticket = Ticket.objects.get()
    assert good.status_code == 302 and good.url == reverse(
        "servicedesk:ticket_detail", args=[ticket.pk]
    )
    assert ticket.unit == unit_a and ticket.attachments.count() == 1


def test_duplicates_fragment(client_of, team, new_ticket):
    new_ticket(kind=Kind.COMPLAINT, subject="电梯异响很大")
    response = client_of(team["clerk"].user).get(
        reverse("servicedesk:duplicates"), {"kind": "complaint", "subject": "电梯异响"}
    )
    assert "电梯异响很大" in response.content.decode()


def test_ticket_page_actions_dispatch_and_refuse_a_stale_form(
    client_of, team, new_ticket, categories
):
    ticket = new_ticket(category=categories["plumbing"])
    client = client_of(team["clerk"].user)
    page = client.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]))
    assert "action-dispatch" in page.content.decode()
    url = reverse("servicedesk:ticket_action", args=[ticket.pk, "dispatch"])
    data = {
        "version": ticket.version, "dispatch-assignee": team["tech1"].pk,
        "dispatch-visit_at": _local(timezone.now() + datetime.timedelta(hours=2)),
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    stale = client.post(url, data)  # the same form again: the ticket has moved on
    assert stale.status_code == 400
    assert "Reload" in stale.content.decode() or "刷新" in stale.content.decode()
    assert WorkOrder.objects.get(ticket=ticket).worker == team["tech1"]


def test_callback_on_open_ticket_is_refused_on_the_page(client_of, team, new_ticket):
    ticket = new_ticket()
    response = client_of(team["clerk"].user).post(
        reverse("servicedesk:ticket_action", args=[ticket.pk, "callback"]),
        {"version": ticket.version, "callback-satisfied": "1", "callback-method": "phone"},
    )
    assert response.status_code == 400
    assert not TicketStep.objects.filter(action="called_back").exists()


def test_another_sites_ticket_is_not_found(client_of, clerk_b, new_ticket):
    ticket = new_ticket()
    client = client_of(clerk_b)
    assert client.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])).status_code == 404
    response = client.post(reverse("servicedesk:ticket_action", args=[ticket.pk, "hurry"]), {})
    assert response.status_code == 404


def test_attachment_is_served_only_within_the_site(client_of, team, clerk_b, new_ticket):
    ticket = new_ticket(files=[SimpleUploadedFile("a.jpg", b"\xff\xd8\xffjpg", "image/jpeg")])
    item = ticket.attachments.get()
    url = reverse("servicedesk:attachment", args=[item.pk])
    assert client_of(clerk_b).get(url).status_code == 404
    response = client_of(team["clerk"].user).get(url)
    assert (
        response.status_code == 200 and b"".join(response.streaming_content) == b"\xff\xd8\xffjpg"
    )


def test_worker_pages_take_the_job_to_sign_off(client_of, team, new_ticket, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    client = client_of(team["tech1"].user)
    assert order.ticket.subject in client.get(reverse("servicedesk:my_work")).content.decode()
    step = lambda name, data=None: client.post(  # noqa: E731
        reverse("servicedesk:work_step", args=[order.pk, name]), data or {}
    )
    assert step("accept").status_code == 302
    assert step("arrive").status_code == 302
    assert step("finish", {"finish-result": "fixed"}).status_code == 400  # what was done?
    assert step("finish", {"finish-work_done": "换阀门", "finish-result": "fixed",
                           "finish-material_name": "阀门", "finish-material_quantity": "1"}).status_code == 302  # fmt: skip
    assert (
        step("sign_off", {"sign_off-signed_by": "张三", "sign_off-rating": "5"}).status_code == 302
    )
    order.refresh_from_db()
    assert order.state == "done" and order.rating == 5 and order.materials.count() == 1
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.COMPLETED


def test_worker_sees_the_full_phone_only_of_their_own_job(client_of, team, new_ticket, categories):
    ticket = new_ticket(category=categories["plumbing"])
    services.dispatch_ticket(ticket=ticket, actor=team["clerk"].user, assignee=team["tech1"],
                             visit_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    url = reverse("servicedesk:work_order", args=[order.pk])
    assert "13812345678" in client_of(team["tech1"].user).get(url).content.decode()
    other = client_of(team["tech2"].user).get(url).content.decode()
    assert "13812345678" not in other and "138****5678" in other


def test_qr_form_files_a_ticket_without_login_and_is_rate_limited(client, lift):
    url = reverse("servicedesk:qr_report", args=[facility_token(lift)])
    assert client.get(url).status_code == 200
    for i in range(5):
        response = client.post(url, {"subject": f"电梯异响{i}"}, REMOTE_ADDR="10.0.0.9")
        assert response.status_code == 200
    ticket = Ticket.objects.filter(facility=lift).first()
    assert ticket.kind == Kind.REPAIR and ticket.channel == "online" and ticket.site == lift.site
    limited = client.post(url, {"subject": "再报一次"}, REMOTE_ADDR="10.0.0.9")
    assert limited.status_code == 429
    assert Ticket.objects.filter(facility=lift).count() == 5
    assert client.post(url, {"subject": ""}, REMOTE_ADDR="10.0.0.10").status_code == 400


def test_qr_with_a_forged_token_is_unknown(client, lift):
    url = reverse("servicedesk:qr_report", args=[f"{lift.pk}.forged"])
    assert client.get(url).status_code == 404


def test_facility_qr_sheet_holds_an_svg(client_of, team, lift):
    response = client_of(team["clerk"].user).get(reverse("servicedesk:facility_qr", args=[lift.pk]))
    assert response.status_code == 200 and "<svg" in response.content.decode()


def test_review_page_and_sign_off(client_of, team, new_ticket):
    new_ticket(subject="今日报修")
    client = client_of(team["cs_sup"].user)
    url = reverse("servicedesk:review")
    assert "今日报修" in client.get(url).content.decode()
    assert client.post(url, {"note": "已核对"}).status_code == 302
    assert client_of(team["clerk"].user).post(url, {"note": "x"}).status_code == 403


def test_duty_page_start_log_and_hand_over(client_of, team, new_ticket):
    client = client_of(team["clerk"].user)
    url = reverse("servicedesk:duty")
    assert client.post(url, {"do": "start"}).status_code == 302
    assert client.post(url, {"do": "log", "text": "巡查正常"}).status_code == 302
    assert client.post(url, {"do": "handover", "to_user": "", "note": "x"}).status_code == 400
    response = client.post(url, {"do": "handover", "to_user": team["cs_sup"].user.pk, "note": "无"})
    assert response.status_code == 302
    assert "巡查正常" in client.get(url).content.decode()


def test_statistics_page_and_export(client_of, team, new_ticket):
    new_ticket(subject="统计")
    client = client_of(team["cs_sup"].user)
    url = reverse("servicedesk:statistics")
    assert "R-KPI-02" in client.get(url).content.decode()
    today = timezone.localdate().isoformat()
    response = client.get(url, {"start": today, "end": today, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=3, column=2).value == 1  # received
    assert client.get(url, {"start": today, "end": "2020-01-01"}).status_code == 400
    assert client_of(team["clerk"].user).get(url).status_code == 403


def test_r_cmp_07_statistics_show_each_events_people_and_contacts(client_of, team, new_ticket):
    from wuye.servicedesk import complaints

    first = new_ticket(kind=Kind.COMPLAINT, subject="楼下烧烤油烟", caller_phone="13811115678")
    for phone in ("13822225678", "13811115678"):  # another person, then the first again
        again = new_ticket(kind=Kind.COMPLAINT, subject="油烟扰民", caller_phone=phone)
        complaints.link_complaint(ticket=again, actor=team["clerk"].user, to=first)
    client = client_of(team["cs_sup"].user)
    url = reverse("servicedesk:statistics")
    page = client.get(url)
    row = page.context["events_shown"][0]
    assert (row["number"], row["people"], row["contacts"]) == (first.number, 2, 3)
    assert first.number in page.content.decode()
    today = timezone.localdate().isoformat()
    response = client.get(url, {"start": today, "end": today, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    figure = {r[0]: r[1] for r in rows if r and r[0]}
    assert (figure["投诉事件"], figure["投诉人数"], figure["投诉次数"]) == (1, 2, 3)
    event_row = next(r for r in rows if r[0] == first.number)
    assert event_row[3:5] == [2, 3]


def test_settings_page_adds_a_root_cause(client_of, team):
    client = client_of(team["pm"].user)
    url = reverse("servicedesk:settings")
    assert client.post(url, {"do": "root_cause", "cause-name": "绿化养护"}).status_code == 302
    assert "绿化养护" in client.get(url).content.decode()
    assert (
        client_of(team["clerk"].user).post(url, {"do": "root_cause", "cause-name": "x"}).status_code
        == 403
    )


def test_the_price_list_and_the_paid_service_choice_show_prices_with_separators(client_of, team, site_a):  # fmt: skip
    desk.save_price_item(site=site_a, actor=team["pm"].user, name="整体翻新", price="1234567.80")
    page = client_of(team["pm"].user).get(reverse("servicedesk:settings")).content.decode()
    assert "整体翻新 · ¥1,234,567.80/次" in page
    choices = [label for _value, label in FinishForm(site=site_a).fields["price_item"].choices]
    assert "整体翻新 ¥1,234,567.80/次" in choices
