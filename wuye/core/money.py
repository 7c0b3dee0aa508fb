"""Money as people read it: yuan with two places and thousands separators — ¥335,780.26 —
on pages and PDFs, and the one number format of money cells in .xlsx exports.

Amounts are Decimal (DESIGN.md): a float is refused here as everywhere, since it can't say 0.1."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
NO_AMOUNT = "—"
# Money cells in .xlsx: numbers (so they sum and sort), shown as ¥1,234.50 and -¥1,234.50.
YUAN_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'


def as_decimal(value) -> Decimal:
    """A Decimal from a Decimal, an int or text — never from a float, which can't say 0.1."""
    if isinstance(value, float | bool):
        raise TypeError(f"money must be a Decimal, an int or text, not {type(value).__name__}")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def format_yuan(value, *, sign: bool = True) -> str:
    """`value` in yuan to the fen (half up) with thousands separators: ¥1,234.50, -¥1,234.50;
    without the ¥ when `sign` is false (a column headed 金额（元）). None is "—"."""
    if value is None:
        return NO_AMOUNT
    amount = as_decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,.2f}"
    return ("-" if rounded < 0 else "") + ("¥" if sign else "") + text


def format_yuan_precise(value, *, sign: bool = True) -> str:
    """An amount kept finer than the fen — a rate (¥2.8525 a m²), a late fee as it accrues — to
    the places it has, at least two, with thousands separators: ¥12,000.00, ¥2.8525, ¥0.125.
    Without the ¥ when `sign` is false. None is "—"."""
    if value is None:
        return NO_AMOUNT
    amount = as_decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    exact = amount.normalize()
    shown = exact if exact.as_tuple().exponent < -2 else amount.quantize(CENT)
    text = f"{abs(shown):,f}"
    return ("-" if shown < 0 else "") + ("¥" if sign else "") + text
