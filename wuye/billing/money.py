"""Money: Decimal yuan with two places, rounded once where a charge is made, by the fee item's
rule — to the fen, the jiao or the yuan; half up, always up or always down (DESIGN.md)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.money import CENT, as_decimal

ZERO = Decimal("0.00")


class RoundingUnit(models.TextChoices):
    FEN = "fen", _("to the fen (0.01)")
    JIAO = "jiao", _("to the jiao (0.1)")
    YUAN = "yuan", _("to the yuan (1)")


class RoundingMode(models.TextChoices):
    HALF_UP = "half_up", _("half up")
    UP = "up", _("always up")
    DOWN = "down", _("always down")


STEPS = {
    RoundingUnit.FEN: Decimal("0.01"),
    RoundingUnit.JIAO: Decimal("0.1"),
    RoundingUnit.YUAN: Decimal("1"),
}
MODES = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.UP: ROUND_CEILING,
    RoundingMode.DOWN: ROUND_FLOOR,
}
# The same steps as integer millionths of a yuan, for the bill run's SQL (exact on every database).
MICRO_STEPS = {RoundingUnit.FEN: 10_000, RoundingUnit.JIAO: 100_000, RoundingUnit.YUAN: 1_000_000}


def round_charge(
    value: Decimal, unit: str = RoundingUnit.FEN, mode: str = RoundingMode.HALF_UP
) -> Decimal:
    """Round a computed charge by the fee item's rule; the result always has two places."""
    rounded = as_decimal(value).quantize(STEPS[unit], rounding=MODES[mode])
    return rounded.quantize(CENT)
