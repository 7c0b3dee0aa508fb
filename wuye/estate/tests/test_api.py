from decimal import Decimal

from wuye.estate import services
from wuye.estate.models import Unit

BASE = "/api/v1/estate"


def unit_payload(site, building, **extra):
    return {
        "site": site.pk,
        "building": building.pk,
        "floor": 1,
        "number": "0102",
        "floor_area": "89.50",
        **extra,
    }


def test_a_clerk_creates_reads_and_patches_a_unit(site_a, building_a, clerk_a, client_of):
    client = client_of(clerk_a)
    created = client.post(
        f"{BASE}/units", unit_payload(site_a, building_a), content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["code"], body["floor_area"], body["building_name"]) == ("1-0102", "89.50", "1栋")
    patched = client.patch(
        f"{BASE}/units/{body['id']}", {"state": "occupied"}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert patched.json()["state"] == "occupied"
    assert client.get(f"{BASE}/units/{body['id']}").json()["state"] == "occupied"


def test_a_negative_floor_area_gets_400_with_the_field_error_body(
    site_a, building_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/units",
        unit_payload(site_a, building_a, floor_area="-1"),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "Floor area must be greater than 0 m².",
        "code": "invalid",
        "fields": [
            {
                "field": "floor_area",
                "message": "Floor area must be greater than 0 m².",
                "code": "not_positive",
            }
        ],
    }


def test_a_floor_area_that_is_not_a_number_gets_422_naming_the_field(
    site_a, building_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/units",
        unit_payload(site_a, building_a, floor_area="big"),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert [(f["field"], f["code"]) for f in response.json()["fields"]] == [
        ("floor_area", "decimal_parsing")
    ]


def test_generate_units_endpoint_creates_72_units_then_refuses_the_clash(
    building_a, clerk_a, client_of
):
    client = client_of(clerk_a)
    payload = {"first_floor": 1, "last_floor": 18, "units_per_floor": 4, "floor_area": "89.5"}
    url = f"{BASE}/buildings/{building_a.pk}/generate-units"
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["created"] == 72
    assert response.json()["codes"][0] == "1-0101"
    assert response.json()["codes"][-1] == "1-1804"
    again = client.post(url, payload, content_type="application/json")
    assert again.status_code == 400
    assert again.json()["fields"][0]["code"] == "numbers_exist"
    assert Unit.objects.count() == 72


def test_site_b_gets_404_for_site_a_rows_and_never_lists_them(
    site_a, building_a, unit_a, building_b, unit_b, clerk_b, client_of
):
    client = client_of(clerk_b)
    assert client.get(f"{BASE}/units/{unit_a.pk}").status_code == 404
    assert client.get(f"{BASE}/buildings/{building_a.pk}").status_code == 404
    patch = client.patch(
        f"{BASE}/units/{unit_a.pk}", {"state": "occupied"}, content_type="application/json"
    )
    assert patch.status_code == 404
    assert patch.json()["code"] == "not_found"
    assert (
        client.patch(
            f"{BASE}/buildings/{building_a.pk}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    generate = client.post(
        f"{BASE}/buildings/{building_a.pk}/generate-units",
        {"last_floor": 1, "units_per_floor": 1, "floor_area": "80"},
        content_type="application/json",
    )
    assert generate.status_code == 404
    assert [u["id"] for u in client.get(f"{BASE}/units").json()["items"]] == [unit_b.pk]
    assert [u["id"] for u in client.get(f"{BASE}/units?site={site_a.pk}").json()["items"]] == []
    assert [b["id"] for b in client.get(f"{BASE}/buildings").json()["items"]] == [building_b.pk]
    unit_a.refresh_from_db()
    assert unit_a.state == "unsold"


def test_creating_on_a_site_the_user_is_not_a_member_of_is_403(
    site_a, building_a, clerk_b, client_of
):
    response = client_of(clerk_b).post(
        f"{BASE}/buildings",
        {"site": site_a.pk, "code": "9", "name": "9栋"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_a_building_of_another_site_in_a_payload_is_a_field_error(
    site_b, building_a, manager, client_of
):
    response = client_of(manager).post(
        f"{BASE}/units", unit_payload(site_b, building_a), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "building"


def test_the_cashier_gets_403_when_writing_through_the_api(site_a, unit_a, cashier_a, client_of):
    client = client_of(cashier_a)
    assert client.get(f"{BASE}/units/{unit_a.pk}").status_code == 200
    response = client.patch(
        f"{BASE}/units/{unit_a.pk}", {"state": "occupied"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_the_unit_list_runs_a_bounded_number_of_queries(
    building_a, clerk_a, client_of, django_assert_max_num_queries
):
    services.generate_units(
        building=building_a,
        actor=clerk_a,
        first_floor=1,
        last_floor=18,
        units_per_floor=4,
        floor_area=Decimal("90"),
    )
    client = client_of(clerk_a)
    with django_assert_max_num_queries(6):
        response = client.get(f"{BASE}/units?state=unsold")
    assert response.json()["count"] == 72
    assert len(response.json()["items"]) == 50


def test_parking_spaces_and_facilities_are_created_patched_and_filtered(
    site_a, building_a, clerk_a, client_of
):
    client = client_of(clerk_a)
    space = client.post(
        f"{BASE}/parking-spaces",
        {"site": site_a.pk, "code": "B1-001", "zone": "地下一层"},
        content_type="application/json",
    )
    assert space.status_code == 201
    sold = client.patch(
        f"{BASE}/parking-spaces/{space.json()['id']}",
        {"state": "sold"},
        content_type="application/json",
    )
    assert sold.json()["state"] == "sold"
    lift = client.post(
        f"{BASE}/facilities",
        {
            "site": site_a.pk,
            "code": "DT-1",
            "name": "1号电梯",
            "kind": "lift",
            "building": building_a.pk,
        },
        content_type="application/json",
    )
    assert lift.status_code == 201
    client.patch(
        f"{BASE}/facilities/{lift.json()['id']}",
        {"state": "faulty"},
        content_type="application/json",
    )
    faulty = client.get(f"{BASE}/facilities?state=faulty").json()["items"]
    assert [f["code"] for f in faulty] == ["DT-1"]
    entrance = client.post(
        f"{BASE}/entrances",
        {"building": building_a.pk, "code": "1"},
        content_type="application/json",
    )
    assert entrance.status_code == 201
    assert entrance.json()["name"]


def test_errors_are_in_chinese_by_default(site_a, building_a, clerk_a, client_of):
    response = client_of(clerk_a).post(
        f"{BASE}/units",
        unit_payload(site_a, building_a, floor_area="0"),
        content_type="application/json",
    )
    assert response.json()["message"] == "建筑面积必须大于 0 m²。"


def test_a_unit_with_a_floor_above_the_roof_and_a_negative_area_reports_every_bad_field_at_once(
    site_a, building_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/units",
        unit_payload(site_a, building_a, floor=40, floor_area="-1", fee_coefficient="-2"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("floor", "floor_out_of_range"),
        ("floor_area", "not_positive"),
        ("fee_coefficient", "negative"),
    }
    assert not Unit.objects.exists()


def test_a_building_with_a_bad_number_and_no_floors_reports_every_bad_field_at_once(
    site_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/buildings",
        {"site": site_a.pk, "code": "1-A", "name": " ", "floors_above": 0},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("code", "bad_code"),
        ("name", "required"),
        ("floors_above", "too_few"),
    }
    assert not services.Building.objects.exists()


def test_nul_characters_in_a_unit_and_a_negative_coefficient_are_one_400_never_a_500(
    site_a, building_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/units",
        unit_payload(site_a, building_a, number="01\u00000", note="\u0000", fee_coefficient="-2"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("number", "null_characters_not_allowed"),
        ("note", "null_characters_not_allowed"),
        ("fee_coefficient", "negative"),
    }
    assert not Unit.objects.exists()
