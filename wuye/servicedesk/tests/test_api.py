"""The service desk's API: every action, scoping, the error shape and concurrency."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from wuye.core.security import issue_api_token
from wuye.servicedesk.models import Kind, Ticket, WorkOrder

pytestmark = pytest.mark.django_db
BASE = "/api/v1/servicedesk"
JSON = "application/json"


def _iso(delta: datetime.timedelta) -> str:
    return (timezone.now() + delta).isoformat()


@pytest.fixture
def api():
    """`api(user)`: post/get JSON as `user`, each with a session of its own."""

    class Api:
        def __init__(self, user):
            self.client = Client()
            self.client.force_login(user)

        def get(self, path, **params):
            return self.client.get(f"{BASE}{path}", params)

        def post(self, path, body=None):
            return self.client.post(f"{BASE}{path}", body or {}, content_type=JSON)

    return Api


def test_register_and_read_a_ticket(api, team, unit_a):
    clerk = api(team["clerk"].user)
    created = clerk.post("/tickets", {
        "kind": "repair", "channel": "phone", "subject": "厨房漏水", "unit": unit_a.pk,
        "caller_name": "张三", "caller_phone": "13812345678", "agreed_at": _iso(datetime.timedelta(hours=2)),
    })  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert body["number"].startswith("TK-A-") and body["unit_code"] == "1-0101"
    assert body["caller_phone"].endswith("13812345678")  # the clerk may see the full number
    assert clerk.get(f"/tickets/{body['id']}").json()["id"] == body["id"]
    assert clerk.get("/tickets").json()["count"] == 1


def test_bad_input_is_a_400_with_every_field_error_and_nothing_written(api, team, unit_a):
    response = api(team["clerk"].user).post("/tickets", {
        "kind": "complaint", "channel": "phone", "subject": "噪音", "unit": unit_a.pk,
    })  # fmt: skip
    assert response.status_code == 400
    # Both of R-CMP-02's missing facts in one answer, not one per attempt.
    assert {f["field"] for f in response.json()["fields"]} == {"caller_name", "caller_phone"}
    assert not Ticket.objects.exists()
    schema = api(team["clerk"].user).post("/tickets", {"kind": "repair"})
    assert schema.status_code == 422 and schema.json()["fields"]


def test_another_sites_ticket_answers_404(api, clerk_b, new_ticket):
    ticket = new_ticket()
    assert api(clerk_b).get(f"/tickets/{ticket.pk}").status_code == 404
    assert api(clerk_b).post(f"/tickets/{ticket.pk}/hurry", {}).status_code == 404


def test_clerk_without_supervision_cannot_force_close(api, team, new_ticket):
    ticket = new_ticket()
    response = api(team["clerk"].user).post(f"/tickets/{ticket.pk}/force-close", {"reason": "x"})
    assert response.status_code == 403


def test_repair_flow_over_the_api(api, team, new_ticket, categories):
    ticket = new_ticket(category=categories["plumbing"])
    clerk, worker = api(team["clerk"].user), api(team["tech1"].user)
    seen = clerk.get(f"/tickets/{ticket.pk}").json()["version"]
    dispatched = clerk.post(f"/tickets/{ticket.pk}/dispatch", {
        "assignee": team["tech1"].pk, "visit_at": _iso(datetime.timedelta(hours=2)), "version": seen,
    })  # fmt: skip
    assert dispatched.status_code == 200 and dispatched.json()["state"] == "assigned"
    stale = clerk.post(f"/tickets/{ticket.pk}/hold", {"reason": "x", "version": seen})
    assert stale.status_code == 400 and stale.json()["fields"][0]["code"] == "stale"
    order = worker.get("/work-orders").json()[0]
    assert worker.post(f"/work-orders/{order['id']}/accept").status_code == 200
    assert worker.post(f"/work-orders/{order['id']}/arrive").json()["state"] == "arrived"
    finished = worker.post(f"/work-orders/{order['id']}/finish", {
        "work_done": "更换阀门", "result": "fixed",
        "materials": [{"name": "阀门", "quantity": "1", "unit_label": "个"}],
    })  # fmt: skip
    assert finished.json()["state"] == "done"
    signed = worker.post(f"/work-orders/{order['id']}/sign-off", {"signed_by": "张三", "rating": 5})
    assert signed.json()["rating"] == 5
    assert worker.post(f"/work-orders/{order['id']}/sign-off", {"signed_by": "张三", "rating": 9}).status_code == 422  # fmt: skip
    assert clerk.get("/callbacks").json()[0]["ticket"] == ticket.pk
    closed = clerk.post(f"/tickets/{ticket.pk}/callback", {"satisfied": True, "comment": "好"})
    assert closed.json()["state"] == "closed"
    quality = api(team["cs_sup"].user).post(
        f"/tickets/{ticket.pk}/quality-check", {"verdict": "good"}
    )
    assert quality.status_code == 200
    history = [s["action"] for s in clerk.get(f"/tickets/{ticket.pk}/history").json()]
    assert history == ["registered", "dispatched", "accepted", "arrived", "work_finished",
                       "signed_off", "called_back", "quality_checked"]  # fmt: skip


def test_pool_take_over_the_api(api, team, new_ticket, categories):
    ticket = new_ticket(category=categories["lift"])
    api(team["clerk"].user).post(f"/tickets/{ticket.pk}/dispatch", {"visit_at": _iso(datetime.timedelta(hours=1))})  # fmt: skip
    order = api(team["tech2"].user).get("/work-orders/pool").json()[0]
    assert api(team["tech2"].user).post(f"/work-orders/{order['id']}/take").json()["worker"] == team["tech2"].pk  # fmt: skip
    assert api(team["tech1"].user).post(f"/work-orders/{order['id']}/take").status_code == 400


def test_hold_resume_defer_escalate_hurry(api, team, new_ticket):
    ticket = new_ticket(kind=Kind.INQUIRY, subject="问")
    clerk = api(team["clerk"].user)
    path = f"/tickets/{ticket.pk}"
    assert clerk.post(f"{path}/hold", {"reason": "等资料"}).json()["state"] == "on_hold"
    assert clerk.post(f"{path}/resume", {}).json()["state"] == "open"
    tomorrow = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert (
        clerk.post(f"{path}/defer", {"until": tomorrow, "reason": "等业委会"}).json()["state"]
        == "deferred"
    )
    assert clerk.post(f"{path}/resume", {}).json()["state"] == "open"
    assert clerk.post(f"{path}/hurry", {"note": "又来电"}).json()["hurry_count"] == 1
    assert clerk.post(f"{path}/escalate", {}).json()["escalated_to"] == team["cs_sup"].pk
    answered = clerk.post(f"{path}/answer", {"answer": "已答复", "complete": True})
    assert answered.json()["state"] == "closed"  # an inquiry needs no callback
    assert clerk.post(f"{path}/close", {}).status_code == 400


def test_complaint_actions_over_the_api(api, team, new_ticket, root_causes):
    first = new_ticket(
        kind=Kind.COMPLAINT, subject="装修噪音", from_company=True, channel="referral"
    )
    second = new_ticket(kind=Kind.COMPLAINT, subject="装修噪音又来了")
    clerk, sup = api(team["clerk"].user), api(team["cs_sup"].user)
    path = f"/tickets/{first.pk}"
    assert clerk.post(f"{path}/agree-answer-time", {"answer_at": _iso(datetime.timedelta(hours=5))}).status_code == 200  # fmt: skip
    assert clerk.post(f"{path}/investigation", {"investigation": "超时施工", "measures": "约谈"}).status_code == 200  # fmt: skip
    assert clerk.post(f"{path}/negotiations", {"proposal": "限时施工", "agreed": True}).status_code == 200  # fmt: skip
    assert clerk.post(f"{path}/root-cause", {"root_cause": root_causes["邻里纠纷"].pk}).json()["root_cause"] == root_causes["邻里纠纷"].pk  # fmt: skip
    assert clerk.post(f"/tickets/{second.pk}/link", {"to": first.pk, "reach": "2栋"}).json()["event"] == first.event_id  # fmt: skip
    assert clerk.post(f"{path}/validity", {"valid": True}).status_code == 403
    assert sup.post(f"{path}/validity", {"valid": True}).json()["is_valid"] is True
    assert sup.post(f"{path}/major", {"major": True}).json()["is_major"] is True
    assert clerk.post(f"{path}/complete", {"note": "已整改"}).json()["state"] == "completed"
    assert clerk.post(f"{path}/report-back", {"report": "已整改并回访"}).status_code == 200
    dupes = clerk.get("/duplicates", text="装修噪音").json()
    assert {d["ticket"] for d in dupes} == {first.pk, second.pk}


def test_help_action_and_force_close(api, team, new_ticket):
    ticket = new_ticket(kind=Kind.HELP, help_kind="crime", subject="车辆被划")
    guard = api(team["guard"].user)
    done = guard.post(
        f"/tickets/{ticket.pk}/help-actions", {"action": "called_110", "note": "已报警"}
    )
    assert done.status_code == 200 and done.json()["met_at"] is not None
    assert (
        guard.post(f"/tickets/{ticket.pk}/help-actions", {"action": "nonsense"}).status_code == 400
    )
    closed = api(team["cs_sup"].user).post(
        f"/tickets/{ticket.pk}/force-close", {"reason": "警方接手"}
    )
    assert closed.json()["state"] == "closed"


def test_daily_review_and_statistics(api, team, new_ticket):
    new_ticket(subject="统计")
    complaint = new_ticket(kind="complaint", subject="噪音扰民")
    sup = api(team["cs_sup"].user)
    today = timezone.localdate().isoformat()
    assert sup.post("/daily-reviews", {"day": today}).status_code == 201
    assert sup.post("/daily-reviews", {"day": today}).status_code == 400
    figures = sup.get("/statistics", start=today, end=today).json()
    assert figures["total"]["received"] == 2
    # R-CMP-07: each event with its people and contacts.
    assert [(e["number"], e["people"], e["contacts"]) for e in figures["complaint_events"]] == [
        (complaint.number, 1, 1)
    ]
    assert (figures["complaints"]["people"], figures["complaints"]["contacts"]) == (1, 1)
    assert {i["code"] for i in figures["indicators"]} >= {"R-KPI-02", "R-KPI-06"}
    assert sup.get("/statistics", start=today, end="2020-01-01").status_code == 400
    assert api(team["clerk"].user).get("/statistics", start=today, end=today).status_code == 403


def test_bearer_token_works_like_the_session(client, team, new_ticket):
    new_ticket()
    token = issue_api_token(user=team["clerk"].user, name="app")[1]
    response = client.get(f"{BASE}/tickets", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_work_order_of_another_site_answers_404(api, team, clerk_b, new_ticket, categories):
    ticket = new_ticket(category=categories["plumbing"])
    api(team["clerk"].user).post(f"/tickets/{ticket.pk}/dispatch", {"assignee": team["tech1"].pk, "visit_at": _iso(datetime.timedelta(hours=1))})  # fmt: skip
    order = WorkOrder.objects.get()
    assert api(clerk_b).post(f"/work-orders/{order.pk}/arrive").status_code == 404
