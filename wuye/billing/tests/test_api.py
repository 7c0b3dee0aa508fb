"""The billing API: set-up, runs, payments with an idempotency key, voids, cancellations,
statements and receipts; another site's rows answer 404; bad input is a 4xx with fields."""

import datetime

import pytest

from tests.clients import signed_in
from wuye.billing.models import Payment
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
BASE = "/api/v1/billing"
JSON = "application/json"


def test_set_up_bill_pay_and_read_the_statement(finance, estate, site_a):
    sup, cashier = signed_in(finance["sup"].user), signed_in(finance["cashier"].user)
    item = sup.post(f"{BASE}/fee-items", {"code": "mgmt", "name": "物业管理费", "kind": "management",
                                         "method": "floor_area"}, content_type=JSON)  # fmt: skip
    assert item.status_code == 201
    item_id = item.json()["id"]
    rate = sup.post(
        f"{BASE}/fee-items/{item_id}/rates",
        {"amount": "2.80", "valid_from": "2026-01-01"},
        content_type=JSON,
    )
    assert rate.status_code == 201
    overlap = sup.post(
        f"{BASE}/fee-items/{item_id}/rates",
        {"amount": "3", "valid_from": "2026-06-01"},
        content_type=JSON,
    )
    assert overlap.status_code == 400 and overlap.json()["fields"][0]["code"] == "overlap"
    run = sup.post(f"{BASE}/bill-runs", {"month": "2026-11-01"}, content_type=JSON)
    assert run.status_code == 201 and run.json()["lines"] == len(estate["units"])
    assert (
        sup.post(f"{BASE}/bill-runs", {"month": "2026-11-01"}, content_type=JSON).json()["lines"]
        == 0
    )
    unit = estate["units"][0]
    lines = cashier.get(f"{BASE}/units/{unit.pk}/open-lines").json()
    assert lines[0]["outstanding"] == "250.60"
    body = {"unit": unit.pk, "method": "cash", "amount": "100", "tendered": "100"}
    first = cashier.post(f"{BASE}/payments", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1")
    again = cashier.post(f"{BASE}/payments", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (
        first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    )
    assert Payment.objects.count() == 1
    statement = cashier.get(f"{BASE}/units/{unit.pk}/statement").json()
    assert statement["balance"] == "150.60" and statement["entries"][-1]["balance"] == "150.60"
    pdf = cashier.get(f"{BASE}/receipts/{Payment.objects.get().receipt.pk}/pdf?paper=thermal")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    voided = sup.post(
        f"{BASE}/payments/{first.json()['id']}/void", {"reason": "录错"}, content_type=JSON
    )
    assert voided.status_code == 200 and voided.json()["voided_at"]
    line_id = lines[0]["id"]
    cancelled = sup.post(
        f"{BASE}/bill-lines/{line_id}/cancel", {"reason": "重复"}, content_type=JSON
    )
    assert cancelled.status_code == 200
    assert BillLine.objects.get(pk=line_id).cancelled_at is not None
    assert sup.post(f"{BASE}/bill-runs/{run.json()['id']}/reverse", {"reason": "试算"}, content_type=JSON).status_code == 200  # fmt: skip


def test_bad_input_and_other_sites(finance, estate, clerk_b):
    cashier = signed_in(finance["cashier"].user)
    unit = estate["units"][0]
    too_much = cashier.post(
        f"{BASE}/payments", {"unit": unit.pk, "method": "qr", "amount": "5"}, content_type=JSON
    )
    assert too_much.status_code == 400 and too_much.json()["fields"][0]["field"] == "amount"
    schema = cashier.post(
        f"{BASE}/payments", {"unit": unit.pk, "method": "qr", "amount": "abc"}, content_type=JSON
    )
    assert schema.status_code == 422
    other = signed_in(clerk_b)
    assert other.get(f"{BASE}/units/{unit.pk}/statement").status_code == 404
    assert other.post(f"{BASE}/payments", {"unit": unit.pk, "method": "qr", "amount": "5"}, content_type=JSON).status_code == 404  # fmt: skip
    assert (
        cashier.post(f"{BASE}/bill-runs", {"month": "2026-11-01"}, content_type=JSON).status_code
        == 403
    )
    bad_formula = signed_in(finance["sup"].user).post(f"{BASE}/fee-items", {
        "code": "f", "name": "f", "kind": "other", "method": "formula", "formula": "area / 0"}, content_type=JSON)  # fmt: skip
    assert (
        bad_formula.status_code == 400
        and bad_formula.json()["fields"][0]["code"] == "division_by_zero"
    )
    assert datetime.date  # (dates travel as ISO text)


def test_a_fee_item_and_a_rate_report_every_bad_field_at_once(finance, estate):
    sup = signed_in(finance["sup"].user)
    item = sup.post(f"{BASE}/fee-items", {"code": "m", "name": " ", "kind": "management", "method": "floor_area",
                                         "due_day": 31, "rounding_unit": "li", "vacant": "share", "vacant_percent": 0},
                    content_type=JSON)  # fmt: skip
    assert item.status_code == 400
    assert {(f["field"], f["code"]) for f in item.json()["fields"]} == {
        ("name", "required"), ("due_day", "range"), ("rounding_unit", "invalid_choice"), ("vacant_percent", "range"),
    }  # fmt: skip
    made = sup.post(f"{BASE}/fee-items", {"code": "m", "name": "物业管理费", "kind": "management",
                                         "method": "floor_area"}, content_type=JSON)  # fmt: skip
    rate = sup.post(f"{BASE}/fee-items/{made.json()['id']}/rates", {
        "amount": "-1", "valid_from": "2026-06-01", "valid_to": "2026-01-01", "unit_use": "castle",
        "tiers": [{"upto": "10", "rate": "2"}, {"upto": "5", "rate": "3"}],
    }, content_type=JSON)  # fmt: skip
    assert rate.status_code == 400
    assert {(f["field"], f["code"]) for f in rate.json()["fields"]} == {
        ("amount", "negative"), ("valid_to", "order"), ("unit_use", "invalid_choice"), ("tiers", "order"),
    }  # fmt: skip
    from wuye.billing.models import Rate

    assert not Rate.objects.exists()
