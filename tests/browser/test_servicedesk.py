"""The service desk in a real browser (R-REP-01, R-REP-02, R-REP-04): a clerk takes a repair call
and dispatches it, the worker does the job on a phone-sized page and the resident signs it off
there, the clerk records a satisfied callback and the ticket closes."""

import datetime

import pytest
from django.utils import timezone

from wuye.servicedesk.models import Ticket, WorkOrder

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(delta: datetime.timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def test_a_repair_call_from_intake_to_a_satisfied_callback(
    desktop, phone, team, categories, unit_a
):
    clerk, worker = team["clerk"].user, team["tech1"].user

    # The clerk takes the call.
    page = desktop
    sign_in(page, clerk.username)
    page.goto(page.base + "/desk/new/")
    page.select_option("#id_kind", "repair")
    page.select_option("#id_channel", "phone")
    page.select_option("#id_category", str(categories["plumbing"].pk))
    page.fill("#id_subject", "厨房水管漏水")
    page.fill("#id_description", "水槽下方三角阀滴水")
    page.fill("#id_caller_name", "张三")
    page.fill("#id_caller_phone", "13812345678")
    page.fill("#id_unit", "1-0101")
    page.fill("#id_agreed_at", _local(datetime.timedelta(hours=3)))
    screenshot(page, "desk-intake")
    page.locator("form#intake button[type=submit].primary").click()
    page.wait_for_url("**/desk/tickets/*/")
    ticket = Ticket.objects.get()
    assert ticket.unit == unit_a and ticket.state == Ticket.State.OPEN

    # … and dispatches it to a technician with the agreed visit time.
    page.locator("#action-dispatch summary").click()
    page.select_option("#id_dispatch-assignee", str(team["tech1"].pk))
    page.fill("#id_dispatch-visit_at", _local(datetime.timedelta(hours=3)))
    page.locator("#action-dispatch button[type=submit]").click()
    page.wait_for_load_state()
    screenshot(page, "desk-ticket-dispatched")
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.ASSIGNED and ticket.assignee == team["tech1"]
    order = WorkOrder.objects.get(ticket=ticket)

    # The worker, on a phone: accept, arrive, finish, and the resident signs off there.
    mobile = phone
    sign_in(mobile, worker.username)
    mobile.goto(mobile.base + "/desk/work/")
    mobile.get_by_text("厨房水管漏水").click()
    mobile.wait_for_url(f"**/desk/work/{order.pk}/")
    screenshot(mobile, "phone-work-order")
    mobile.locator(f"form[action$='/work/{order.pk}/accept/'] button").click()
    mobile.wait_for_load_state()
    mobile.locator(f"form[action$='/work/{order.pk}/arrive/'] button").click()
    mobile.wait_for_load_state()
    mobile.fill("#id_finish-work_done", "更换三角阀，试水无渗漏")
    mobile.check("input[name='finish-result'][value='fixed']")
    mobile.fill("#id_finish-material_name", "三角阀")
    mobile.fill("#id_finish-material_quantity", "1")
    screenshot(mobile, "phone-finish")
    mobile.locator("#finish button[type=submit]").click()
    mobile.wait_for_load_state()
    mobile.fill("#id_sign_off-signed_by", "张三")
    mobile.check("input[name='sign_off-rating'][value='5']")
    mobile.locator("#sign-off button[type=submit]").click()
    mobile.wait_for_load_state()
    screenshot(mobile, "phone-signed-off")
    order.refresh_from_db()
    assert order.state == WorkOrder.State.DONE and order.rating == 5

    # The clerk calls the resident back: satisfied, and the ticket closes.
    page.goto(page.base + f"/desk/tickets/{ticket.pk}/")
    page.locator("#action-callback summary").click()
    page.check("input[name='callback-satisfied'][value='1']")
    page.fill("#id_callback-comment", "很满意，师傅准时")
    page.locator("#action-callback button[type=submit]").click()
    page.wait_for_load_state()
    screenshot(page, "desk-ticket-closed")
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.CLOSED and ticket.satisfied is True
    assert page.locator("#ticket-state").inner_text() == "已关闭"
