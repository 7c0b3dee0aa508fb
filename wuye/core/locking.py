"""Short waits for rows that many transactions share (a site's receipt numbers, its collection
figures, a bill line two cashiers pay at once).

A transaction that writes such rows sets a lock timeout (`WUYE_LOCK_TIMEOUT_MS`, PostgreSQL's
`lock_timeout` for the rest of the transaction), so that one stuck transaction holding a shared
row can't make every cashier of a site wait behind it: after the timeout the statement fails,
the transaction rolls back, and `busy_on_lock_timeout` turns that failure — or a deadlock the
database broke — into a `ValidationError` the cashier reads ("the system is busy, try again"),
never a server error. SQLite runs one writer at a time; its own "database is locked" after its
busy timeout is answered the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from .errors import invalid

# PostgreSQL's SQLSTATEs of a lock not had in time and of a deadlock broken by the database.
LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED = "55P03", "40P01"


def set_lock_timeout() -> None:
    """Wait at most `WUYE_LOCK_TIMEOUT_MS` for any lock, until this transaction ends."""
    if connection.vendor == "postgresql" and settings.WUYE_LOCK_TIMEOUT_MS > 0:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [f"{int(settings.WUYE_LOCK_TIMEOUT_MS)}ms"],
            )


def is_lock_wait(error: OperationalError) -> bool:
    """Whether `error` is a lock not had in time (or a broken deadlock), not another fault."""
    cause = error.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state in (LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED):
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


@contextmanager
def busy_on_lock_timeout() -> Iterator[None]:
    """Around a `transaction.atomic()` block: a lock wait that timed out inside it (the block
    has rolled back by then) is told as "busy, try again" on no field."""
    try:
        yield
    except OperationalError as exc:
        if not is_lock_wait(exc):
            raise
        raise invalid(None, _("The system is busy; try again in a moment."), "busy") from exc
