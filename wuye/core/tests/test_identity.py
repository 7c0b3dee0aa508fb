"""Identity numbers and phones are checked with python-stdnum and phonenumbers; each failure has its
own field-level code (docs/people.md, Rules — Validation), and masks have one shape (R-CUS-04)."""

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from wuye.core.identity import (
    check_resident_id,
    check_uscc,
    is_placeholder_id,
    is_placeholder_phone,
    mask,
    mask_phone,
    name_pinyin,
    normalize_phone,
)


def valid_id(body="11010119900307123"):
    return body + ric.calc_check_digit(body + "0")


def code_of(call, *args):
    with pytest.raises(ValidationError) as caught:
        call(*args)
    ((field, errors),) = caught.value.error_dict.items()
    return field, errors[0].code


def test_a_valid_resident_id_gives_its_birth_date():
    number, born = check_resident_id(valid_id().lower())
    assert number == valid_id()
    assert born.isoformat() == "1990-03-07"


def test_a_shenzhen_district_newer_than_the_birth_year_is_accepted():
    number, _born = check_resident_id(valid_id("44030519750101123"))
    assert number.startswith("440305")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (valid_id()[:-1] + ("0" if valid_id()[-1] != "0" else "1"), "bad_checksum"),
        ("11010119900307", "bad_length"),
        (valid_id("11010119901307123"), "bad_birth_date"),
        (valid_id("99010119900307123"), "bad_region"),
        (valid_id("11010120990307123"), "future_birth"),
        ("11010119900307A23X", "bad_format"),
    ],
)
def test_each_wrong_resident_id_has_its_own_code(number, code):
    assert code_of(check_resident_id, number) == ("id_number", code)


def test_a_credit_code_is_checked():
    assert check_uscc("91110000600037341l") == "91110000600037341L"
    assert code_of(check_uscc, "91110000600037341A")[1] == "bad_checksum"


def test_phones_are_normalised_and_wrong_ones_refused():
    assert normalize_phone("138 1234 5678") == "13812345678"
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert normalize_phone("010 6552 9988") == "01065529988"
    assert normalize_phone("+1 650 253 0000") == "+16502530000"
    assert code_of(normalize_phone, "12345") == ("phone", "bad_phone")


def test_placeholders_are_recognised():
    assert is_placeholder_phone("18999999999") and is_placeholder_phone("13800138000")
    assert not is_placeholder_phone("13812345678")
    assert is_placeholder_id("111111111111111111") and not is_placeholder_id(valid_id())


def test_r_cus_04_masks_keep_the_first_three_and_the_last_four():
    assert mask("110101199003071234") == "110***********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+16502530000").startswith("+16") and mask_phone("+16502530000").endswith(
        "0000"
    )


def test_names_are_searchable_in_pinyin_and_initials():
    assert name_pinyin("张三") == "zhangsan zs"
