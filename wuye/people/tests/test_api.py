"""The customer registers' API: scoping, masking and logging, the lifecycle, one error shape."""

import datetime

import pytest

from wuye.core.security import issue_api_token
from wuye.people import lifecycle
from wuye.people.models import MoveIn, Ownership, Person, PersonalDataView, Tenancy
from wuye.people.tests.conftest import make_id

BASE = "/api/v1/people"
JSON = "application/json"


def _person_payload(site, **extra):
    return {"site": site.pk, "name": "王小明", "id_number": make_id("19920815", "372"), **extra}


@pytest.fixture
def owned(vacant_units, zhang, clerk_a):
    unit = vacant_units[0]
    lifecycle.register_move_in(
        unit=unit,
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(zhang)],
    )
    return unit


def test_r_cus_01_a_person_is_created_once_and_the_same_id_merges(site_a, clerk_a, client_of):
    client = client_of(clerk_a)
    first = client.post(f"{BASE}/persons", _person_payload(site_a), content_type=JSON)
    assert first.status_code == 201
    assert first.json()["created"] is True
    again = client.post(
        f"{BASE}/persons",
        _person_payload(site_a, phone="13712345678"),
        content_type=JSON,
    )
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["phone"] == "13712345678", "the merge fills in the missing phone"
    assert Person.objects.count() == 1


def test_every_bad_field_is_reported_in_one_answer(site_a, clerk_a, client_of):
    number = make_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    client = client_of(clerk_a)
    response = client.post(
        f"{BASE}/persons",
        _person_payload(site_a, id_number=wrong, phone="1234", birth_date="2999-01-01"),
        content_type=JSON,
    )
    assert response.status_code == 400
    body = response.json()
    assert {(f["field"], f["code"]) for f in body["fields"]} == {
        ("id_number", "bad_checksum"),
        ("phone", "bad_phone"),
        ("birth_date", "future"),
    }
    assert body["code"] == "invalid" and body["message"]
    assert not Person.objects.exists()
    page = client.post(
        "/people/new/",
        {"name": "王小明", "id_number": wrong, "phone": "1234", "kind": "individual"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert set(errors) >= {"id_number", "phone"}
    assert not Person.objects.exists()


def test_a_wrong_check_digit_gets_400_naming_the_field_and_writes_nothing(
    site_a, clerk_a, client_of
):
    number = make_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = client_of(clerk_a).post(
        f"{BASE}/persons", _person_payload(site_a, id_number=wrong), content_type=JSON
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "id_number"
    assert response.json()["fields"][0]["code"] == "bad_checksum"
    assert not Person.objects.exists()


def test_r_cus_04_the_cashier_sees_masked_numbers_and_nothing_is_logged(
    zhang, cashier_a, client_of
):
    response = client_of(cashier_a).get(f"{BASE}/persons/{zhang.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["phone"], body["masked"]) == ("138****5678", True)
    assert body["id_number"] == zhang.id_number_masked
    assert body["id_number"].startswith("110") and body["id_number"].count("*") == 11
    assert not PersonalDataView.objects.exists()


def test_r_cus_04_the_clerk_sees_full_numbers_and_each_look_is_logged(
    zhang, li, clerk_a, client_of
):
    response = client_of(clerk_a).get(f"{BASE}/persons", {"site": zhang.site_id})
    assert response.status_code == 200
    phones = {item["name"]: item["phone"] for item in response.json()["items"]}
    assert phones == {"张三": "13812345678", "李四": "13998765432"}
    views = PersonalDataView.objects.all()
    assert {v.person_id for v in views} == {zhang.pk, li.pk}
    assert all(v.where.startswith("api GET /api/v1/people/persons") for v in views)


def test_a_clerk_of_another_site_can_neither_read_nor_use_site_a_people(
    zhang, owned, clerk_b, site_b, client_of
):
    client = client_of(clerk_b)
    assert client.get(f"{BASE}/persons/{zhang.pk}").status_code == 404
    assert client.get(f"{BASE}/persons").json()["items"] == []
    assert client.get(f"{BASE}/persons", {"site": zhang.site_id}).status_code == 403
    assert client.get(f"{BASE}/units/{owned.pk}/occupants").status_code == 404
    response = client.post(
        f"{BASE}/registers/dogs/entries",
        {"site": site_b.pk, "person": zhang.pk, "unit": owned.pk, "fields": {"breed": "柯基"}},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["code"] == "unknown"
    assert not Ownership.objects.filter(site=site_b).exists()


def test_r_cus_03_move_in_and_transfer_through_the_api(vacant_units, zhang, li, clerk_a, client_of):
    client = client_of(clerk_a)
    unit = vacant_units[1]
    moved = client.post(
        f"{BASE}/units/{unit.pk}/move-in",
        {
            "moved_in_on": "2024-06-01",
            "owners": [{"person": zhang.pk}],
            "checklist": ["keys"],
            "keys_handed": 2,
        },
        content_type=JSON,
    )
    assert moved.status_code == 201
    assert moved.json()["checklist"] == ["keys"]
    transferred = client.post(
        f"{BASE}/units/{unit.pk}/transfer",
        {"transferred_on": "2025-03-01", "buyers": [{"person": li.pk}], "contract_number": "HT-1"},
        content_type=JSON,
    )
    assert transferred.status_code == 201
    occupants = client.get(f"{BASE}/units/{unit.pk}/occupants").json()
    assert [o["person"]["name"] for o in occupants["current"]] == ["李四"]
    assert [(o["person"]["name"], o["until"]) for o in occupants["before"]] == [
        ("张三", "2025-03-01")
    ]


def test_r_cus_03_a_transfer_without_an_owner_gets_400_and_writes_nothing(
    vacant_units, li, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/units/{vacant_units[2].pk}/transfer",
        {"transferred_on": "2025-03-01", "buyers": [{"person": li.pk}]},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["code"] == "no_owner"
    assert not Ownership.objects.exists()
    assert not MoveIn.objects.exists()


def test_a_lease_ending_before_it_starts_gets_400_and_writes_nothing(
    vacant_units, li, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/units/{vacant_units[3].pk}/tenants",
        {"person": li.pk, "lease_start": "2025-06-01", "lease_end": "2025-01-31"},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "lease_end"
    assert not Tenancy.objects.exists()


def test_r_cus_02_register_entries_are_added_listed_and_verified(
    owned, zhang, site_a, clerk_a, client_of
):
    client = client_of(clerk_a)
    created = client.post(
        f"{BASE}/registers/dogs/entries",
        {
            "site": site_a.pk,
            "person": zhang.pk,
            "unit": owned.pk,
            "fields": {"breed": "柯基", "vaccinated_on": "2025-01-01"},
        },
        content_type=JSON,
    )
    assert created.status_code == 201
    entry = created.json()
    assert (entry["register_code"], entry["fields"]["breed"], entry["verified_at"]) == (
        "dogs",
        "柯基",
        None,
    )
    verified = client.post(
        f"{BASE}/registers/dogs/verify",
        {"site": site_a.pk, "ids": [entry["id"]]},
        content_type=JSON,
    )
    assert verified.json() == {"verified": 1}
    listed = client.get(f"{BASE}/registers/dogs/entries", {"site": site_a.pk}).json()
    assert listed["count"] == 1
    assert listed["items"][0]["verified_by"] == "clerk_a"
    overview = client.get(f"{BASE}/verification", {"site": site_a.pk}).json()
    dogs = next(r for r in overview["registers"] if r["register_code"] == "dogs")
    assert (dogs["total"], dogs["overdue"]) == (1, 0)


def test_a_bad_date_in_a_register_entry_is_a_field_error(owned, zhang, site_a, clerk_a, client_of):
    response = client_of(clerk_a).post(
        f"{BASE}/registers/dogs/entries",
        {
            "site": site_a.pk,
            "person": zhang.pk,
            "unit": owned.pk,
            "fields": {"breed": "柯基", "vaccinated_on": "2099-01-01"},
        },
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "vaccinated_on"
    assert response.json()["fields"][0]["code"] == "future"


def test_the_person_list_runs_the_same_queries_for_5_or_30_people(
    site_a, clerk_a, client_of, django_assert_max_num_queries
):
    from wuye.people.services import register_person

    client = client_of(clerk_a)

    def count_queries(total):
        while Person.objects.count() < total:
            n = Person.objects.count()
            register_person(site=site_a, actor=clerk_a, name=f"住户{n}", phone=f"1371234{n:04d}")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{BASE}/persons", {"site": site_a.pk}).status_code == 200
        return len(captured)

    assert count_queries(5) == count_queries(30)


def test_a_token_works_and_the_openapi_document_lists_the_people_paths(clerk_a, client):
    _token, key = issue_api_token(user=clerk_a, name="app")
    response = client.get(f"{BASE}/registers", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert {r["code"] for r in response.json()} >= {"owners", "tenants", "dogs", "vehicles"}
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/people/units/{unit_id}/move-in" in paths


def test_r_cus_05_the_privacy_report_needs_its_permission(site_a, clerk_a, manager, client_of):
    assert client_of(clerk_a).get(f"{BASE}/privacy-report", {"site": site_a.pk}).status_code == 403
    report = client_of(manager).get(f"{BASE}/privacy-report", {"site": site_a.pk})
    assert report.status_code == 200
    assert report.json()["total_views"] == 0


def test_a_register_entry_reports_every_bad_field_at_once(owned, zhang, site_a, clerk_a, client_of):
    response = client_of(clerk_a).post(
        f"{BASE}/registers/vehicles/entries",
        {
            "site": site_a.pk,
            "person": zhang.pk,
            "unit": owned.pk,
            "fields": {
                "plate": "ABC",
                "space_term_start": "2025-06-01",
                "space_term_end": "2025-01-01",
            },
        },
        content_type=JSON,
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("plate", "bad_plate"),
        ("parking_space", "required"),
        ("space_term_end", "before_start"),
    }
    from wuye.people.models import Vehicle

    assert not Vehicle.objects.exists()


def test_a_register_entry_with_values_of_the_wrong_type_names_every_one_at_once(
    owned, site_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/registers/dogs/entries",
        {
            "site": site_a.pk,
            "person": 999999,
            "unit": owned.pk,
            "fields": {"breed": "柯基", "vaccinated_on": "yesterday", "wings": 2},
        },
        content_type=JSON,
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("keeper", "unknown"),
        ("vaccinated_on", "invalid"),
        ("wings", "unknown_field"),
    }


def test_a_person_with_nul_characters_and_a_bad_phone_gets_one_400_never_a_500(
    site_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/persons",
        _person_payload(site_a, name="王\u0000小明", phone="1234", note="\u0000"),
        content_type=JSON,
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("name", "null_characters_not_allowed"),
        ("phone", "bad_phone"),
        ("note", "null_characters_not_allowed"),
    }
