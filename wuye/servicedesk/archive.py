"""The help register's yearly archive and its removal (R-HLP-06).

When a year is over, each site's closed help requests of that year go into the year's archive
(`HelpArchive`): read-only (`services.changing` refuses them), searchable on their own page and
exported as .xlsx. A help request of that year still open then joins the archive when it is
closed. The company keeps the archives for `help_register_keep_years` (2 by default) full years
after the archive year; then the scheduled job removes the year's help requests with everything
written about them and keeps the archive row as the log of what it removed.

The statistics' aggregate (`TicketFact`) holds counts only, no personal data; the removed
requests' counts stay in it, so a year's figures do not change when its register goes
(`facts.rebuild_facts` keeps those rows).
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.errors import invalid
from wuye.core.models import AuditEntry, Site

from .facts import site_zone
from .models import (
    Attachment,
    Callback,
    CompanyDeskSettings,
    HelpArchive,
    Kind,
    Ticket,
    WorkOrder,
)

log = logging.getLogger(__name__)
State = Ticket.State


def keep_years(company_id: int) -> int:
    found = (
        CompanyDeskSettings.objects.filter(company_id=company_id)
        .values_list("help_register_keep_years", flat=True)
        .first()
    )
    return found or CompanyDeskSettings._meta.get_field("help_register_keep_years").default


def _local_today(site: Site, now: datetime.datetime) -> datetime.date:
    return now.astimezone(site_zone(site)).date()


def year_bounds(site: Site, year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """[1 January 00:00, next 1 January 00:00) of `year` in the site's zone."""
    zone = site_zone(site)
    start = datetime.datetime(year, 1, 1, tzinfo=zone)
    return start, datetime.datetime(year + 1, 1, 1, tzinfo=zone)


def help_requests_of_year(site: Site, year: int):
    start, end = year_bounds(site, year)
    return Ticket.objects.filter(
        site=site, kind=Kind.HELP, received_at__gte=start, received_at__lt=end
    )


@transaction.atomic
def archive_help_register(
    *, site: Site, year: int, now: datetime.datetime | None = None
) -> HelpArchive:
    """Archive `year`'s closed help requests of `site` (once the year is over); safe to run
    again — it adds what was closed since, and nothing twice."""
    now = now or timezone.now()
    if year >= _local_today(site, now).year:
        raise invalid("year", _("A year's help register is archived once the year is over."), "not_over")  # fmt: skip
    archive, _created = HelpArchive.objects.get_or_create(
        site=site,
        year=year,
        defaults={
            "archived_at": now,
            "remove_after": datetime.date(year + 1 + keep_years(site.company_id), 1, 1),
        },
    )
    archive = HelpArchive.objects.select_for_update().get(pk=archive.pk)
    if archive.removed_at is not None:
        return archive
    added = (
        help_requests_of_year(site, year)
        .filter(state=State.CLOSED, archive__isnull=True)
        .update(archive=archive)
    )
    if added:
        HelpArchive.objects.filter(pk=archive.pk).update(request_count=F("request_count") + added)
        archive.refresh_from_db()
        log.info("help register %s %s: %s request(s) archived", site.code, year, added)
    return archive


def file_late_request(ticket: Ticket) -> None:
    """A help request closing now goes into its year's archive when that year has been
    archived already (and not removed): the archive takes what the year left open."""
    if ticket.kind != Kind.HELP or ticket.archive_id is not None or ticket.state != State.CLOSED:
        return
    year = ticket.received_at.astimezone(site_zone(ticket.site)).year
    archive = HelpArchive.objects.filter(
        site_id=ticket.site_id, year=year, removed_at__isnull=True
    ).first()
    if archive is not None:
        ticket.archive = archive
        HelpArchive.objects.filter(pk=archive.pk).update(request_count=F("request_count") + 1)


def archive_past_years(now: datetime.datetime | None = None) -> int:
    """The scheduled half: every site's past years with closed help requests outside an
    archive. Returns how many requests were archived."""
    now = now or timezone.now()
    archived = 0
    for site in Site.objects.filter(is_active=True):
        this_year_starts = year_bounds(site, _local_today(site, now).year)[0]
        pending = Ticket.objects.filter(
            site=site,
            kind=Kind.HELP,
            archive__isnull=True,
            state=State.CLOSED,
            received_at__lt=this_year_starts,
        )
        years = {d.year for d in pending.datetimes("received_at", "year", tzinfo=site_zone(site))}
        for year in sorted(years):
            before = HelpArchive.objects.filter(site=site, year=year).values_list(
                "request_count", flat=True
            ).first() or 0  # fmt: skip
            archived += archive_help_register(site=site, year=year, now=now).request_count - before
    return archived


def remove_expired_archives(now: datetime.datetime | None = None) -> list[HelpArchive]:
    """The scheduled other half: archives past their keeping period lose their help requests —
    each with its steps, photos, work orders, callbacks and audit entries — in one transaction
    per archive; the archive row records how many and which numbers went."""
    now = now or timezone.now()
    removed = []
    due = HelpArchive.objects.filter(removed_at__isnull=True).select_related("site")
    for archive in due:
        if archive.remove_after > _local_today(archive.site, now):
            continue
        removed.append(_remove(archive.pk, now))
    return removed


@transaction.atomic
def _remove(archive_pk: int, now: datetime.datetime) -> HelpArchive:
    archive = HelpArchive.objects.select_for_update().select_related("site").get(pk=archive_pk)
    if archive.removed_at is not None:  # another worker was first
        return archive
    tickets = Ticket.objects.filter(archive=archive)
    ids = list(tickets.values_list("pk", flat=True))
    numbers = list(tickets.order_by("number").values_list("number", flat=True))
    files = list(Attachment.objects.filter(ticket_id__in=ids).values_list("file", flat=True))
    Callback.objects.filter(ticket_id__in=ids).delete()
    WorkOrder.objects.filter(ticket_id__in=ids).delete()
    ticket_type = ContentType.objects.get_for_model(Ticket)
    AuditEntry.objects.filter(
        Q(content_type=ticket_type) & Q(object_id__in=[str(pk) for pk in ids])
    ).delete()
    tickets.delete()
    archive.removed_at, archive.removed_count, archive.removed_numbers = now, len(ids), numbers
    archive.save(update_fields=["removed_at", "removed_count", "removed_numbers", "updated_at"])
    transaction.on_commit(lambda: _delete_files(files))
    log.info(
        "help register %s %s removed after its keeping period: %s request(s): %s",
        archive.site.code, archive.year, len(ids), ", ".join(numbers),
    )  # fmt: skip
    return archive


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name and default_storage.exists(name):
            default_storage.delete(name)


def run_help_register_jobs(now: datetime.datetime | None = None) -> dict:
    """What the schedule runs: archive the years that are over, remove the expired ones."""
    now = now or timezone.now()
    return {
        "archived": archive_past_years(now),
        "removed": [(a.site.code, a.year, a.removed_count) for a in remove_expired_archives(now)],
    }
