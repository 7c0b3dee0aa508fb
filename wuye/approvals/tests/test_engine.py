"""The company's one approval engine (R-ADM-02): any kind registered over a row of the authority
matrix is asked, routed to whoever's post covers it, listed in that person's inbox, and carried
out on approval through its own kind — the engine knows nothing of what it approves."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.staffing import staff_member
from wuye.approvals import kinds, queries, services
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.core.audit import AuditEntry
from wuye.core.errors import invalid
from wuye.staff.models import AuthorityRule, Post
from wuye.staff.services import install_company_defaults

PURCHASE = AuthorityRule.Action.PURCHASE


@pytest.fixture
def team(company, site_a):
    """王经理 (project manager, purchases ≤ ¥5,000) ← 李主任 (centre head, ≤ ¥1,000) ← 钱收费."""
    install_company_defaults(company=company)
    posts = {p.code: p for p in Post.objects.filter(department__company=company)}
    pm = staff_member(site_a, "A001", "王经理", posts["project_manager"], None, "manager")
    head = staff_member(site_a, "A002", "李主任", posts["centre_head"], pm, "manager")
    asker = staff_member(site_a, "A003", "钱收费", posts["cashier"], head, "cashier")
    return {"pm": pm.user, "head": head.user, "asker": asker.user}


@pytest.fixture
def purchases():
    """A kind the engine has never heard of: a purchase of {"item", "amount"}."""
    bought = []

    def prepare(site, params):
        amount = D(str(params.get("amount") or "0"))
        if not params.get("item"):
            raise invalid("params", "Name the item.", "required")
        return {"item": params["item"], "amount": str(amount)}, amount

    def describe(site, requests):
        for asked in requests:
            asked.parts = [asked.params["item"]]

    kinds.register(kinds.Kind(PURCHASE, prepare, lambda request, actor: bought.append((request.params["item"], actor)), describe))  # fmt: skip
    yield bought
    kinds._kinds.pop(PURCHASE)


def ask(team, site, item="灭火器", amount="3000"):
    params = {"item": item, "amount": amount}
    return services.request_approval(site=site, actor=team["asker"], action=PURCHASE, params=params, reason="消防检查缺")  # fmt: skip


def test_r_adm_02_a_new_kind_is_routed_by_the_authority_matrix_and_carried_out_by_its_own_kind(team, site_a, purchases):  # fmt: skip
    asked = ask(team, site_a)
    assert asked.approver_name == "王经理" and asked.amount == D("3000.00")
    # The inbox: the project manager's post covers ¥3,000; the head's (≤ ¥1,000) does not.
    assert list(queries.to_decide(team["pm"], site_a)) == [asked]
    assert list(queries.to_decide(team["head"], site_a)) == []
    assert list(queries.to_decide(team["asker"], site_a)) == []
    [described] = queries.describe(site_a, [asked])
    assert described.what.endswith("灭火器") and described.unit is None
    with pytest.raises(BeyondAuthority):
        services.decide(request=asked, actor=team["head"], approve=True)
    assert purchases == []
    decided = services.decide(request=asked, actor=team["pm"], approve=True)
    assert decided.state == ApprovalRequest.State.APPROVED and purchases == [("灭火器", team["pm"])]
    assert AuditEntry.objects.filter(object_id=str(asked.pk)).count() == 2
    with pytest.raises(ValidationError):  # decided once only
        services.decide(request=asked, actor=team["pm"], approve=True)


def test_r_adm_02_an_unregistered_kind_and_a_missing_reason_are_refused_together(team, site_a):
    with pytest.raises(ValidationError) as refused:
        services.request_approval(site=site_a, actor=team["asker"], action=PURCHASE, params={}, reason=" ")  # fmt: skip
    assert set(refused.value.message_dict) == {"action", "reason"}
    assert not ApprovalRequest.objects.exists()


def test_r_adm_02_the_kinds_check_and_the_one_pending_request_per_subject(team, site_a, purchases):
    with pytest.raises(ValidationError) as refused:
        services.request_approval(site=site_a, actor=team["asker"], action=PURCHASE, params={"amount": "5"}, reason="")  # fmt: skip
    assert set(refused.value.message_dict) == {"params", "reason"}
    ask(team, site_a)
    with pytest.raises(ValidationError, match="已在等待审批"):
        ask(team, site_a)
    assert ApprovalRequest.objects.count() == 1


def test_r_adm_02_nobody_decides_their_own_and_a_rejection_needs_a_note(team, site_a, purchases):
    asked = ask(team, site_a, amount="500")
    with pytest.raises(ValidationError):
        services.decide(request=asked, actor=team["head"], approve=False)
    rejected = services.decide(request=asked, actor=team["head"], approve=False, note="库里还有")
    assert rejected.state == ApprovalRequest.State.REJECTED and purchases == []
    mine = services.request_approval(site=site_a, actor=team["head"], action=PURCHASE, params={"item": "梯子", "amount": "200"}, reason="高处作业")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.decide(request=mine, actor=team["head"], approve=True)


def test_r_adm_02_the_inbox_page_and_api_show_each_approver_what_waits_for_them(team, site_a, client_of, purchases):  # fmt: skip
    asked = ask(team, site_a)
    page = client_of(team["pm"]).get(reverse("approvals:inbox"), {"for_me": "1"})
    assert page.status_code == 200 and f'id="approval-{asked.pk}"' in page.content.decode()
    page = client_of(team["head"]).get(reverse("approvals:inbox"), {"for_me": "1"})
    assert f'id="approval-{asked.pk}"' not in page.content.decode()
    # The page where money's corrections were first decided is the same inbox.
    assert (
        f'id="approval-{asked.pk}"'
        in client_of(team["pm"]).get("/billing/approvals/?for_me=1").content.decode()
    )
    found = client_of(team["pm"]).get("/api/v1/approvals/inbox").json()
    assert [r["id"] for r in found] == [asked.pk] and found[0]["what"].endswith("灭火器")
    assert client_of(team["head"]).get("/api/v1/approvals/inbox").json() == []
    page = client_of(team["pm"]).get(reverse("approvals:inbox"), {"for_me": "1"}).content.decode()
    action = reverse("approvals:decide", args=[asked.pk]) + "?for_me=1"
    assert f'action="{action}"' in page  # the decision is made from the tab it was listed on
    decided = client_of(team["pm"]).post(action, {f"decide-{asked.pk}-decision": "approve", f"decide-{asked.pk}-note": ""})  # fmt: skip
    assert decided.status_code == 302 and purchases == [("灭火器", team["pm"])]
    assert decided["Location"] == reverse("approvals:inbox") + "?for_me=1"  # and back to that tab


def test_the_inbox_is_of_the_callers_site_only(team, site_a, site_b, clerk_b, client_of, purchases):
    asked = ask(team, site_a)
    assert client_of(clerk_b).get("/api/v1/approvals/inbox", {"site": site_a.pk}).status_code in (
        403,
        404,
    )
    response = client_of(team["pm"]).post(reverse("approvals:decide", args=[asked.pk]), {})
    assert response.status_code == 400
    assert client_of(clerk_b).post(
        reverse("approvals:decide", args=[asked.pk]), {}
    ).status_code in (403, 404)


def test_r_adm_02_any_kind_is_decided_through_the_api_and_beyond_authority_names_who_may(team, site_a, client_of, purchases):  # fmt: skip
    asked = ask(team, site_a)
    url = f"/api/v1/approvals/{asked.pk}/decide"
    refused = client_of(team["head"]).post(url, {"approve": True}, content_type="application/json")
    body = refused.json()
    # A kind without its own refusal gets the engine's plain sentence, naming the approver.
    assert refused.status_code == 403 and body["code"] == "beyond_authority"
    assert body["approver"] == "王经理" and "王经理" in body["message"] and purchases == []
    rejected = client_of(team["pm"]).post(url, {"approve": False}, content_type="application/json")
    assert rejected.status_code == 400 and purchases == []
    approved = client_of(team["pm"]).post(url, {"approve": True}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert purchases == [("灭火器", team["pm"])]
    again = client_of(team["pm"]).post(url, {"approve": True}, content_type="application/json")
    assert again.status_code == 400 and len(purchases) == 1
