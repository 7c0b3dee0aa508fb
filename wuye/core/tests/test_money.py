"""Money as people read it: ¥ with thousands separators and two places, on pages, PDFs and
in .xlsx money cells (core.money)."""

import io
from decimal import Decimal as D

import pytest
from django.template import Context, Template
from openpyxl import load_workbook

from wuye.core.money import YUAN_FORMAT, format_yuan, format_yuan_precise
from wuye.core.spreadsheets import build_workbook


@pytest.mark.parametrize(("value", "expected"), [
    (D("335780.26"), "¥335,780.26"),
    (0, "¥0.00"),
    (D("-1234.5"), "-¥1,234.50"),
    (1000000, "¥1,000,000.00"),
    ("1234.5", "¥1,234.50"),
    (D("999.995"), "¥1,000.00"),    # half up, to the fen
    (D("0.125"), "¥0.13"),          # half up, not to even
    (D("-0.004"), "¥0.00"),         # nothing left to be negative
    (D("12"), "¥12.00"),
    (None, "—"),
])  # fmt: skip
def test_an_amount_is_shown_in_yuan_with_separators_and_two_places(value, expected):
    assert format_yuan(value) == expected


def test_without_the_sign_an_amount_keeps_its_separators_and_its_minus():
    assert format_yuan(D("335780.26"), sign=False) == "335,780.26"
    assert format_yuan(D("-1234.5"), sign=False) == "-1,234.50"
    assert format_yuan(None, sign=False) == "—"


@pytest.mark.parametrize("value", [1234.5, 0.0, True])
def test_a_float_or_a_bool_is_refused_as_money(value):
    with pytest.raises(TypeError):
        format_yuan(value)


@pytest.mark.parametrize("value", ["12,3", "abc", "NaN", D("Infinity")])
def test_what_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError):
        format_yuan(value)


@pytest.mark.parametrize(("value", "expected"), [
    (D("12000.0000"), "¥12,000.00"),
    (D("2.8000"), "¥2.80"),
    (D("2.8525"), "¥2.8525"),
    (D("0.1250"), "¥0.125"),
    (D("1234567.8912"), "¥1,234,567.8912"),
    (D("-1234.5"), "-¥1,234.50"),
    ("3", "¥3.00"),
    (None, "—"),
])  # fmt: skip
def test_a_rate_or_an_accrual_keeps_its_places_and_gains_separators(value, expected):
    assert format_yuan_precise(value) == expected


def test_the_precise_filter_formats_and_can_leave_out_the_sign():
    template = Template("{% load wuye %}{{ a|yuan_precise }} {{ a|yuan_precise:False }} {{ missing|yuan_precise }}")  # fmt: skip
    assert template.render(Context({"a": D("12345.6789")})) == "¥12,345.6789 12,345.6789 —"


def test_the_yuan_filter_formats_and_can_leave_out_the_sign():
    template = Template("{% load wuye %}{{ a|yuan }} {{ a|yuan:False }} {{ none|yuan }} {{ missing|yuan }}")  # fmt: skip
    shown = template.render(Context({"a": D("-335780.26"), "none": None}))
    assert shown == "-¥335,780.26 -335,780.26 — —"


def test_money_columns_of_a_workbook_are_numbers_in_the_money_format():
    content = build_workbook(
        "Sheet",
        ["Unit", "Overdue (yuan)", "Days"],
        [["1-1-101", D("335780.26"), 45], ["1-1-102", "", 3]],
        money=[1],
    )
    ws = load_workbook(io.BytesIO(content)).active
    amount, blank, days = ws["B2"], ws["B3"], ws["C2"]
    assert amount.value == pytest.approx(335780.26) and amount.data_type == "n"
    assert amount.number_format == YUAN_FORMAT == '"¥"#,##0.00;-"¥"#,##0.00'
    assert blank.value is None and blank.number_format == "General"
    assert days.value == 45 and days.number_format == "General"
    assert ws.column_dimensions["B"].width >= len("¥335,780.26") + 2
