"""R-HLP-06: the help register is archived at the start of each year and kept two years (the
company's setting), read-only and searchable, then removed by the scheduled job, which logs what
it removed."""

import datetime
import io
import logging

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.errors import codes
from wuye.core.models import AuditEntry
from wuye.core.schedule import SCHEDULE
from wuye.servicedesk import services
from wuye.servicedesk.archive import archive_help_register, run_help_register_jobs
from wuye.servicedesk.facts import rebuild_facts
from wuye.servicedesk.models import (
    Callback,
    CompanyDeskSettings,
    HelpArchive,
    Kind,
    Ticket,
    TicketFact,
    TicketStep,
)
from wuye.servicedesk.queries import statistics

pytestmark = pytest.mark.django_db
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MID_2025 = datetime.datetime(2025, 6, 10, 9, 0, tzinfo=SHANGHAI)
NEW_YEAR_2026 = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=SHANGHAI)


def _closed_help(new_ticket, team, subject: str) -> Ticket:
    clerk = team["clerk"].user
    ticket = new_ticket(kind=Kind.HELP, help_kind="other", subject=subject)
    services.answer_ticket(ticket=ticket, actor=clerk, answer="已协助", complete=True)
    services.record_callback(ticket=ticket, actor=clerk, satisfied=True)
    return ticket


@pytest.fixture
def year_2025(new_ticket, team):
    """Three help requests of 2025 (two closed, one still open), a repair and a help request
    of 2026."""
    with time_machine.travel(MID_2025, tick=False):
        closed = [_closed_help(new_ticket, team, s) for s in ("老人摔倒求助", "钥匙锁在屋内")]
        still_open = new_ticket(kind=Kind.HELP, help_kind="other", subject="寻找走失的猫")
        repair = new_ticket(subject="厨房漏水")
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=2), tick=False):
        next_year = new_ticket(kind=Kind.HELP, help_kind="other", subject="停电求助")
    return {"closed": closed, "open": still_open, "repair": repair, "next_year": next_year}


def test_r_hlp_06_the_year_is_archived_when_it_is_over(year_2025, site_a):
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=3), tick=False):
        result = run_help_register_jobs()
    archive = HelpArchive.objects.get(site=site_a)
    assert (archive.year, archive.request_count, result["archived"]) == (2025, 2, 2)
    assert archive.remove_after == datetime.date(2028, 1, 1)  # kept two full years
    assert set(Ticket.objects.filter(archive=archive)) == set(year_2025["closed"])
    for other in ("open", "repair", "next_year"):
        year_2025[other].refresh_from_db()
        assert year_2025[other].archive_id is None
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=4), tick=False):
        assert run_help_register_jobs()["archived"] == 0  # running again adds nothing
    assert HelpArchive.objects.get(site=site_a).request_count == 2


def test_r_hlp_06_a_year_is_not_archived_before_it_is_over(year_2025, site_a):
    with time_machine.travel(MID_2025, tick=False), pytest.raises(ValidationError) as exc:
        archive_help_register(site=site_a, year=2025)
    assert codes(exc.value) == {"not_over"}
    assert not HelpArchive.objects.exists()


def test_r_hlp_06_archived_requests_are_read_only_and_a_late_one_joins(year_2025, team, site_a):
    clerk = team["clerk"].user
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=3), tick=False):
        run_help_register_jobs()
        archived = year_2025["closed"][0]
        with pytest.raises(ValidationError) as exc:
            services.hurry_ticket(ticket=archived, actor=clerk, note="再催")
        assert codes(exc.value) == {"archived"}
        with pytest.raises(ValidationError):
            services.force_close_ticket(ticket=archived, actor=team["cs_sup"].user, reason="x")
        assert TicketStep.objects.filter(ticket=archived, action="hurried").count() == 0
        late = year_2025["open"]
        services.answer_ticket(ticket=late, actor=clerk, answer="猫已找到", complete=True)
        services.record_callback(ticket=late, actor=clerk, satisfied=True)
    late.refresh_from_db()
    archive = HelpArchive.objects.get(site=site_a)
    assert late.archive == archive and archive.request_count == 3


def test_r_hlp_06_the_archive_page_searches_and_exports(year_2025, team, client_of, site_a):
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=3), tick=False):
        run_help_register_jobs()
    client = client_of(team["clerk"].user)
    listing = client.get(reverse("servicedesk:help_archives"))
    assert listing.status_code == 200 and "2025" in listing.content.decode()
    url = reverse("servicedesk:help_archive", args=[2025])
    found = client.get(url, {"q": "钥匙"})
    assert [t.subject for t in found.context["rows"]] == ["钥匙锁在屋内"]
    detail = client.get(reverse("servicedesk:ticket_detail", args=[year_2025["closed"][1].pk]))
    assert 'id="archived"' in detail.content.decode() and detail.context["actions"] == []
    export = client.get(url, {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    numbers = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert numbers == {t.number for t in year_2025["closed"]}
    # The desk's list of all tickets leaves the archived ones to the archive.
    everything = client.get(reverse("servicedesk:ticket_list"), {"all": "1"})
    assert {t.pk for t in everything.context["rows"]}.isdisjoint(
        {t.pk for t in year_2025["closed"]}
    )
    assert client.get(reverse("servicedesk:help_archive", args=[2019])).status_code == 404


def test_r_hlp_06_the_archive_api_is_scoped_to_the_site(year_2025, team, clerk_b, client_of):
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=3), tick=False):
        run_help_register_jobs()
    body = client_of(team["clerk"].user).get("/api/v1/servicedesk/help-archives").json()
    assert [(a["year"], a["request_count"]) for a in body] == [(2025, 2)]
    page = client_of(team["clerk"].user).get(
        "/api/v1/servicedesk/help-archives/2025/requests", {"q": "老人"}
    )
    assert [t["subject"] for t in page.json()["items"]] == ["老人摔倒求助"]
    other = client_of(clerk_b).get("/api/v1/servicedesk/help-archives/2025/requests")
    assert other.status_code == 404


def test_r_hlp_06_removed_after_the_keeping_period_and_logged(year_2025, site_a, caplog):
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=3), tick=False):
        run_help_register_jobs()
    archived = list(year_2025["closed"])
    ids = [t.pk for t in archived]
    facts_before = sorted(TicketFact.objects.values_list("day", "kind", "received", "satisfied"))
    with time_machine.travel(datetime.datetime(2027, 12, 31, 23, 0, tzinfo=SHANGHAI), tick=False):
        assert run_help_register_jobs()["removed"] == []  # not yet: kept through 2027
    caplog.set_level(logging.INFO, logger="wuye.servicedesk.archive")
    with time_machine.travel(datetime.datetime(2028, 1, 1, 1, 0, tzinfo=SHANGHAI), tick=False):
        result = run_help_register_jobs()
    assert result["removed"] == [("a", 2025, 2)]
    archive = HelpArchive.objects.get(site=site_a)
    assert archive.removed_count == 2 and archive.removed_at is not None
    assert archive.removed_numbers == sorted(t.number for t in archived)
    assert not Ticket.objects.filter(pk__in=ids).exists()
    assert not TicketStep.objects.filter(ticket_id__in=ids).exists()
    assert not Callback.objects.filter(ticket_id__in=ids).exists()
    assert not AuditEntry.objects.filter(object_id__in=[str(i) for i in ids]).exists()
    assert any(archived[0].number in r.getMessage() for r in caplog.records)
    # The year's figures are counts without personal data: they stay, and a rebuild keeps them.
    year = statistics(site_a, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert year["by_kind"][Kind.HELP]["received"] == 3
    rebuild_facts(site_a)
    after = sorted(TicketFact.objects.values_list("day", "kind", "received", "satisfied"))
    assert after == facts_before
    # The other records stay where they were.
    assert Ticket.objects.filter(pk__in=[year_2025["repair"].pk, year_2025["open"].pk]).count() == 2


def test_r_hlp_06_the_company_sets_how_long_archives_are_kept(year_2025, site_a, company):
    CompanyDeskSettings.objects.create(company=company, help_register_keep_years=1)
    with time_machine.travel(NEW_YEAR_2026 + datetime.timedelta(hours=3), tick=False):
        run_help_register_jobs()
    assert HelpArchive.objects.get(site=site_a).remove_after == datetime.date(2027, 1, 1)
    with time_machine.travel(datetime.datetime(2027, 1, 1, 1, 0, tzinfo=SHANGHAI), tick=False):
        assert run_help_register_jobs()["removed"] == [("a", 2025, 2)]


def test_r_hlp_06_the_jobs_run_on_the_schedule():
    assert any(e.task == "wuye.servicedesk.tasks.help_register_task" for e in SCHEDULE)
