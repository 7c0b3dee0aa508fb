"""The time services stamp on what they record.

`now()` is the real time, except inside `as_of(moment)`, where it is `moment`. Services that
write when something happened (a payment received, a bill run finished, a ticket's step, an
audit entry) read `now()` instead of `django.utils.timezone.now()`, and the rows' own
`created_at` / `updated_at` follow it through `StampField`. That lets one caller — the demo,
building a year of a site's history through the same services the pages use — date what it
does in the past, without patching the time for everything else (reads, sessions, tokens and
lockouts keep the real time). Outside `as_of` nothing changes.

The moment is held in a context variable, so it belongs to the code that set it: another
thread or request serving at the same time keeps the real clock.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

_moment: ContextVar[datetime.datetime | None] = ContextVar("wuye_clock_moment", default=None)


def now() -> datetime.datetime:
    """The time to record: `as_of`'s moment when one is set, else the real time (aware)."""
    moment = _moment.get()
    return moment if moment is not None else timezone.now()


def localdate(zone: ZoneInfo | None = None) -> datetime.date:
    """`now()` as a date in `zone` (the current time zone when None)."""
    return timezone.localdate(now(), zone)


def is_set() -> bool:
    return _moment.get() is not None


@contextmanager
def as_of(moment: datetime.datetime) -> Iterator[datetime.datetime]:
    """Record everything done inside as happening at `moment` (aware; not in the future)."""
    if timezone.is_naive(moment):
        raise ValueError("as_of needs an aware datetime")
    if moment > timezone.now() + datetime.timedelta(minutes=1):
        raise ValueError("as_of can't record things in the future")
    token = _moment.set(moment)
    try:
        yield moment
    finally:
        _moment.reset(token)


class StampField(models.DateTimeField):
    """A `DateTimeField` whose `auto_now` / `auto_now_add` read `now()`, so rows written inside
    `as_of` carry its moment. It deconstructs as a plain `DateTimeField`: the schema and the
    migrations are the same."""

    def pre_save(self, model_instance, add):
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
