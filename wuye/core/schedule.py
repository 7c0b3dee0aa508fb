"""Periodic jobs, declared once.

Celery beat reads `beat_schedule()` when a broker is configured; without one, `wuye serve`
runs the same entries on a background thread (`EmbeddedScheduler`), so timed work happens on a
laptop with nothing installed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib import import_module

from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    name: str
    task: str  # dotted path of a Celery task whose body calls a service
    every_seconds: int


SCHEDULE: list[Entry] = [
    Entry("purge-login-failures", "wuye.core.tasks.purge_login_failures_task", 6 * 3600),
    Entry("resume-waiting-jobs", "wuye.core.tasks.resume_waiting_jobs_task", 60),
]


def register(entry: Entry) -> None:
    """Add an app's periodic job (from its AppConfig.ready); registering twice is harmless."""
    if all(e.name != entry.name for e in SCHEDULE):
        SCHEDULE.append(entry)


def beat_schedule() -> dict:
    return {
        e.name: {"task": _task(e.task).name, "schedule": float(e.every_seconds)} for e in SCHEDULE
    }


def _task(path: str):
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


class EmbeddedScheduler(threading.Thread):
    """Runs every schedule entry in-process at its interval (first run at start)."""

    def __init__(self, tick_seconds: float = 5.0):
        super().__init__(name="wuye-scheduler", daemon=True)
        self.tick_seconds = tick_seconds
        self.stopped = threading.Event()
        self._next: dict[str, float] = {}

    def run(self) -> None:
        import time

        while not self.stopped.is_set():
            now = time.monotonic()
            for entry in SCHEDULE:
                if self._next.get(entry.name, 0) <= now:
                    self._next[entry.name] = now + entry.every_seconds
                    self.run_entry(entry)
            self.stopped.wait(self.tick_seconds)

    @staticmethod
    def run_entry(entry: Entry) -> None:
        close_old_connections()
        try:
            _task(entry.task).run()
        except Exception:
            log.exception("scheduled job %s failed", entry.name)
        finally:
            close_old_connections()
