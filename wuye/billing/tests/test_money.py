"""Rounding (DESIGN.md: half up, once, where a charge is made), formulas, tiers and meters."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from wuye.billing.charges import metered_usage, tiered
from wuye.billing.formulas import check_formula, evaluate
from wuye.billing.models import Rate
from wuye.billing.money import as_decimal, round_charge


@pytest.mark.parametrize(("value", "unit", "mode", "expected"), [
    ("273.7425", "fen", "half_up", "273.74"),
    ("273.745", "fen", "half_up", "273.75"),   # half up, not to even
    ("0.125", "fen", "half_up", "0.13"),
    ("273.7425", "fen", "up", "273.75"),
    ("273.7400", "fen", "up", "273.74"),
    ("273.7499", "fen", "down", "273.74"),
    ("273.75", "jiao", "half_up", "273.80"),
    ("273.74", "jiao", "half_up", "273.70"),
    ("273.71", "jiao", "up", "273.80"),
    ("273.79", "jiao", "down", "273.70"),
    ("273.50", "yuan", "half_up", "274.00"),
    ("273.49", "yuan", "half_up", "273.00"),
    ("273.01", "yuan", "up", "274.00"),
    ("273.99", "yuan", "down", "273.00"),
])  # fmt: skip
def test_rounding_rules(value, unit, mode, expected):
    assert round_charge(D(value), unit, mode) == D(expected)
    assert str(round_charge(D(value), unit, mode)) == expected  # always two places


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        as_decimal(0.1)
    assert as_decimal("0.1") + as_decimal("0.2") == D("0.3")


def test_formula_is_worked_out_in_decimals():
    names = {"area": D("89.50"), "rate": D("2.80"), "coefficient": D("1.2")}
    assert evaluate("area * rate * coefficient", names) == D("300.72")
    assert evaluate("max(area, 100) * 0.1", names) == D("10.0")


@pytest.mark.parametrize(("formula", "code"), [
    ("area * bedrooms", "unknown_name"),
    ("area / (rate - rate)", "division_by_zero"),
    ("__import__('os').system('true')", "invalid"),
    ("area ** 2", "invalid"),
    ("area.real", "invalid"),
    ("'text'", "invalid"),
    ("", "required"),
])  # fmt: skip
def test_a_bad_formula_is_a_field_error(formula, code):
    with pytest.raises(ValidationError) as exc:
        check_formula(formula)
    assert exc.value.error_dict["formula"][0].code == code


def test_tiered_usage():
    tiers = [
        {"upto": "20", "rate": "3.50"},
        {"upto": "40", "rate": "4.20"},
        {"upto": None, "rate": "5.00"},
    ]
    assert tiered(D("15"), tiers, D("0")) == D("52.50")
    assert tiered(D("35"), tiers, D("0")) == D("133.00")  # 20 × 3.50 + 15 × 4.20
    assert tiered(D("50"), tiers, D("0")) == D("204.00")  # + 10 × 5.00
    assert tiered(D("10"), [], D("2.5")) == D("25.0")


def test_r_fee_02_usage_is_difference_times_multiplier_plus_loss():
    rate = Rate(amount=D("1"), multiplier=D("2"), loss_percent=D("5"))
    assert metered_usage(D("100"), rate) == D("210")
