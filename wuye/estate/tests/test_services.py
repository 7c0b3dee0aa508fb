from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from wuye.core.audit import history
from wuye.core.errors import field_errors
from wuye.core.models import AuditEntry
from wuye.estate import services
from wuye.estate.models import Building, Unit


def errors_of(exc_info) -> list[dict]:
    return field_errors(exc_info.value)


def test_generating_18_floors_of_4_units_creates_72_units_numbered_0101_to_1804(
    building_a, clerk_a
):
    units = services.generate_units(
        building=building_a,
        actor=clerk_a,
        first_floor=1,
        last_floor=18,
        units_per_floor=4,
        floor_area=Decimal("89.50"),
    )
    assert len(units) == 72
    numbers = list(Unit.objects.filter(building=building_a).values_list("number", flat=True))
    assert numbers[0] == "0101" and numbers[-1] == "1804"
    assert sorted(numbers) == [f"{f:02d}{i:02d}" for f in range(1, 19) for i in range(1, 5)]
    assert Unit.objects.get(number="1203").code == "1-1203"
    assert Unit.objects.get(number="1203").floor == 12
    assert AuditEntry.objects.filter(action="create", actor=clerk_a).count() == 72


def test_generated_units_in_an_entrance_carry_the_entrance_in_their_code(building_a, clerk_a):
    entrance = services.create_entrance(building=building_a, actor=clerk_a, code="2")
    services.generate_units(
        building=building_a,
        actor=clerk_a,
        entrance=entrance,
        first_floor=17,
        last_floor=18,
        units_per_floor=2,
        floor_area=[Decimal("128.60"), Decimal("89.50")],
    )
    unit = Unit.objects.get(code="1-2-1802")
    assert (unit.entrance, unit.floor, unit.floor_area) == (entrance, 18, Decimal("89.50"))


def test_generating_over_existing_numbers_writes_nothing_and_names_the_clash(
    building_a, unit_a, clerk_a
):
    services.create_unit(
        building=building_a, actor=clerk_a, floor=3, number="0302", floor_area=Decimal("90")
    )
    with pytest.raises(ValidationError) as exc:
        services.generate_units(
            building=building_a,
            actor=clerk_a,
            first_floor=1,
            last_floor=4,
            units_per_floor=2,
            floor_area=Decimal("90"),
        )
    [error] = errors_of(exc)
    assert error["code"] == "numbers_exist"
    assert "0101, 0302" in error["message"]
    assert Unit.objects.filter(building=building_a).count() == 2


def test_a_negative_floor_area_is_refused_on_the_floor_area_field(building_a, clerk_a):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_unit(
            building=building_a, actor=clerk_a, floor=1, number="0101", floor_area=Decimal("-5")
        )
    assert errors_of(exc) == [
        {
            "field": "floor_area",
            "message": "Floor area must be greater than 0 m².",
            "code": "not_positive",
        }
    ]
    assert not Unit.objects.exists()


def test_a_unit_number_is_unique_within_its_building(building_a, unit_a, clerk_a):
    with pytest.raises(ValidationError) as exc:
        services.create_unit(
            building=building_a, actor=clerk_a, floor=1, number="0101", floor_area=Decimal("80")
        )
    assert errors_of(exc)[0]["field"] == "number"
    assert errors_of(exc)[0]["code"] == "duplicate"


def test_a_floor_outside_the_building_is_refused_but_a_basement_floor_is_allowed(
    building_a, clerk_a
):
    with pytest.raises(ValidationError) as exc:
        services.create_unit(
            building=building_a, actor=clerk_a, floor=19, number="1901", floor_area=Decimal("80")
        )
    assert errors_of(exc)[0]["code"] == "floor_out_of_range"
    building = services.update_building(building=building_a, actor=clerk_a, floors_below=2)
    unit = services.create_unit(
        building=building,
        actor=clerk_a,
        floor=-2,
        number="B201",
        floor_area=Decimal("30"),
        use=Unit.Use.GARAGE,
    )
    assert unit.code == "1-B201"


def test_an_entrance_of_another_building_is_refused(building_a, site_a, clerk_a):
    other = services.create_building(site=site_a, actor=clerk_a, code="2", name="2栋")
    entrance = services.create_entrance(building=other, actor=clerk_a, code="1")
    with pytest.raises(ValidationError) as exc:
        services.create_unit(
            building=building_a,
            actor=clerk_a,
            entrance=entrance,
            floor=1,
            number="0101",
            floor_area=Decimal("80"),
        )
    assert errors_of(exc)[0]["field"] == "entrance"


def test_renumbering_a_building_rewrites_its_unit_codes(building_a, unit_a, clerk_a):
    services.update_building(building=building_a, actor=clerk_a, code="A")
    unit_a.refresh_from_db()
    assert unit_a.code == "A-0101"


def test_a_building_cannot_shrink_below_its_units(building_a, clerk_a):
    services.create_unit(
        building=building_a, actor=clerk_a, floor=18, number="1801", floor_area=Decimal("80")
    )
    with pytest.raises(ValidationError) as exc:
        services.update_building(building=building_a, actor=clerk_a, floors_above=10)
    assert errors_of(exc)[0]["field"] == "floors_above"


def test_updating_a_unit_records_old_and_new_values(unit_a, clerk_a):
    services.update_unit(unit=unit_a, actor=clerk_a, state=Unit.State.OCCUPIED)
    entry = history(unit_a).first()
    assert entry.action == "update"
    assert entry.actor == clerk_a
    assert entry.changes == {"state": ["unsold", "occupied"]}


def test_the_cashier_role_may_not_change_the_estate(building_a, unit_a, cashier_a, site_a):
    with pytest.raises(PermissionDenied):
        services.update_unit(unit=unit_a, actor=cashier_a, state=Unit.State.OCCUPIED)
    with pytest.raises(PermissionDenied):
        services.create_building(site=site_a, actor=cashier_a, code="9", name="9栋")


def test_a_clerk_of_another_site_may_not_write_here(building_a, clerk_b):
    with pytest.raises(PermissionDenied):
        services.generate_units(
            building=building_a,
            actor=clerk_b,
            first_floor=1,
            last_floor=1,
            units_per_floor=1,
            floor_area=Decimal("80"),
        )
    assert not Unit.objects.exists()


def test_building_numbers_are_unique_per_site_but_may_repeat_across_sites(
    building_a, site_a, site_b, clerk_a, manager
):
    with pytest.raises(ValidationError) as exc:
        services.create_building(site=site_a, actor=clerk_a, code="1", name="又一栋")
    assert errors_of(exc)[0]["code"] == "duplicate"
    assert services.create_building(site=site_b, actor=manager, code="1", name="1栋").pk
    assert Building.objects.filter(code="1").count() == 2


def test_parking_and_facility_numbers_are_unique_per_site(site_a, clerk_a, building_a):
    services.create_parking_space(site=site_a, actor=clerk_a, code="B1-001")
    with pytest.raises(ValidationError):
        services.create_parking_space(site=site_a, actor=clerk_a, code="B1-001")
    lift = services.create_facility(
        site=site_a, actor=clerk_a, code="DT-1", name="1栋1号电梯", kind="lift", building=building_a
    )
    services.update_facility(facility=lift, actor=clerk_a, state="faulty")
    assert history(lift).first().changes == {"state": ["in_service", "faulty"]}


def test_generating_units_reports_every_bad_field_at_once_and_writes_nothing(building_a, clerk_a):
    with pytest.raises(ValidationError) as exc:
        services.generate_units(
            building=building_a,
            actor=clerk_a,
            first_floor=0,
            last_floor=30,
            units_per_floor=2,
            floor_area=[Decimal("90"), Decimal("-1")],
            use="castle",
        )
    assert {(e["field"], e["code"]) for e in errors_of(exc)} == {
        ("first_floor", "floor_out_of_range"),
        ("last_floor", "floor_out_of_range"),
        ("floor_area", "not_positive"),
        ("use", "invalid_choice"),
    }
    assert not Unit.objects.exists()


def test_a_floor_range_upside_down_is_told_only_when_both_floors_are_in_the_building(
    building_a, clerk_a
):
    with pytest.raises(ValidationError) as exc:
        services.generate_units(
            building=building_a,
            actor=clerk_a,
            first_floor=5,
            last_floor=2,
            units_per_floor=120,
            floor_area=Decimal("90"),
        )
    assert {(e["field"], e["code"]) for e in errors_of(exc)} == {
        ("last_floor", "bad_range"),
        ("units_per_floor", "out_of_range"),
    }


def test_a_building_that_shrinks_below_its_units_is_told_with_its_other_errors(building_a, clerk_a):
    services.create_unit(
        building=building_a, actor=clerk_a, floor=18, number="1801", floor_area=Decimal("80")
    )
    with pytest.raises(ValidationError) as exc:
        services.update_building(building=building_a, actor=clerk_a, floors_above=10, name="")
    assert {(e["field"], e["code"]) for e in errors_of(exc)} == {
        ("floors_above", "units_above"),
        ("name", "required"),
    }
    building_a.refresh_from_db()
    assert (building_a.floors_above, building_a.name) == (18, "1栋")


def test_parking_spaces_and_facilities_report_every_bad_field_at_once(site_a, clerk_a, site_b):
    from wuye.estate.models import Facility, ParkingSpace

    with pytest.raises(ValidationError) as exc:
        services.create_parking_space(site=site_a, actor=clerk_a, code=" ", floor_area=Decimal("0"))
    assert {(e["field"], e["code"]) for e in errors_of(exc)} == {
        ("code", "required"),
        ("floor_area", "not_positive"),
    }
    elsewhere = Building.objects.create(site=site_b, code="9", name="9栋", floors_above=3)
    with pytest.raises(ValidationError) as exc:
        services.create_facility(site=site_a, actor=clerk_a, code="", name="", building=elsewhere)
    assert {(e["field"], e["code"]) for e in errors_of(exc)} == {
        ("code", "required"),
        ("name", "required"),
        ("building", "wrong_site"),
    }
    assert not ParkingSpace.objects.exists() and not Facility.objects.exists()


def pairs(exc_info) -> set[tuple]:
    return {(e["field"], e["code"]) for e in errors_of(exc_info)}


def test_nul_characters_and_numbers_beyond_their_columns_are_field_errors_told_with_the_rest(
    site_a, building_a, clerk_a
):
    with pytest.raises(ValidationError) as exc:
        services.create_building(
            site=site_a, actor=clerk_a, code="1-A", name="1\x00栋", floors_above=40000, note="\x00"
        )
    assert pairs(exc) == {
        ("code", "bad_code"),
        ("name", "null_characters_not_allowed"),
        ("floors_above", "max_value"),
        ("note", "null_characters_not_allowed"),
    }
    with pytest.raises(ValidationError) as exc:
        services.create_entrance(building=building_a, actor=clerk_a, code=" ", name="一\x00单元")
    assert pairs(exc) == {("code", "required"), ("name", "null_characters_not_allowed")}
    with pytest.raises(ValidationError) as exc:
        services.create_unit(
            building=building_a,
            actor=clerk_a,
            floor=1,
            number="01\x0002",
            floor_area=Decimal("123456789.00"),
            fee_coefficient=Decimal("1000"),
        )
    assert pairs(exc) == {
        ("number", "null_characters_not_allowed"),
        ("floor_area", "max_whole_digits"),
        ("fee_coefficient", "max_whole_digits"),
    }
    with pytest.raises(ValidationError) as exc:
        services.create_facility(
            site=site_a, actor=clerk_a, code="F\x001", name="泵" * 101, location="\x00"
        )
    assert pairs(exc) == {
        ("code", "null_characters_not_allowed"),
        ("name", "max_length"),
        ("location", "null_characters_not_allowed"),
    }
    assert not Building.objects.exclude(pk=building_a.pk).exists()
    assert not Unit.objects.exists()


def test_a_generate_run_with_a_negative_coefficient_and_an_area_too_large_reports_both(
    building_a, clerk_a
):
    with pytest.raises(ValidationError) as exc:
        services.generate_units(
            building=building_a,
            actor=clerk_a,
            first_floor=1,
            last_floor=2,
            units_per_floor=2,
            floor_area=Decimal("99999999.999"),
            fee_coefficient=Decimal("-1"),
        )
    assert pairs(exc) == {
        ("floor_area", "max_whole_digits"),
        ("fee_coefficient", "negative"),
    }
    assert not Unit.objects.exists()
