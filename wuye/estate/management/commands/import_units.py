"""`wuye import_units FILE --site CODE --user USERNAME`: the page's import, from a terminal.

Runs the same job as the import page, in this process, with a progress bar; prints the counts
or every bad row. Exits non-zero when nothing was imported.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from wuye.core.jobs import run_job
from wuye.core.models import Job, Site
from wuye.estate.unit_import import JOB_KIND, import_report


class Command(BaseCommand):
    help = "Import units from an .xlsx file (the import template's columns)."

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
        job = Job(site=site_obj, actor=actor, kind=JOB_KIND, title=f"Import units from {file.name}")
        with file.open("rb") as handle:
            job.input_file.save(file.name, File(handle), save=False)
        job.save()
        job = run_job(job.pk, listener=self._draw)
        self.stdout.write("")
        if job is None:
            raise CommandError("the job was claimed by another worker")
        if job.state == Job.State.DONE:
            r = job.result
            self.stdout.write(
                self.style.SUCCESS(
                    f"{r['created']} created, {r['updated']} updated, {r['unchanged']} unchanged"
                )
            )
            return
        for error in import_report(job):
            where = f"row {error['row']}" if error["row"] else "file"
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"{where}{column}: {error['message']}")
        raise CommandError(job.message or "the import failed; nothing was saved")

    def _draw(self, job: Job) -> None:
        width = 30
        filled = int(width * job.done / job.total) if job.total else 0
        bar = "#" * filled + "-" * (width - filled)
        self.stdout.write(f"\r[{bar}] {job.done}/{job.total} {job.message}", ending="")
        self.stdout.flush()
