"""The base of `wuye import_…` commands: a page's import job, run from a terminal.

The command runs the same job as the import page, in this process, with a progress bar; it
prints the result or every bad row and exits non-zero when nothing was imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from wuye.core.jobs import run_job
from wuye.core.models import Job, Site


class ImportCommand(BaseCommand):
    job_kind: str
    what: str  # "units", "owners and tenants"
    report: Callable[[Job], list[dict]]

    def summary(self, result: dict) -> str:
        return ", ".join(f"{value} {name}" for name, value in result.items())

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--site", required=True, help="site code")
        parser.add_argument("--user", required=True, help="username the audit trail names")

    def handle(self, *args, file: Path, site: str, user: str, **options):
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            site_obj = Site.objects.get(code=site)
        except Site.DoesNotExist as exc:
            raise CommandError(f"no site with code {site!r}") from exc
        try:
            actor = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {user!r}") from exc

        # The job row is created here rather than through start_job, which would hand it to a
        # worker; the command runs it itself so it can draw the progress bar.
        job = Job(
            site=site_obj,
            actor=actor,
            kind=self.job_kind,
            title=f"Import {self.what} from {file.name}",
        )
        with file.open("rb") as handle:
            job.input_file.save(file.name, File(handle), save=False)
        job.save()
        job = run_job(job.pk, listener=self._draw)
        self.stdout.write("")
        if job is None:
            raise CommandError("the job was claimed by another worker")
        if job.state == Job.State.DONE:
            self.stdout.write(self.style.SUCCESS(self.summary(job.result)))
            return
        for error in type(self).report(job):
            where = f"row {error['row']}" if error["row"] else "file"
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"{where}{column}: {error['message']}")
        raise CommandError(job.message or "the import failed; nothing was saved")

    def _draw(self, job: Job) -> None:
        draw_progress(self.stdout, job)


def draw_progress(stdout, job: Job) -> None:
    """A job's progress bar on one terminal line, redrawn in place."""
    width = 30
    filled = int(width * job.done / job.total) if job.total else 0
    bar = "#" * filled + "-" * (width - filled)
    stdout.write(f"\r[{bar}] {job.done}/{job.total} {job.message}", ending="")
    stdout.flush()
