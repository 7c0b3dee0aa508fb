"""The meters API (R-FEE-02): meters listed and added, readings recorded (suspicious ones held),
listed by month and state, confirmed or rejected, usage by building and month; bad input is a
400 with its fields, a role without the right a 403, another site's meter or reading a 404."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import translation

from conftest import make_staff_user
from tests.clients import signed_in
from wuye.billing import meters
from wuye.billing.models import FeeItem, Meter, MeterReading

pytestmark = pytest.mark.django_db
BASE = "/api/v1/billing"
JSON = "application/json"
MAY = datetime.date(2026, 5, 1)
State = MeterReading.State


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def water(fee_item):
    return fee_item("water", FeeItem.Method.METER, kind=FeeItem.Kind.WATER, name="水费")


@pytest.fixture
def meter(finance, estate, water, site_a):
    """1-0101's water meter, with six months of about 10 a month up to April 2026 (value 64)."""
    made = meters.add_meter(
        site=site_a, actor=finance["sup"].user, code="W1-0101", kind="water", fee_item=water,
        unit=estate["units"][0], installed_on=datetime.date(2025, 1, 1),
    )  # fmt: skip
    value = D(0)
    for month, used in zip((11, 12, 1, 2, 3, 4), (10, 12, 11, 9, 10, 12), strict=True):
        value += used
        day = datetime.date(2025 if month > 10 else 2026, month, 1)
        meters.record_reading(
            site=site_a, actor=finance["sup"].user, meter=made, period=day, value=value
        )
    return made


def fields_of(response) -> list[tuple]:
    return [(f["field"], f["code"]) for f in response.json()["fields"]]


def test_finance_adds_own_and_shared_meters_and_lists_them(finance, estate, water, site_a):
    sup = signed_in(finance["sup"].user, HTTP_ACCEPT_LANGUAGE="en")
    own = sup.post(f"{BASE}/meters", {"code": "W1-0101", "kind": "water", "fee_item": water.pk,
                                     "unit": estate["units"][0].pk, "start_value": "3.5",
                                     "installed_on": "2026-01-01"}, content_type=JSON)  # fmt: skip
    assert own.status_code == 201
    assert own.json() | {"id": 0} == {
        "id": 0, "code": "W1-0101", "kind": "water", "fee_item": water.pk,
        "unit": estate["units"][0].pk, "building": estate["b1"].pk, "location": "", "split": "",
        "split_formula": "", "multiplier": "1.0000", "start_value": "3.50",
        "installed_on": "2026-01-01", "is_active": True,
    }  # fmt: skip
    shared = sup.post(f"{BASE}/meters", {"code": "W-B2", "kind": "water", "fee_item": water.pk,
                                        "building": estate["b2"].pk, "split": "formula",
                                        "split_formula": "area * coefficient"},
                      content_type=JSON)  # fmt: skip
    assert shared.status_code == 201 and shared.json()["unit"] is None
    listed = sup.get(f"{BASE}/meters").json()
    assert listed["count"] == 2
    assert [(m["code"], m["unit_code"], m["last_value"]) for m in listed["items"]] == [
        ("W-B2", None, None), ("W1-0101", "1-0101", None),
    ]  # fmt: skip
    assert [m["code"] for m in sup.get(f"{BASE}/meters?shared=true").json()["items"]] == ["W-B2"]
    in_b1 = sup.get(f"{BASE}/meters?building={estate['b1'].pk}").json()["items"]
    assert [m["code"] for m in in_b1] == ["W1-0101"]
    assert sup.get(f"{BASE}/meters?kind=gas").json()["count"] == 0


def test_a_bad_meter_is_a_400_with_its_field(finance, estate, water):
    sup = signed_in(finance["sup"].user, HTTP_ACCEPT_LANGUAGE="en")
    body = {"code": "W1", "kind": "water", "fee_item": water.pk, "unit": estate["units"][0].pk}
    assert sup.post(f"{BASE}/meters", body, content_type=JSON).status_code == 201
    again = sup.post(f"{BASE}/meters", body, content_type=JSON)
    assert again.status_code == 400 and fields_of(again) == [("code", "duplicate")]
    assert again.json()["message"] == "Another meter has this number."
    no_split = sup.post(
        f"{BASE}/meters", {"code": "W2", "kind": "water", "fee_item": water.pk}, content_type=JSON
    )
    assert no_split.status_code == 400 and fields_of(no_split) == [("split", "required")]
    bad_kind = sup.post(f"{BASE}/meters", body | {"code": "W3", "kind": "steam"}, content_type=JSON)
    assert bad_kind.status_code == 400 and fields_of(bad_kind) == [("kind", "invalid_choice")]
    assert Meter.objects.count() == 1


def test_a_cashier_may_not_add_a_meter(finance, estate, water):
    cashier = signed_in(finance["cashier"].user, HTTP_ACCEPT_LANGUAGE="en")
    body = {"code": "W1", "kind": "water", "fee_item": water.pk, "unit": estate["units"][0].pk}
    response = cashier.post(f"{BASE}/meters", body, content_type=JSON)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Meter.objects.exists()


def test_record_readings_accepted_held_or_refused(finance, meter):
    cashier = signed_in(finance["cashier"].user, HTTP_ACCEPT_LANGUAGE="en")
    url = f"{BASE}/meters/{meter.pk}/readings"
    negative = cashier.post(url, {"month": "2026-05-01", "value": "-1"}, content_type=JSON)
    assert negative.status_code == 400 and fields_of(negative) == [("value", "negative")]
    assert negative.json()["message"] == "A reading can't be negative."
    not_a_number = cashier.post(url, {"month": "2026-05-01", "value": "abc"}, content_type=JSON)
    assert not_a_number.status_code == 422 and fields_of(not_a_number)[0][0] == "value"
    jump = cashier.post(
        url, {"month": "2026-05-20", "value": "145", "read_on": "2026-05-20"}, content_type=JSON
    )
    assert jump.status_code == 201
    assert jump.json() | {"id": 0} == {
        "id": 0, "meter": meter.pk, "meter_code": "W1-0101", "period": "2026-05-01",
        "value": "145.00", "previous_value": "64.00", "usage": "81.0000", "state": "held",
        "hold_reason": "Usage 81 is more than 3 times the average of 10.67.",
        "read_on": "2026-05-20", "source": "api", "check_note": "",
    }  # fmt: skip
    twice = cashier.post(url, {"month": "2026-05-01", "value": "70"}, content_type=JSON)
    assert twice.status_code == 400 and fields_of(twice) == [("period", "already_read")]
    june = cashier.post(url, {"month": "2026-06-01", "value": "150"}, content_type=JSON)
    assert june.status_code == 201 and june.json()["state"] == "accepted"
    assert june.json()["usage"] == "5.0000"


def test_a_reading_reports_a_negative_value_and_a_month_before_the_meter_at_once(finance, meter):
    cashier = signed_in(finance["cashier"].user, HTTP_ACCEPT_LANGUAGE="en")
    url = f"{BASE}/meters/{meter.pk}/readings"
    refused = cashier.post(url, {"month": "2024-06-01", "value": "-5"}, content_type=JSON)
    assert refused.status_code == 400
    assert set(fields_of(refused)) == {("value", "negative"), ("period", "before_install")}
    assert refused.json()["message"] == "Please correct the errors below."
    assert MeterReading.objects.filter(meter=meter).count() == 6


def test_a_meter_reports_every_bad_field_at_once(finance, estate, water):
    sup = signed_in(finance["sup"].user)
    body = {"code": " ", "kind": "steam", "fee_item": water.pk, "split": "", "multiplier": "0",
            "start_value": "-1", "installed_on": "2026-01-01"}  # fmt: skip
    refused = sup.post(f"{BASE}/meters", body, content_type=JSON)
    assert refused.status_code == 400
    assert set(fields_of(refused)) == {
        ("code", "required"), ("kind", "invalid_choice"), ("split", "required"),
        ("multiplier", "not_positive"), ("start_value", "negative"),
    }  # fmt: skip
    assert not Meter.objects.exists()


def test_readings_are_listed_by_month_and_state(finance, meter):
    meters.record_reading(
        site=meter.site, actor=finance["sup"].user, meter=meter, period=MAY, value="200"
    )
    client = signed_in(finance["cashier"].user, HTTP_ACCEPT_LANGUAGE="en")
    may = client.get(f"{BASE}/readings?month=2026-05-01").json()
    assert may["count"] == 1 and may["items"][0]["state"] == "held"
    assert client.get(f"{BASE}/readings?state=accepted").json()["count"] == 6
    assert client.get(f"{BASE}/readings?state=held&kind=water").json()["count"] == 1
    every = client.get(f"{BASE}/readings").json()["items"]
    assert [r["period"] for r in every[:2]] == ["2026-05-01", "2026-04-01"]


def test_finance_confirms_or_rejects_a_held_reading(finance, meter):
    held = meters.record_reading(
        site=meter.site, actor=finance["sup"].user, meter=meter, period=MAY, value="200"
    )
    cashier, sup = (
        signed_in(finance["cashier"].user, HTTP_ACCEPT_LANGUAGE="en"),
        signed_in(finance["sup"].user, HTTP_ACCEPT_LANGUAGE="en"),
    )
    assert (
        cashier.post(f"{BASE}/readings/{held.pk}/confirm", {}, content_type=JSON).status_code == 403
    )
    no_note = sup.post(f"{BASE}/readings/{held.pk}/reject", {}, content_type=JSON)
    assert no_note.status_code == 400 and fields_of(no_note) == [("note", "required")]
    rejected = sup.post(
        f"{BASE}/readings/{held.pk}/reject", {"note": "多写了一位"}, content_type=JSON
    )
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected" and rejected.json()["check_note"] == "多写了一位"
    again = sup.post(f"{BASE}/meters/{meter.pk}/readings", {"month": "2026-05-01", "value": "140"},
                     content_type=JSON)  # fmt: skip
    assert again.status_code == 201 and again.json()["state"] == "held"
    confirmed = sup.post(
        f"{BASE}/readings/{again.json()['id']}/confirm", {"note": "核实"}, content_type=JSON
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    twice = sup.post(f"{BASE}/readings/{again.json()['id']}/confirm", {}, content_type=JSON)
    assert twice.status_code == 400 and fields_of(twice) == [(None, "wrong_state")]
    assert MeterReading.objects.get(pk=again.json()["id"]).checked_by == finance["sup"].user


def test_usage_by_building_and_month(finance, estate, meter, water, site_a):
    sup = finance["sup"].user
    garden = meters.add_meter(
        site=site_a, actor=sup, code="W-SITE", kind="water", fee_item=water, split="household",
        installed_on=datetime.date(2025, 1, 1),
    )  # fmt: skip
    meters.record_reading(site=site_a, actor=sup, meter=meter, period=MAY, value="70")
    meters.record_reading(site=site_a, actor=sup, meter=garden, period=MAY, value="40")
    body = (
        signed_in(sup, HTTP_ACCEPT_LANGUAGE="en")
        .get(f"{BASE}/meters/usage?year=2026&kind=water")
        .json()
    )
    b1, whole = body["rows"]
    assert (b1["building"], b1["name"]) == (estate["b1"].pk, "1栋")
    assert b1["months"][:6] == ["11.0000", "9.0000", "10.0000", "12.0000", "6.0000", None]
    assert b1["previous_year"][10:] == ["10.0000", "12.0000"]
    assert b1["total"] == "48.0000" and b1["previous_total"] == "22.0000"
    assert b1["change_percent"] is None  # nothing read from January to May 2025
    assert (whole["building"], whole["name"], whole["months"][4]) == (None, "Whole site", "40.0000")
    assert body["totals"]["months"][4] == "46.0000" and body["totals"]["total"] == "88.0000"
    bad = signed_in(sup, HTTP_ACCEPT_LANGUAGE="en").get(f"{BASE}/meters/usage?year=2026&kind=steam")
    assert bad.status_code == 400 and fields_of(bad) == [("kind", "invalid_choice")]


def test_another_sites_meter_and_reading_are_not_found(
    django_user_model, finance, meter, site_b, clerk_a
):
    fin_b_user = make_staff_user(django_user_model, "fin_b", sites=[site_b], role="finance")
    fin_b = signed_in(fin_b_user, HTTP_ACCEPT_LANGUAGE="en")
    reading = MeterReading.objects.filter(meter=meter).first()
    assert fin_b.get(f"{BASE}/meters/{meter.pk}").status_code == 404
    recorded = fin_b.post(f"{BASE}/meters/{meter.pk}/readings",
                          {"month": "2026-05-01", "value": "70"}, content_type=JSON)  # fmt: skip
    assert recorded.status_code == 404 and recorded.json()["code"] == "not_found"
    assert fin_b.post(f"{BASE}/readings/{reading.pk}/reject", {"note": "x"},
                      content_type=JSON).status_code == 404  # fmt: skip
    assert fin_b.get(f"{BASE}/meters?site={meter.site_id}").status_code == 403
    assert fin_b.get(f"{BASE}/meters").json()["count"] == 0
    assert signed_in(clerk_a, HTTP_ACCEPT_LANGUAGE="en").get(f"{BASE}/meters").status_code == 403
    assert MeterReading.objects.filter(meter=meter, period=MAY).count() == 0
