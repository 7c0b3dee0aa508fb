from io import StringIO

from django.core.management import call_command

from wuye.core.audit import history
from wuye.core.models import AuditEntry, Site, SiteMembership
from wuye.estate.models import Building, Facility, ParkingSpace, Unit
from wuye.people.models import Ownership, Person, Tenancy, Vehicle
from wuye.staff.models import Employee


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Site,
            Building,
            Unit,
            ParkingSpace,
            Facility,
            Employee,
            Person,
            Ownership,
            AuditEntry,
        )
    }


def test_the_demo_builds_a_realistic_site_and_a_second_run_adds_nothing(db, django_user_model):
    call_command("load_demo", stdout=StringIO())
    first = _counts()
    call_command("load_demo", stdout=StringIO())

    assert _counts() == first
    site = Site.objects.get(code="cuihu")
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


def test_the_demo_logins_work_and_the_manager_sees_both_sites(db, client, django_user_model):
    call_command("load_demo", stdout=StringIO())
    for login in ("manager", "clerk", "engineer", "guard", "cashier"):
        assert client.login(username=login, password="demo-2026"), login
    manager = django_user_model.objects.get(username="manager")
    assert SiteMembership.objects.filter(user=manager).count() == 2
    clerk = django_user_model.objects.get(username="clerk")
    assert list(SiteMembership.objects.filter(user=clerk).values_list("site__code", flat=True)) == [
        "cuihu"
    ]
