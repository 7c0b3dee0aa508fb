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


# ---------------------------------------------------------------------------------------------
# Browser tests that could not run are said out loud: on a machine without Chromium they skip,
# and the summary says how many and why; CI sets WUYE_REQUIRE_BROWSER=1, and there a skipped
# browser test fails the run.

_browser_skips: list[tuple[str, str]] = []


def pytest_runtest_logreport(report):
    if report.skipped and "browser" in report.keywords:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not any(nodeid == report.nodeid for nodeid, _reason in _browser_skips):
            _browser_skips.append((report.nodeid, reason.removeprefix("Skipped: ")))


def _browser_required() -> bool:
    import os

    return os.environ.get("WUYE_REQUIRE_BROWSER", "").lower() in ("1", "true", "yes")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _browser_skips:
        return
    reasons = sorted({reason for _nodeid, reason in _browser_skips})
    terminalreporter.section("browser tests skipped", sep="=", yellow=True, bold=True)
    terminalreporter.write_line(
        f"{len(_browser_skips)} browser test(s) did not run: " + "; ".join(reasons)
    )
    if _browser_required():
        terminalreporter.write_line(
            "WUYE_REQUIRE_BROWSER is set: a skipped browser test fails this run.", red=True
        )


def pytest_sessionfinish(session, exitstatus):
    if _browser_skips and _browser_required() and exitstatus == 0:
        session.exitstatus = 1
