"""Long jobs (imports, exports, bill runs) and how far they have got.

A job is a row; a handler registered for its kind does the work and reports progress on the
row, so a page can poll it and a command can print it. Dispatch follows DESIGN.md: a Celery
task when `WUYE_BROKER_URL` is set; otherwise a background thread in the serving process (or
at once when `WUYE_JOBS_INLINE` is set, as in tests). Each run first claims its job with a
conditional update, so two workers never run the same job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import field_errors
from .models import Job

log = logging.getLogger(__name__)

Handler = Callable[[Job, "Progress"], dict]
_handlers: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _handlers[kind] = func
        return func

    return register


class Progress:
    """Reports progress on the job row (at most every half second) and to an optional listener,
    such as a command printing a progress bar."""

    def __init__(self, job: Job, listener: Callable[[Job], None] | None = None):
        self.job = job
        self.listener = listener
        self._last_write = 0.0

    def start(self, total: int, message: str = "") -> None:
        self.job.total, self.job.done, self.job.message = total, 0, message
        self._write(force=True)

    def advance(self, count: int = 1, message: str | None = None) -> None:
        self.job.done = min(self.job.done + count, self.job.total or self.job.done + count)
        if message is not None:
            self.job.message = message
        self._write()

    def say(self, message: str) -> None:
        self.job.message = message
        self._write(force=True)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.listener:
            self.listener(self.job)
        if not force and now - self._last_write <= 0.5:
            return
        self._last_write = now
        fields = {"done": self.job.done, "total": self.job.total, "message": self.job.message[:500]}
        if connection.in_atomic_block:
            # The job's own transaction holds its writes back until it commits (and on SQLite
            # a second connection could not write meanwhile): tell the pages through the cache.
            cache.set(_progress_key(self.job.pk), fields, timeout=6 * 3600)
        else:
            Job.objects.filter(pk=self.job.pk).update(**fields)


def _progress_key(job_id: int) -> str:
    return f"wuye:job-progress:{job_id}"


def with_live_progress(job: Job) -> Job:
    """The job with its latest progress, also when it reports from inside a transaction."""
    if job.state == Job.State.RUNNING:
        live = cache.get(_progress_key(job.pk))
        if live and live["done"] >= job.done:
            job.done, job.total, job.message = live["done"], live["total"], live["message"]
    return job


def start_job(
    *, site, actor, kind: str, title: str, params: dict | None = None, input_file=None
) -> Job:
    if kind not in _handlers:
        raise LookupError(f"no job handler registered for {kind!r}")
    job = Job(
        site=site,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        title=title[:200],
        params=params or {},
    )
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload.bin"), input_file, save=False)
    job.save()
    dispatch_job(job.pk)
    return job


def dispatch_job(job_id: int) -> None:
    if settings.WUYE_BROKER_URL:
        from .tasks import run_job_task

        transaction.on_commit(lambda: run_job_task.delay(job_id))
    elif settings.WUYE_JOBS_INLINE:
        run_job(job_id)
    else:
        transaction.on_commit(lambda: _run_in_thread(job_id))


def _run_in_thread(job_id: int) -> None:
    def target() -> None:
        try:
            run_job(job_id)
        finally:
            close_old_connections()
            connection.close()

    threading.Thread(target=target, name=f"wuye-job-{job_id}", daemon=True).start()


def run_job(job_id: int, listener: Callable[[Job], None] | None = None) -> Job | None:
    """Claim and run one job. Returns None when another worker already claimed it."""
    claimed = Job.objects.filter(pk=job_id, claimed_at__isnull=True).update(
        claimed_at=timezone.now(), state=Job.State.RUNNING
    )
    if claimed != 1:
        return None
    job = Job.objects.select_related("site", "actor").get(pk=job_id)
    progress = Progress(job, listener)
    try:
        result = _handlers[job.kind](job, progress)
    except ValidationError as exc:
        job.state, job.result = Job.State.FAILED, {"errors": field_errors(exc)}
        job.message = _("Nothing was saved: the input has errors.")
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.state, job.result = Job.State.FAILED, {}
        job.message = _("The job failed unexpectedly; nothing was saved.")
    else:
        job.state, job.result = Job.State.DONE, result or {}
        job.done = job.total
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "result", "message", "done", "total", "finished_at"])
    if listener:
        listener(job)
    return job


def resume_waiting_jobs(older_than_seconds: int = 30) -> int:
    """Dispatch jobs nobody claimed (the process that created them stopped first), so a job
    survives a restart. Claiming keeps this safe while the original dispatch is still on its
    way."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    waiting = list(
        Job.objects.filter(claimed_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for job_id in waiting:
        dispatch_job(job_id)
    return len(waiting)


def input_bytes(job: Job) -> bytes:
    """The file an import job was started with."""
    with job.input_file.open("rb") as handle:
        return handle.read()


def row_report(job: Job, column_label: Callable[[str], str]) -> list[dict]:
    """The bad rows of a failed import, in row order: row, field, column label, message.
    Errors about the file as a whole come first with no row."""
    report = []
    for error in (job.result or {}).get("errors", []):
        key = error.get("field") or ""
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            row, field = int(parts[1]), parts[2]
        else:
            row, field = None, key or None
        report.append(
            {
                "row": row,
                "field": field,
                "column": column_label(field) if field and field != "file" else "",
                "message": error.get("message", ""),
                "code": error.get("code", ""),
            }
        )
    return sorted(report, key=lambda e: e["row"] or 0)
