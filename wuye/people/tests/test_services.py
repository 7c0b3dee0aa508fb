"""The customer services told every bad field of one request at once: register entries, the
lifecycle (R-CUS-03) and the register settings."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from wuye.people import lifecycle, services
from wuye.people.models import MoveIn, Ownership, OwnershipTransfer, Shop


def _codes(exc) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.value.error_dict.items()}


def test_a_shop_entry_reports_every_missing_and_bad_field_at_once(
    vacant_units, zhang, site_a, clerk_a
):
    with pytest.raises(ValidationError) as exc:
        services.add_entry(
            register="shops",
            site=site_a,
            actor=clerk_a,
            operator=zhang,
            unit=vacant_units[0],
            name="",
            licence_number="",
            opened_on=datetime.date(2099, 5, 1),
        )
    # A flat is not a shop, the name and licence are missing, and it can't open in the future.
    assert _codes(exc) == {
        "unit": ["not_a_shop"],
        "name": ["required"],
        "licence_number": ["required"],
        "opened_on": ["future"],
    }
    assert not Shop.objects.exists()


def test_a_committee_member_who_is_no_owner_is_told_with_the_missing_term(li, site_a, clerk_a):
    with pytest.raises(ValidationError) as exc:
        services.add_entry(register="committee", site=site_a, actor=clerk_a, person=li)
    assert _codes(exc) == {
        "term_start": ["required"],
        "term_end": ["required"],
        "person": ["not_owner"],
    }


def test_r_cus_03_a_move_in_reports_every_bad_field_at_once(vacant_units, zhang, li, clerk_a):
    with pytest.raises(ValidationError) as exc:
        lifecycle.register_move_in(
            unit=vacant_units[0],
            actor=clerk_a,
            moved_in_on=datetime.date(2099, 1, 1),
            owners=[
                lifecycle.NewOwner(zhang, Decimal("50")),
                lifecycle.NewOwner(li, Decimal("30")),
            ],
            checklist=["keys", "spaceship"],
            keys_handed=-1,
        )
    assert _codes(exc) == {
        "checklist": ["invalid"],
        "keys_handed": ["negative"],
        "moved_in_on": ["future"],
        "owners": ["shares_total"],
    }
    assert not MoveIn.objects.exists() and not Ownership.objects.exists()


def test_r_cus_03_a_transfer_before_the_title_is_told_with_the_bad_buyers(
    vacant_units, zhang, li, clerk_a
):
    unit = vacant_units[0]
    lifecycle.register_move_in(
        unit=unit,
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(zhang)],
    )
    with pytest.raises(ValidationError) as exc:
        lifecycle.transfer_ownership(
            unit=unit,
            actor=clerk_a,
            transferred_on=datetime.date(2024, 4, 1),
            buyers=[lifecycle.NewOwner(li), lifecycle.NewOwner(li)],
        )
    assert _codes(exc) == {"transferred_on": ["before_title"], "owners": ["owner_twice"]}
    assert not OwnershipTransfer.objects.exists()
    assert list(Ownership.objects.values_list("person__name", "ended_on")) == [("张三", None)]


def test_the_register_settings_report_both_bad_values_at_once(site_a, manager):
    with pytest.raises(ValidationError) as exc:
        services.set_register_settings(
            site=site_a, actor=manager, verification_months=0, expiry_warning_days=400
        )
    assert _codes(exc) == {"verification_months": ["range"], "expiry_warning_days": ["range"]}


def test_nul_characters_and_numbers_beyond_their_columns_are_told_with_the_other_errors(
    vacant_units, zhang, li, site_a, clerk_a
):
    with pytest.raises(ValidationError) as exc:
        services.register_person(
            site=site_a, actor=clerk_a, name="王\x00明", phone="1234", note="备注\x00"
        )
    assert _codes(exc) == {
        "name": ["null_characters_not_allowed"],
        "phone": ["bad_phone"],
        "note": ["null_characters_not_allowed"],
    }
    with pytest.raises(ValidationError) as exc:
        services.add_entry(
            register="shops",
            site=site_a,
            actor=clerk_a,
            operator=zhang,
            unit=vacant_units[0],
            name="小卖部\x00",
            licence_number="",
        )
    assert _codes(exc) == {
        "unit": ["not_a_shop"],
        "name": ["null_characters_not_allowed"],
        "licence_number": ["required"],
    }
    with pytest.raises(ValidationError) as exc:
        lifecycle.register_move_in(
            unit=vacant_units[0],
            actor=clerk_a,
            moved_in_on=datetime.date(2099, 1, 1),
            owners=[lifecycle.NewOwner(zhang)],
            keys_handed=40000,
            note="\x00",
        )
    assert _codes(exc) == {
        "moved_in_on": ["future"],
        "keys_handed": ["max_value"],
        "note": ["null_characters_not_allowed"],
    }
    assert not MoveIn.objects.exists() and not Shop.objects.exists()
