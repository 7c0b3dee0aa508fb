"""Shared test fixtures: the personas every access test is written with.

Two sites of one company (A and B); a clerk of each, a site manager and a cashier of A, and a
user with no site at all. Residents arrive with the customer registers.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from wuye.core.models import Company, Site, SiteMembership
from wuye.estate.models import Building, Unit


@pytest.fixture(autouse=True)
def _jobs_inline_and_english_agnostic(settings, tmp_path):
    settings.WUYE_JOBS_INLINE = True
    # Hashing a password the production way takes a third of a second; tests create many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def company(db):
    return Company.objects.create(name="宜居物业服务有限公司", short_name="宜居物业")


@pytest.fixture
def site_a(company):
    return Site.objects.create(company=company, code="a", name="翠湖苑管理处")


@pytest.fixture
def site_b(company):
    return Site.objects.create(company=company, code="b", name="枫林湾管理处")


def make_staff_user(django_user_model, username, *, sites, role, full_name=""):
    user = django_user_model.objects.create_user(
        username=username, password="pass-Word-123", first_name=full_name or username
    )
    user.groups.add(Group.objects.get(name=role))
    for i, site in enumerate(sites):
        SiteMembership.objects.create(user=user, site=site, is_default=(i == 0))
    return user


@pytest.fixture
def clerk_a(django_user_model, site_a):
    return make_staff_user(django_user_model, "clerk_a", sites=[site_a], role="cs_clerk")


@pytest.fixture
def clerk_b(django_user_model, site_b):
    return make_staff_user(django_user_model, "clerk_b", sites=[site_b], role="cs_clerk")


@pytest.fixture
def manager(django_user_model, site_a, site_b):
    return make_staff_user(django_user_model, "manager", sites=[site_a, site_b], role="manager")


@pytest.fixture
def cashier_a(django_user_model, site_a):
    return make_staff_user(django_user_model, "cashier_a", sites=[site_a], role="cashier")


@pytest.fixture
def outsider(django_user_model):
    """Signed in, but a member of no site."""
    return django_user_model.objects.create_user(username="outsider", password="pass-Word-123")


@pytest.fixture
def building_a(site_a):
    return Building.objects.create(site=site_a, code="1", name="1栋", floors_above=18)


@pytest.fixture
def unit_a(site_a, building_a):
    return Unit.objects.create(
        site=site_a,
        building=building_a,
        floor=1,
        number="0101",
        code="1-0101",
        floor_area=Decimal("89.50"),
    )


@pytest.fixture
def building_b(site_b):
    return Building.objects.create(site=site_b, code="1", name="1栋", floors_above=6)


@pytest.fixture
def unit_b(site_b, building_b):
    return Unit.objects.create(
        site=site_b,
        building=building_b,
        floor=1,
        number="0101",
        code="1-0101",
        floor_area=Decimal("120.00"),
    )


@pytest.fixture
def client_of(client):
    """`client_of(user)`: a test client signed in as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
