"""`wuye run_bills --site CODE --month 2026-11 --user NAME`: the finance page's bill run from
a terminal, with a progress bar; prints what was posted (0 lines: already billed)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wuye.billing.jobs import JOB_KIND
from wuye.core.jobs import run_job
from wuye.core.management.import_command import draw_progress
from wuye.core.models import Job, Site


class Command(BaseCommand):
    help = "Post a month's bill lines for a site (the same job as the bill runs page)."

    def add_arguments(self, parser):
        parser.add_argument("--site", required=True, help="site code")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--user", required=True, help="username the audit trail names")

    def handle(self, *args, site: str, month: str, user: str, **options):
        try:
            first = datetime.date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(f"the month is YYYY-MM, not {month!r}") from exc
        site_obj = Site.objects.filter(code=site).first()
        actor = get_user_model().objects.filter(username=user).first()
        if site_obj is None or actor is None:
            raise CommandError(f"no site {site!r}" if site_obj is None else f"no user {user!r}")
        # Run here rather than through start_job, which would hand it to a worker.
        job = Job.objects.create(site=site_obj, actor=actor, kind=JOB_KIND,
                                 title=f"Bill run {month}", params={"month": first.isoformat()})  # fmt: skip
        job = run_job(job.pk, listener=lambda j: draw_progress(self.stdout, j))
        self.stdout.write("")
        if job is None or job.state != Job.State.DONE:
            raise CommandError(job.message if job else "the job was claimed by another worker")
        self.stdout.write(self.style.SUCCESS(job.message))
