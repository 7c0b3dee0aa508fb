"""Reads of late fees (R-FEE-04) that the pages, the unit account and the API share: each late
fee with its principal's outstanding amount and its state, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import pgettext_lazy

from wuye.ledger.models import BillLine

from .arrears import open_amount
from .late_fees import to_post, waivable
from .models import LateFee
from .money import CENT
from .payments import with_outstanding

ACCRUING, SETTLED, POSTED, CANCELLED = "accruing", "settled", "posted", "cancelled"
STATES = {
    ACCRUING: pgettext_lazy("late fee", "accruing"),
    SETTLED: pgettext_lazy("late fee", "principal settled, to post"),
    POSTED: pgettext_lazy("late fee", "posted"),
    CANCELLED: pgettext_lazy("late fee", "principal cancelled"),
}
OPEN = "open"  # accruing or waiting to be posted: the default view
STATE_FILTERS = {
    OPEN: Q(late_fee__charge_line__isnull=True, cancelled_at__isnull=True),
    ACCRUING: Q(late_fee__charge_line__isnull=True, cancelled_at__isnull=True, open__gt=0),
    SETTLED: Q(late_fee__charge_line__isnull=True, cancelled_at__isnull=True, open__lte=0),
    POSTED: Q(late_fee__charge_line__isnull=False),
    CANCELLED: Q(late_fee__charge_line__isnull=True, cancelled_at__isnull=False),
    "all": Q(),
}


@dataclass(frozen=True)
class Filters:
    state: str = OPEN
    building: int | None = None
    unit: str = ""  # part of the unit's code
    fee_item: int | None = None

    @classmethod
    def from_params(cls, params) -> Filters:
        """The page's and the API's filters from query parameters; what doesn't parse is
        ignored."""

        def number(name):
            try:
                return int(params.get(name) or 0) or None
            except (TypeError, ValueError):
                return None

        state = params.get("state") or OPEN
        return cls(
            state=state if state in STATE_FILTERS else OPEN,
            building=number("building"),
            unit=(params.get("unit") or "").strip()[:30],
            fee_item=number("fee_item"),
        )


def principals(site, filters: Filters = Filters()):
    """The site's lines carrying a late fee, each with `paid`, `open` and its `late_fee` (and
    that one's posted line), newest due first."""
    lines = with_outstanding(BillLine.objects.of_site(site).filter(late_fee__isnull=False))
    lines = lines.annotate(open=open_amount()).filter(STATE_FILTERS[filters.state])
    if filters.building:
        lines = lines.filter(unit__building_id=filters.building)
    if filters.unit:
        lines = lines.filter(unit__code__icontains=filters.unit)
    if filters.fee_item:
        lines = lines.filter(fee_item_id=filters.fee_item)
    return lines.select_related("unit__building", "fee_item", "late_fee__charge_line").order_by(
        "-due_date", "unit__code", "pk"
    )


@dataclass(frozen=True)
class Row:
    """One late fee as the pages and the API show it."""

    late_fee: LateFee
    principal: BillLine
    outstanding: Decimal
    state: str

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])

    @property
    def days_overdue(self) -> int:
        """Days from the due date to the day it was last accrued through."""
        return max((self.late_fee.accrued_through - self.principal.due_date).days, 0)

    @property
    def to_post(self) -> Decimal:
        return to_post(self.late_fee)

    @property
    def waivable(self) -> Decimal:
        return waivable(self.late_fee) if self.state in (ACCRUING, SETTLED) else Decimal(0)

    @property
    def accrued_shown(self) -> Decimal:
        """Accrued to the fen, half up, as it would be charged before waivers."""
        return Decimal(self.late_fee.accrued).quantize(CENT, ROUND_HALF_UP)


def row(line: BillLine) -> Row:
    outstanding = Decimal(line.open).quantize(CENT)
    late_fee = line.late_fee
    if late_fee.charge_line_id is not None:
        state = POSTED
    elif line.cancelled_at is not None:
        state = CANCELLED
    else:
        state = ACCRUING if outstanding > 0 else SETTLED
    return Row(late_fee, line, outstanding, state)


def rows(lines) -> list[Row]:
    return [row(line) for line in lines]


def of_unit(unit) -> list[Row]:
    """A unit's late fees, posted ones too, newest due first."""
    lines = with_outstanding(BillLine.objects.filter(unit=unit, late_fee__isnull=False))
    lines = lines.annotate(open=open_amount()).select_related("fee_item", "late_fee__charge_line")
    return rows(lines.order_by("-due_date", "pk"))
