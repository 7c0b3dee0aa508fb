"""A building's notices as a background job with progress: the job only loads its building and
calls `services.issue_building_notices`. The run is one transaction, so its progress reaches
the page through the cache (`core.jobs.with_live_progress`), and its batch once it commits."""

from __future__ import annotations

from django.utils.translation import gettext as _

from wuye.core.jobs import Progress, job_handler, start_job
from wuye.core.models import Job
from wuye.core.money import format_yuan
from wuye.estate.models import Building

from . import services
from .models import NoticeKind

JOB_KIND = "dunning.building_notices"


def start_building_notices(
    *, site, actor, building: Building, kind: str, only_overdue_over_days=None
) -> Job:
    """Queue a building's notices; what can be refused at once (the role, the building, the
    kind, a building where no unit qualifies) is refused here, before anything is queued."""
    kind, over = services.check_building_run(
        site=site, actor=actor, building=building, kind=kind,
        only_overdue_over_days=only_overdue_over_days,
    )  # fmt: skip
    return start_job(
        site=site,
        actor=actor,
        kind=JOB_KIND,
        title=_("%(kind)s for %(building)s")
        % {"kind": NoticeKind(kind).label, "building": building.name},
        params={"building": building.pk, "kind": kind, "only_overdue_over_days": over},
    )


@job_handler(JOB_KIND)
def building_notices_job(job: Job, progress: Progress) -> dict:
    building = Building.objects.get(pk=job.params["building"], site=job.site)
    progress.say(_("Issuing notices for %(building)s") % {"building": building.name})

    def report(done: int, total: int) -> None:
        progress.job.total = total
        progress.advance(done - progress.job.done)

    batch = services.issue_building_notices(
        site=job.site, actor=job.actor, building=building, kind=job.params["kind"],
        only_overdue_over_days=job.params.get("only_overdue_over_days"), progress=report,
    )  # fmt: skip
    batch.job = job
    batch.save(update_fields=["job"])
    progress.job.message = _("%(count)s notices issued, %(total)s in all.") % {
        "count": batch.notices_count,
        "total": format_yuan(batch.total),
    }
    return {"batch": batch.pk, "notices": batch.notices_count, "total": str(batch.total)}
