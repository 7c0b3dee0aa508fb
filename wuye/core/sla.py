"""The SLA clock: one place computes when something is due, when to warn, and how a deadline
stands at a moment. Deadlines are stored as aware datetimes in UTC; durations are exact
(minutes, hours and days of 24 hours), since the service desk is staffed around the clock
(R-DSK-03).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockState(models.TextChoices):
    NONE = "none", _("no deadline")
    RUNNING = "running", _("on time")
    WARNING = "warning", _("due soon")
    BREACHED = "breached", _("overdue")
    MET = "met", _("met on time")
    MET_LATE = "met_late", _("met late")


@dataclass(frozen=True)
class Deadline:
    due_at: datetime.datetime
    warn_at: datetime.datetime


def deadline(start: datetime.datetime, due_at: datetime.datetime, *, warn_percent: int) -> Deadline:
    """The deadline `due_at` of an obligation that began at `start`, warning once
    `warn_percent` of the time between them is used."""
    if due_at <= start:
        return Deadline(due_at=due_at, warn_at=due_at)
    warn_at = start + (due_at - start) * warn_percent / 100
    return Deadline(due_at=due_at, warn_at=warn_at.replace(microsecond=0))


def due_after(
    start: datetime.datetime, *, minutes: int = 0, hours: int = 0, days: int = 0
) -> datetime.datetime:
    return start + datetime.timedelta(minutes=minutes, hours=hours, days=days)


def clock_state(
    *,
    due_at: datetime.datetime | None,
    warn_at: datetime.datetime | None,
    met_at: datetime.datetime | None,
    now: datetime.datetime,
) -> ClockState:
    if due_at is None:
        return ClockState.NONE
    if met_at is not None:
        return ClockState.MET if met_at <= due_at else ClockState.MET_LATE
    if now >= due_at:
        return ClockState.BREACHED
    if warn_at is not None and now >= warn_at:
        return ClockState.WARNING
    return ClockState.RUNNING
