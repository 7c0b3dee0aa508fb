"""The demo: a year of a living site, built once for the module through the services (inside a
transaction rolled back at the end), its maintained figures equal to their recount, its logins
working, and a second run adding nothing. How long it takes is measured by hand, not here."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.test import override_settings

from wuye.billing import figures
from wuye.billing.arrears import open_amount
from wuye.billing.models import LateFee, MeterReading, Payment, ReliefEntry, VacancyApplication
from wuye.billing.payments import open_lines, with_outstanding
from wuye.core.audit import history
from wuye.core.models import AuditEntry, Site, SiteMembership
from wuye.estate.models import Building, Facility, ParkingSpace, Unit
from wuye.ledger.models import BillLine
from wuye.people.models import Ownership, Person, Tenancy, Vehicle
from wuye.servicedesk.facts import aggregate_tickets
from wuye.servicedesk.models import Kind, Ticket, TicketFact
from wuye.staff.models import Employee
from wuye.workbench.demo_data import PASSWORD, RESIDENT
from wuye.workbench.demo_time import year_of_months

COUNTED = (Site, Building, Unit, ParkingSpace, Facility, Employee, Person, Ownership, AuditEntry,
           BillLine, Payment, LateFee, ReliefEntry, MeterReading, Ticket, TicketFact)  # fmt: skip


def fast():
    return override_settings(
        WUYE_JOBS_INLINE=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), fast(), transaction.atomic():
        out = StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def _months(queryset, field) -> set:
    return {
        (m.year, m.month)
        for m in queryset.annotate(m=TruncMonth(field)).values_list("m", flat=True).distinct()
    }


@pytest.fixture
def site(demo, db):
    return Site.objects.get(code="cuihu")


def test_the_demo_builds_a_realistic_site(site):
    assert Building.objects.filter(site=site).count() == 8
    assert 1000 <= Unit.objects.filter(site=site).count() <= 1100
    assert set(Unit.objects.filter(site=site).values_list("state", flat=True)) == {
        "occupied",
        "vacant",
        "renovating",
    }
    assert ParkingSpace.objects.filter(site=site).count() == 320
    departments = set(
        Employee.objects.filter(site=site).values_list("post__department__kind", flat=True)
    )
    assert len(departments) == 7, "staff in every department"
    unit = Unit.objects.filter(site=site).first()
    assert history(unit), "demo rows are written through the services, with their audit entries"
    occupied_flats = Unit.objects.filter(site=site, state="occupied", use="residence")
    owned = Ownership.objects.filter(site=site, ended_on=None).values("unit").distinct().count()
    assert owned == occupied_flats.count(), "every occupied flat has its owners (R-CUS-03)"
    assert Tenancy.objects.filter(site=site).exists() and Vehicle.objects.filter(site=site).exists()


def test_a_year_of_money_dated_when_it_happened(site):
    year = {(m.year, m.month) for m in year_of_months()}
    assert len(year) == 12
    assert _months(BillLine.objects.filter(site=site), "created_at") == year
    assert {(d.year, d.month) for d in BillLine.objects.filter(site=site).values_list(
        "period_start", flat=True)} == year  # fmt: skip
    past = year - {max(year)}
    assert past <= _months(Payment.objects.filter(site=site), "created_at")
    assert len(_months(MeterReading.objects.filter(meter__site=site), "created_at")) == 12
    assert len(_months(LateFee.objects.filter(site=site), "created_at")) >= 6
    assert ReliefEntry.objects.filter(site=site).exists()
    assert set(VacancyApplication.objects.filter(site=site).values_list("state", flat=True)) >= {
        "approved",
        "rejected",
    }
    # Arrears of every age: lines of the year's first months are still open somewhere.
    open_lines = (
        with_outstanding(BillLine.objects.filter(site=site, cancelled_at__isnull=True))
        .annotate(open=open_amount())
        .filter(open__gt=0)
    )
    assert len({(d.year, d.month) for d in open_lines.values_list("period_start", flat=True)}) >= 10
    assert open_lines.values("unit").distinct().count() > 20


def test_tickets_of_every_kind_and_their_callbacks_across_the_year(site):
    tickets = Ticket.objects.filter(site=site)
    assert set(tickets.values_list("kind", flat=True)) >= {
        Kind.REPAIR, Kind.COMPLAINT, Kind.HELP, Kind.INQUIRY
    }  # fmt: skip
    assert len(_months(tickets, "received_at")) == 12
    called = tickets.filter(called_back_at__isnull=False)
    assert len(_months(called, "called_back_at")) >= 11
    assert tickets.filter(breached_at__isnull=False).exists(), "some visits were late"
    assert tickets.filter(reopen_count__gt=0).exists(), "some callbacks were not satisfied"
    per_state = dict(tickets.values_list("state").annotate(n=Count("id")))
    assert per_state.get("closed", 0) > 100 and len(per_state) >= 5


def test_the_maintained_figures_equal_their_recount(site):
    for one in Site.objects.all():
        assert figures.differences(one) == [], one.code
        stored = {
            tuple(row[k] for k in ("day", "kind", "channel", "root_cause_key", "department_key")):
            {m: row[m] for m in TicketFact.MEASURES}
            for row in TicketFact.objects.filter(site=one).values()
            if any(row[m] for m in TicketFact.MEASURES)
        }  # fmt: skip
        recounted = {
            tuple(g[k] for k in ("day", "kind", "channel", "root_cause_key", "department_key")):
            {m: g[m] for m in TicketFact.MEASURES}
            for g in aggregate_tickets(one)
        }  # fmt: skip
        assert stored == recounted, one.code


def test_the_demo_logins_work_and_the_manager_sees_both_sites(site, client, django_user_model):
    for login in ("manager", "supervisor", "clerk", "engineer", "guard", "finance", "cashier"):
        assert client.login(username=login, password=PASSWORD), login
    manager = django_user_model.objects.get(username="manager")
    assert SiteMembership.objects.filter(user=manager).count() == 2
    clerk = django_user_model.objects.get(username="clerk")
    assert list(SiteMembership.objects.filter(user=clerk).values_list("site__code", flat=True)) == [
        "cuihu"
    ]


def test_the_resident_signs_in_on_the_portal_and_sees_the_flat(site, client):
    with fast():
        response = client.post(
            "/portal/login/", {"username": RESIDENT["phone"], "password": PASSWORD}
        )
        assert response.status_code == 302, "signed in"
        page = client.get("/portal/")
    assert page.status_code == 200
    assert RESIDENT["unit"] in page.content.decode()
    flat = Unit.objects.get(site=site, code=RESIDENT["unit"])
    assert Ticket.objects.filter(site=site, unit=flat).exists()
    assert open_lines(flat), "the last three months' charges are open, whatever the day"


def test_a_second_run_adds_nothing(site, demo):
    before = _counts()
    out = StringIO()
    with fast():
        call_command("load_demo", stdout=out)
    assert _counts() == before
    assert "0 records created this run" in out.getvalue()
