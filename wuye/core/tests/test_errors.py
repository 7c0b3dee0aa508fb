"""One error shape: every field's error of a request together, and what the database would
refuse with a server error (NUL characters, text too long, numbers beyond the column) told as
an error of its field."""

import pytest
from django.core.exceptions import ValidationError

from wuye.core.errors import check_column, check_columns, collecting, error_body
from wuye.core.models import DocumentSequence, Site


def codes(exc: ValidationError) -> dict:
    return {item["field"]: item["code"] for item in error_body(exc)["fields"]}


def test_a_nul_character_too_long_a_text_and_a_number_beyond_its_column_are_told_together():
    site = Site(code="a", name="翠湖苑\x00管理处", address="路" * 201)
    with pytest.raises(ValidationError) as caught, collecting() as errors:
        check_columns(errors, site)
        check_column(errors, DocumentSequence, "year", 70000)
        check_column(errors, DocumentSequence, "last_number", -1, field="number")
    assert codes(caught.value) == {
        "name": "null_characters_not_allowed",
        "address": "max_length",
        "year": "max_value",
        "number": "min_value",
    }
    assert error_body(caught.value)["message"] == "请更正下列错误。"
    messages = {item["field"]: item["message"] for item in error_body(caught.value)["fields"]}
    assert messages["name"] == "文字中不能含有空字符（\\0）。"


def test_a_field_already_in_error_keeps_its_first_error():
    with pytest.raises(ValidationError) as caught, collecting() as errors:
        errors.add("name", "Name is required.", "required")
        check_column(errors, Site, "name", "\x00")
    assert codes(caught.value) == {"name": "required"}


def test_values_that_fit_their_columns_pass():
    with collecting() as errors:
        check_columns(errors, Site(code="a", name="翠" * 100, address="", phone=None))
        check_column(errors, DocumentSequence, "year", 32767)
    assert not errors
