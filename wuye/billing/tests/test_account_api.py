"""The billing API's deposits, refunds, approval requests and leases: what the pages do, with a
refusal beyond authority as 403 naming the approver, field errors as 400 in the one error
shape, and another site's ids as 404."""

import datetime
from decimal import Decimal

import pytest

from tests.clients import signed_in
from wuye.approvals.models import ApprovalRequest
from wuye.billing import payments
from wuye.billing.models import Deposit, FeeItem, Lease, Refund
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
BASE = "/api/v1/billing"
JSON = "application/json"
D = Decimal


def post(client, path, body):
    return client.post(f"{BASE}{path}", body, content_type=JSON)


def pay(unit, actor, amount, **kwargs):
    return payments.take_payment(
        site=unit.site, actor=actor, unit=unit, method="cash", amount=amount, **kwargs
    )


def test_a_deposit_is_taken_listed_and_applied(finance, owed, deposit_item):
    cashier = signed_in(finance["cashier"].user)
    body = {"unit": owed.pk, "fee_item": deposit_item.pk, "method": "cash", "amount": "150",
            "tendered": "200", "note": "门禁卡"}  # fmt: skip
    taken = post(cashier, "/deposits", body)
    assert taken.status_code == 201
    made = taken.json()
    assert (made["amount"], made["held"], made["fee_item_name"]) == ("150.00", "150.00", "装修押金")
    assert made["receipt"].startswith("RC-A-")
    statement = cashier.get(f"{BASE}/units/{owed.pk}/statement").json()
    assert statement["balance"] == "300.00"  # held apart: the balance does not move
    listed = cashier.get(f"{BASE}/units/{owed.pk}/deposits").json()
    assert [d["id"] for d in listed] == [made["id"]]
    applied = post(cashier, f"/deposits/{made['id']}/apply", {})
    assert applied.status_code == 200
    assert applied.json()["applied"] == "150.00" and applied.json()["deposit"]["held"] == "0.00"
    assert cashier.get(f"{BASE}/units/{owed.pk}/statement").json()["balance"] == "150.00"
    nothing = post(cashier, f"/deposits/{made['id']}/apply", {})
    assert nothing.status_code == 400 and nothing.json()["fields"][0]["code"] == "nothing_held"


def test_a_deposit_of_another_kind_is_a_field_error(finance, owed):
    cashier = signed_in(finance["cashier"].user)
    mgmt = FeeItem.objects.get(code="mgmt")
    response = post(cashier, "/deposits", {"unit": owed.pk, "fee_item": mgmt.pk, "method": "qr", "amount": "10"})  # fmt: skip
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid"
    assert body["fields"] == [
        {"field": "fee_item", "message": body["message"], "code": "not_deposit"}
    ]
    assert not Deposit.objects.exists()
    malformed = post(cashier, "/deposits", {"unit": owed.pk, "fee_item": mgmt.pk, "method": "qr"})
    assert malformed.status_code == 422 and malformed.json()["fields"][0]["field"] == "amount"


def test_a_refund_reopens_the_line_and_is_listed(finance, owed):
    pay(owed, finance["cashier"].user, "300")
    line = BillLine.objects.filter(unit=owed).order_by("period_start").first()
    sup = signed_in(finance["sup"].user)
    body = {"unit": owed.pk, "source": "line", "bill_line": line.pk, "amount": "100",
            "method": "transfer", "reason": "重复缴费", "paid_to": "张三丰"}  # fmt: skip
    too_much = post(sup, "/refunds", {**body, "amount": "100.01"})
    assert too_much.status_code == 400
    assert too_much.json()["fields"][0]["field"] == "amount" and not Refund.objects.exists()
    made = post(sup, "/refunds", body)
    assert made.status_code == 201 and made.json()["bill_line"] == line.pk
    assert [lo.pk for lo in payments.open_lines(owed)] == [line.pk]
    listed = sup.get(f"{BASE}/units/{owed.pk}/refunds").json()
    assert [(r["source"], r["amount"], r["paid_to"]) for r in listed] == [
        ("line", "100.00", "张三丰")
    ]
    assert sup.get(f"{BASE}/units/{owed.pk}/statement").json()["balance"] == "100.00"


def test_beyond_authority_is_a_403_naming_who_may_approve_then_approved(finance, owed):
    pay(owed, finance["cashier"].user, "1000", take_rest_as_credit=True)  # ¥700 credit
    cashier, sup = signed_in(finance["cashier"].user), signed_in(finance["sup"].user)
    body = {"unit": owed.pk, "source": "credit", "amount": "300", "method": "cash",
            "reason": "业主搬离"}  # fmt: skip
    refused = post(cashier, "/refunds", body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "beyond_authority" and refused.json()["approver"] == "赵会计"
    assert "赵会计" in refused.json()["message"] and refused.json()["amount"] == "300.00"
    over = post(sup, "/refunds", {**body, "amount": "600"})
    assert over.status_code == 403 and over.json()["approver"] == "李主任"
    assert not Refund.objects.exists()

    params = {"unit": owed.pk, "source": "credit", "amount": "600", "method": "cash"}
    asked = post(cashier, "/approval-requests", {"action": "refund", "params": params, "reason": "业主搬离"})  # fmt: skip
    assert asked.status_code == 201
    request = asked.json()
    assert (request["approver_name"], request["unit"], request["state"]) == ("李主任", owed.code, "pending")  # fmt: skip
    waiting = sup.get(f"{BASE}/approval-requests").json()
    assert [r["id"] for r in waiting] == [request["id"]] and waiting[0]["requested_by"] == "钱收费"
    beyond = post(sup, f"/approval-requests/{request['id']}/decide", {"approve": True})
    assert beyond.status_code == 403 and beyond.json()["approver"] == "李主任"
    head = signed_in(finance["head"].user)
    approved = post(head, f"/approval-requests/{request['id']}/decide", {"approve": True})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    refund = Refund.objects.get()
    assert (refund.amount, refund.source, refund.refunded_by) == (D("600.00"), "credit", finance["head"].user)  # fmt: skip
    assert payments.credit_balance(owed) == D("100.00")


def test_rejecting_needs_a_note_and_nobody_decides_their_own(finance, owed):
    payment = pay(owed, finance["cashier"].user, "300")
    sup = signed_in(finance["sup"].user)
    asked = post(sup, "/approval-requests", {"action": "void_payment", "params": {"payment": payment.pk}, "reason": "收错户"})  # fmt: skip
    assert asked.status_code == 201 and asked.json()["approver_name"] == "李主任"
    request_id = asked.json()["id"]
    own = post(sup, f"/approval-requests/{request_id}/decide", {"approve": True})
    assert own.status_code == 403 and own.json()["code"] == "forbidden"
    head = signed_in(finance["head"].user)
    no_note = post(head, f"/approval-requests/{request_id}/decide", {"approve": False})
    assert no_note.status_code == 400 and no_note.json()["fields"][0]["field"] == "note"
    rejected = post(head, f"/approval-requests/{request_id}/decide", {"approve": False, "note": "核实无误"})  # fmt: skip
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    payment.refresh_from_db()
    assert payment.voided_at is None
    assert ApprovalRequest.objects.get().decision_note == "核实无误"


def test_a_lease_reports_every_bad_field_at_once(finance, estate, fee_item):
    rent = fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.RENT, name="车位租金")
    body = {"number": " ", "fee_item": rent.pk, "unit": estate["units"][1].pk, "lessee": "",
            "monthly_rent": "0", "escalation_percent": "150", "starts_on": "2026-06-01", "ends_on": "2026-01-01"}  # fmt: skip
    refused = post(signed_in(finance["sup"].user), "/leases", body)
    assert refused.status_code == 400
    assert {(f["field"], f["code"]) for f in refused.json()["fields"]} == {
        ("number", "required"), ("lessee", "required"), ("ends_on", "order"),
        ("monthly_rent", "not_positive"), ("escalation_percent", "range"),
    }  # fmt: skip
    assert not Lease.objects.exists()


def test_a_deposit_reports_the_wrong_item_and_short_cash_at_once(finance, owed, fee_item):
    mgmt = FeeItem.objects.get(code="mgmt")
    body = {
        "unit": owed.pk,
        "fee_item": mgmt.pk,
        "method": "cash",
        "amount": "150",
        "tendered": "100",
    }
    refused = post(signed_in(finance["cashier"].user), "/deposits", body)
    assert refused.status_code == 400
    assert {(f["field"], f["code"]) for f in refused.json()["fields"]} == {
        ("fee_item", "not_deposit"), ("tendered", "short"),
    }  # fmt: skip
    assert not Deposit.objects.exists()


def test_a_lease_is_signed_listed_and_terminated(finance, estate, fee_item):
    rent = fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.RENT, name="车位租金")
    space = estate["spaces"][1]
    body = {"number": "CW-001", "fee_item": rent.pk, "unit": estate["units"][1].pk,
            "parking_space": space.pk, "lessee": "李四", "monthly_rent": "300",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31"}  # fmt: skip
    cashier, sup = signed_in(finance["cashier"].user), signed_in(finance["sup"].user)
    assert post(cashier, "/leases", body).status_code == 403
    backwards = post(sup, "/leases", {**body, "ends_on": "2025-12-31"})
    assert backwards.status_code == 400 and backwards.json()["fields"][0]["field"] == "ends_on"
    signed = post(sup, "/leases", body)
    assert signed.status_code == 201 and signed.json()["parking_space"] == space.pk
    lease_id = signed.json()["id"]
    assert [row["number"] for row in cashier.get(f"{BASE}/leases").json()] == ["CW-001"]
    assert post(cashier, f"/leases/{lease_id}/terminate", {"on": "2026-06-30", "reason": "x"}).status_code == 403  # fmt: skip
    ended = post(sup, f"/leases/{lease_id}/terminate", {"on": "2026-06-30", "reason": "车主搬离"})
    assert ended.status_code == 200 and ended.json()["terminated_on"] == "2026-06-30"
    assert Lease.objects.get().termination_reason == "车主搬离"


def test_another_sites_ids_are_not_found(finance, owed, deposit_item, fee_item, estate, finance_b):
    payment = pay(owed, finance["cashier"].user, "100")
    cashier = signed_in(finance["cashier"].user)
    deposit_id = post(cashier, "/deposits", {"unit": owed.pk, "fee_item": deposit_item.pk, "method": "qr", "amount": "50"}).json()["id"]  # fmt: skip
    request_id = post(cashier, "/approval-requests", {"action": "void_payment", "params": {"payment": payment.pk}, "reason": "x"}).json()["id"]  # fmt: skip
    rent = fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.RENT, name="租金")
    lease = Lease.objects.create(
        site=owed.site, number="ZL-1", fee_item=rent, unit=estate["units"][5], lessee="甲",
        monthly_rent=D("1000"), starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31),
    )  # fmt: skip
    other = signed_in(finance_b)
    line = BillLine.objects.filter(unit=owed).first()
    responses = [
        other.get(f"{BASE}/units/{owed.pk}/deposits"),
        other.get(f"{BASE}/units/{owed.pk}/refunds"),
        post(other, "/deposits", {"unit": owed.pk, "fee_item": deposit_item.pk, "method": "qr", "amount": "1"}),
        post(other, f"/deposits/{deposit_id}/apply", {}),
        post(other, "/refunds", {"unit": owed.pk, "source": "line", "bill_line": line.pk, "amount": "1", "method": "cash", "reason": "x"}),
        post(other, "/approval-requests", {"action": "void_payment", "params": {"payment": payment.pk}, "reason": "x"}),
        post(other, f"/approval-requests/{request_id}/decide", {"approve": True}),
        post(other, f"/leases/{lease.pk}/terminate", {"on": "2026-06-30", "reason": "x"}),
    ]  # fmt: skip
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert responses[0].json() == {"message": responses[0].json()["message"], "code": "not_found", "fields": []}  # fmt: skip
    assert other.get(f"{BASE}/leases").json() == [] and other.get(f"{BASE}/approval-requests").json() == []  # fmt: skip
    # A refund naming the deposit of another unit is not found either.
    sup = signed_in(finance["sup"].user)
    elsewhere = post(sup, "/refunds", {"unit": estate["units"][1].pk, "source": "deposit", "deposit": deposit_id, "amount": "1", "method": "cash", "reason": "x"})  # fmt: skip
    assert elsewhere.status_code == 404
    assert ApprovalRequest.objects.count() == 1 and not Refund.objects.exists()


def test_the_openapi_document_describes_the_new_endpoints(finance):
    document = signed_in(finance["sup"].user).get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in ("/deposits", "/refunds", "/approval-requests", "/leases"):
        assert f"{BASE}{path}" in paths, path
    refund = paths[f"{BASE}/refunds"]["post"]["responses"]
    assert {"201", "403"} <= set(refund)
