"""The demo's year: the current month and the eleven before it, and moments in it on the
site's own clock. What the demo does in a past month it does inside `core.clock.as_of`, so the
services date it then; nothing is dated after the real now."""

from __future__ import annotations

import calendar
import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

ZONE = ZoneInfo("Asia/Shanghai")
MONTHS = 12


def year_of_months(today: datetime.date | None = None) -> list[datetime.date]:
    """The first days of the eleven months before this one, and of this one, oldest first."""
    today = today or timezone.localdate(timezone.now(), ZONE)
    months, year, month = [], today.year, today.month
    for _ in range(MONTHS):
        months.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def last_day(month: datetime.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def at(month: datetime.date, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment of `month` on the site's clock (the day kept within the month)."""
    day = min(max(day, 1), last_day(month))
    return datetime.datetime.combine(month.replace(day=day), datetime.time(hour, minute), ZONE)


def has_come(moment: datetime.datetime) -> bool:
    """Whether `moment` is not later than the real now (only then can it be recorded)."""
    return moment <= timezone.now()


def latest(moment: datetime.datetime) -> datetime.datetime:
    """`moment`, or now when it has not come yet."""
    return moment if has_come(moment) else timezone.now()
