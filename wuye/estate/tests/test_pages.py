from decimal import Decimal

import pytest

from wuye.estate import services
from wuye.estate.models import Building, Unit


@pytest.fixture
def many_units(building_a, clerk_a):
    return services.generate_units(
        building=building_a,
        actor=clerk_a,
        first_floor=2,
        last_floor=18,
        units_per_floor=4,
        floor_area=Decimal("89.50"),
    )


def test_a_clerk_sees_the_estate_pages_of_her_site(building_a, unit_a, clerk_a, client_of, site_a):
    services.create_parking_space(site=site_a, actor=clerk_a, code="B1-001")
    lift = services.create_facility(site=site_a, actor=clerk_a, code="DT-1", name="1号电梯")
    client = client_of(clerk_a)
    for path in [
        "/estate/buildings/",
        f"/estate/buildings/{building_a.pk}/",
        f"/estate/buildings/{building_a.pk}/edit/",
        f"/estate/buildings/{building_a.pk}/generate-units/",
        f"/estate/buildings/{building_a.pk}/entrances/new/",
        "/estate/units/",
        f"/estate/units/{unit_a.pk}/",
        f"/estate/units/{unit_a.pk}/edit/",
        "/estate/units/new/",
        "/estate/units/import/",
        "/estate/parking/",
        "/estate/parking/new/",
        "/estate/facilities/",
        f"/estate/facilities/{lift.pk}/",
        "/estate/facilities/new/",
    ]:
        assert client.get(path).status_code == 200, path


def test_the_building_page_draws_the_floor_plan_linking_to_each_unit(
    building_a, unit_a, clerk_a, client_of
):
    page = client_of(clerk_a).get(f"/estate/buildings/{building_a.pk}/").content.decode()
    assert f'href="/estate/units/{unit_a.pk}/"' in page
    assert 'class="unit-cell unsold"' in page


def test_a_clerk_of_site_b_gets_404_on_site_a_pages_and_edits(
    building_a, unit_a, clerk_b, client_of
):
    client = client_of(clerk_b)
    for path in [
        f"/estate/buildings/{building_a.pk}/",
        f"/estate/buildings/{building_a.pk}/edit/",
        f"/estate/buildings/{building_a.pk}/generate-units/",
        f"/estate/units/{unit_a.pk}/",
        f"/estate/units/{unit_a.pk}/edit/",
    ]:
        assert client.get(path).status_code == 404, path
    response = client.post(
        f"/estate/units/{unit_a.pk}/edit/",
        {"building": building_a.pk, "floor": 1, "number": "0101", "floor_area": "1"},
    )
    assert response.status_code == 404
    unit_a.refresh_from_db()
    assert unit_a.floor_area == Decimal("89.50")


def test_lists_never_show_site_a_rows_to_site_b(
    building_a, unit_a, building_b, unit_b, clerk_b, client_of
):
    client = client_of(clerk_b)
    units = client.get("/estate/units/")
    assert list(units.context["page_obj"].object_list) == [unit_b]
    buildings = client.get("/estate/buildings/")
    assert list(buildings.context["page_obj"].object_list) == [building_b]
    filtered = client.get(f"/estate/units/?building={building_a.pk}")
    assert list(filtered.context["page_obj"].object_list) == []


def test_the_cashier_gets_403_on_create_and_edit_and_sees_no_edit_buttons(
    building_a, unit_a, cashier_a, client_of
):
    client = client_of(cashier_a)
    for path in [
        "/estate/buildings/new/",
        f"/estate/buildings/{building_a.pk}/edit/",
        f"/estate/buildings/{building_a.pk}/generate-units/",
        "/estate/units/new/",
        f"/estate/units/{unit_a.pk}/edit/",
        "/estate/units/import/",
        "/estate/parking/new/",
        "/estate/facilities/new/",
    ]:
        assert client.get(path).status_code == 403, path
    response = client.post(
        f"/estate/units/{unit_a.pk}/edit/",
        {"building": building_a.pk, "floor": 1, "number": "0101", "floor_area": "70"},
    )
    assert response.status_code == 403
    page = client.get(f"/estate/units/{unit_a.pk}/").content.decode()
    assert f"/estate/units/{unit_a.pk}/edit/" not in page


def test_a_negative_floor_area_on_the_unit_form_is_shown_beside_the_field(
    building_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        "/estate/units/new/",
        {
            "building": building_a.pk,
            "floor": 1,
            "number": "0101",
            "floor_area": "-10",
            "use": "residence",
            "state": "unsold",
            "fee_coefficient": "1",
        },
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["floor_area"]] == [
        "not_positive"
    ]
    assert not Unit.objects.exists()


def test_the_building_form_reports_every_bad_field_at_once(site_a, clerk_a, client_of):
    response = client_of(clerk_a).post(
        "/estate/buildings/new/",
        {"code": "1 A", "name": "一栋", "floors_above": 0, "floors_below": 0},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert {field: [e.code for e in errors[field]] for field in errors} == {
        "code": ["bad_code"],
        "floors_above": ["too_few"],
    }
    assert not Building.objects.exists()


def test_the_unit_form_reports_every_bad_field_at_once(building_a, clerk_a, client_of):
    response = client_of(clerk_a).post(
        "/estate/units/new/",
        {
            "building": building_a.pk,
            "floor": 30,
            "number": "30-01",
            "floor_area": "80",
            "indoor_area": "95",
            "use": "residence",
            "state": "unsold",
            "fee_coefficient": "1",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert {field: [e.code for e in errors[field]] for field in errors} == {
        "floor": ["floor_out_of_range"],
        "number": ["bad_code"],
        "indoor_area": ["indoor_exceeds_floor"],
    }
    assert not Unit.objects.exists()


def test_the_generate_page_creates_units_and_refuses_a_clash_with_400(
    building_a, clerk_a, client_of
):
    client = client_of(clerk_a)
    data = {
        "first_floor": 1,
        "last_floor": 18,
        "units_per_floor": 4,
        "floor_area": "89.50",
        "use": "residence",
        "state": "unsold",
        "fee_coefficient": "1",
    }
    preview = client.get(
        f"/estate/buildings/{building_a.pk}/generate-units/", data, HTTP_HX_REQUEST="true"
    )
    assert "72" in preview.content.decode()
    assert "0101 … 1804" in preview.content.decode()
    response = client.post(f"/estate/buildings/{building_a.pk}/generate-units/", data)
    assert response.status_code == 302
    assert Unit.objects.filter(building=building_a).count() == 72
    again = client.post(f"/estate/buildings/{building_a.pk}/generate-units/", data)
    assert again.status_code == 400
    assert "0101" in again.context["form"].non_field_errors()[0]
    assert Unit.objects.filter(building=building_a).count() == 72


def test_the_unit_page_shows_old_and_new_values_after_an_edit(
    building_a, unit_a, clerk_a, client_of
):
    client = client_of(clerk_a)
    response = client.post(
        f"/estate/units/{unit_a.pk}/edit/",
        {
            "building": building_a.pk,
            "floor": 1,
            "number": "0101",
            "floor_area": "92.30",
            "use": "residence",
            "state": "occupied",
            "fee_coefficient": "1",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/estate/units/{unit_a.pk}/").content.decode()
    assert "<del>89.50</del> → <ins>92.30</ins>" in page
    assert "clerk_a" in page


def test_creating_a_building_from_the_page_records_the_creator(site_a, clerk_a, client_of):
    response = client_of(clerk_a).post(
        "/estate/buildings/new/",
        {"code": "5", "name": "5栋", "floors_above": 12, "floors_below": 1},
    )
    building = Building.objects.get(code="5")
    assert response.status_code == 302
    assert response["Location"] == f"/estate/buildings/{building.pk}/"


def test_the_unit_list_page_runs_a_bounded_number_of_queries(
    many_units, clerk_a, client_of, django_assert_max_num_queries
):
    client = client_of(clerk_a)
    client.get("/estate/units/")
    with django_assert_max_num_queries(11):
        response = client.get("/estate/units/")
    assert len(response.context["page_obj"].object_list) == 50


def test_the_building_list_counts_units_in_one_query(
    many_units, site_a, clerk_a, client_of, django_assert_max_num_queries
):
    for n in range(2, 6):
        services.create_building(site=site_a, actor=clerk_a, code=str(n), name=f"{n}栋")
    client = client_of(clerk_a)
    client.get("/estate/buildings/")
    with django_assert_max_num_queries(10):
        response = client.get("/estate/buildings/")
    first = response.context["page_obj"].object_list[0]
    assert (first.unit_count, first.units_unsold) == (68, 68)


def test_an_upload_runs_the_import_and_its_page_shows_the_report(
    site_a, building_a, clerk_a, client_of
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wuye.core.spreadsheets import build_workbook

    content = build_workbook("u", ["楼栋", "楼层", "房号", "建筑面积"], [["1", 1, "0101", -1]])
    client = client_of(clerk_a)
    response = client.post("/estate/units/import/", {"file": SimpleUploadedFile("u.xlsx", content)})
    assert response.status_code == 302
    page = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert [(e["row"], e["field"]) for e in page.context["report"]] == [(2, "floor_area")]
    assert "hx-get" not in page.content.decode()
