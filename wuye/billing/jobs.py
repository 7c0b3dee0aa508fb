"""Bill runs in the background: the finance page's run as a job with progress, and the monthly
run the schedule starts on the 1st.

The job only loads its month and calls `bill_runs.run_bills`. The run is one transaction, so
its progress — fee item by fee item — reaches the page through the cache
(`core.jobs.with_live_progress`), and its result once it commits.

The monthly run bills, on the 1st of each month in the site's own time zone, every site that
has an active cyclic fee item and no run of that month yet (a run reversed by hand is not
posted again). It acts as the system user, who holds only the right to run bills and is a
member of the sites it bills; the audit trail names it.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wuye.core.jobs import Progress, job_handler, start_job
from wuye.core.models import Job, Site, SiteMembership
from wuye.core.money import format_yuan
from wuye.core.permissions import ensure_can

from . import bill_runs, charges
from .models import BillRun, FeeItem
from .money import CENT

log = logging.getLogger(__name__)

JOB_KIND = "billing.run_bills"
SYSTEM_USERNAME = "wuye-system"


def items_due(site, month: datetime.date) -> int:
    """How many fee items a run of `month` will bill, for the progress bar until the run
    reports its own count."""
    items = FeeItem.objects.of_site(site).filter(is_active=True, is_cyclic=True)
    return sum(1 for item in items if charges.period_of(item, month))


def start_bill_run(*, site, actor, month: datetime.date) -> Job:
    """Queue a run of `month` for `site`; refused at once if the actor may not run bills."""
    ensure_can(actor, "billing.run_bills", site)
    return start_job(
        site=site,
        actor=actor,
        kind=JOB_KIND,
        title=_("Bill run %(month)s") % {"month": f"{month:%Y-%m}"},
        params={"month": month.replace(day=1).isoformat()},
    )


@job_handler(JOB_KIND)
def run_bills_job(job: Job, progress: Progress) -> dict:
    month = datetime.date.fromisoformat(job.params["month"])
    progress.start(
        items_due(job.site, month),
        _("Posting the bills of %(month)s") % {"month": f"{month:%Y-%m}"},
    )

    billed = {"items": 0}

    def report(done: int, total: int, name: str) -> None:
        billed["items"] = progress.job.total = total
        progress.advance(done - progress.job.done, name)

    run = bill_runs.run_bills(site=job.site, actor=job.actor, month=month, progress=report)
    total = Decimal(run.total).quantize(CENT)
    if run.lines:
        message = ngettext(
            "%(lines)s line posted, %(total)s.", "%(lines)s lines posted, %(total)s.", run.lines
        ) % {"lines": run.lines, "total": format_yuan(total)}
    else:
        message = ""  # the page says why nothing was posted, in the reader's language
    progress.job.message = message
    return {
        "run": run.pk,
        "period": f"{month:%Y-%m}",
        "items": billed["items"],
        "lines": run.lines,
        "total": str(total),
    }


# ---------------------------------------------------------------------------------------------
# The monthly run


def system_actor(site: Site):
    """The user scheduled work acts as: no password (it can't sign in), the right to run bills
    and membership of `site`, granted the first time it bills there."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": _("System")}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="billing", codename="run_bills")
    )
    SiteMembership.objects.get_or_create(user=user, site=site)
    # A fresh instance: no permission or site cache from before the grants.
    return get_user_model().objects.get(pk=user.pk)


def run_monthly_bills(now: datetime.datetime | None = None) -> dict:
    """On the 1st (the site's date), bill the new month for every site with an active cyclic
    fee item and no run of that month yet. Safe to run any number of times."""
    now = now or timezone.now()
    billed, lines = [], 0
    sites = Site.objects.filter(
        is_active=True,
        pk__in=FeeItem.objects.filter(is_active=True, is_cyclic=True).values("site"),
    ).order_by("code")
    for site in sites:
        today = timezone.localdate(now, ZoneInfo(site.time_zone or "Asia/Shanghai"))
        if today.day != 1 or BillRun.objects.of_site(site).filter(period=today).exists():
            continue
        try:
            run = bill_runs.run_bills(site=site, actor=system_actor(site), month=today)
        except Exception:
            log.exception("monthly bill run of %s %s failed", site.code, today)
            continue
        billed.append(site.code)
        lines += run.lines
    return {"sites": billed, "lines": lines}
