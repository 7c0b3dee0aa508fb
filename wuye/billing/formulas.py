"""A site's custom fee formula (e.g. `area * rate * coefficient + 5`), evaluated safely:
simpleeval with only arithmetic, comparisons and a few functions, every number a Decimal, and
only the unit attributes listed here as names. Never `eval`."""

from __future__ import annotations

import ast
from decimal import Decimal, DivisionByZero, InvalidOperation

from django.utils.translation import gettext as _
from simpleeval import FunctionNotDefined, InvalidExpression, NameNotDefined, SimpleEval

from wuye.core.errors import invalid

# The names a formula may use, and what each means (shown to whoever writes formulas).
ATTRIBUTES = {
    "area": "floor area (m²)",
    "indoor_area": "indoor area (m²)",
    "floor": "floor number",
    "coefficient": "the unit's fee coefficient",
    "rate": "the fee item's rate in force",
    "usage": "metered usage of the period",
    "days": "days charged in the period",
    "period_days": "days in the period",
}
MAX_LENGTH = 300


def _decimal_max(*values):
    return max(values)


def _decimal_min(*values):
    return min(values)


class DecimalEval(SimpleEval):
    """simpleeval whose numbers are Decimals (a literal 0.1 is exactly one tenth)."""

    def __init__(self, names: dict):
        super().__init__(
            names=names,
            functions={"max": _decimal_max, "min": _decimal_min, "abs": abs},
        )
        # Arithmetic and comparisons only: no power, no bit operations, no attribute access.
        allowed = {ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd, ast.Gt, ast.Lt,
                   ast.GtE, ast.LtE, ast.Eq, ast.NotEq}  # fmt: skip
        self.operators = {op: fn for op, fn in self.operators.items() if op in allowed}

    def _eval_attribute(self, node):
        raise InvalidExpression("a formula can't reach into attributes")

    def _eval_subscript(self, node):
        raise InvalidExpression("a formula can't index")

    def _eval_constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidExpression(f"only numbers may be written in a formula, not {value!r}")
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def check_formula(text: str) -> str:
    """The formula, if it is one this evaluator accepts; a field error otherwise."""
    text = (text or "").strip()
    if not text:
        raise invalid("formula", _("Write the formula."), "required")
    if len(text) > MAX_LENGTH:
        raise invalid("formula", _("A formula may be at most 300 characters."), "too_long")
    sample = dict.fromkeys(ATTRIBUTES, Decimal("1"))
    evaluate(text, sample)
    return text


def evaluate(text: str, names: dict[str, Decimal]) -> Decimal:
    """The formula's value for these names; a clear field error for an unknown name, a
    division by zero or anything that is not arithmetic."""
    try:
        value = DecimalEval({k: Decimal(v) for k, v in names.items()}).eval(text)
    except NameNotDefined as exc:
        raise invalid(
            "formula",
            _("The formula names %(name)s, which is not a unit attribute (%(known)s).")
            % {"name": exc.name, "known": ", ".join(ATTRIBUTES)},
            "unknown_name",
        ) from None
    except (ZeroDivisionError, DivisionByZero):
        raise invalid("formula", _("The formula divides by zero."), "division_by_zero") from None
    except (FunctionNotDefined, InvalidExpression, SyntaxError, TypeError, KeyError,
            InvalidOperation, AttributeError):  # fmt: skip
        raise invalid(
            "formula", _("This is not a formula the system can work out."), "invalid"
        ) from None
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise invalid("formula", _("A formula must give an amount."), "not_amount")
    return value
