"""The workbench in a real browser, on the demo company: a manager signs in, switches site,
opens a building and finds its units — on a desktop and on a phone."""

from io import StringIO

import pytest
from django.core.management import call_command

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_company():
    call_command("load_demo", stdout=StringIO())


def test_a_manager_signs_in_switches_site_and_sees_a_buildings_units(desktop, demo_company):
    page = desktop
    page.goto(page.base + "/login/")
    screenshot(page, "desktop-login")
    sign_in(page, "manager", "demo-2026")
    assert page.locator("h1").inner_text() == "翠湖苑管理处"
    screenshot(page, "desktop-home")

    with page.expect_navigation():
        page.select_option("#site-switcher", label="枫林湾管理处")
    assert page.locator("h1").inner_text() == "枫林湾管理处"
    page.goto(page.base + "/estate/buildings/")
    assert page.locator("table.list tbody tr").count() == 2, "only the second site's buildings"

    with page.expect_navigation():
        page.select_option("#site-switcher", label="翠湖苑管理处")
    page.goto(page.base + "/estate/buildings/")
    assert page.locator("table.list tbody tr").count() == 8
    screenshot(page, "desktop-buildings")
    page.get_by_role("link", name="3栋", exact=True).click()
    page.wait_for_url("**/estate/buildings/*/")
    cells = page.locator("a.unit-cell")
    assert cells.count() == 128, "2 entrances × 16 floors × 4 units"
    assert page.locator("a.unit-cell", has_text="2-1604").count() == 1
    screenshot(page, "desktop-building")

    page.locator("a.unit-cell", has_text="1-0101").click()
    page.wait_for_url("**/estate/units/*/")
    assert "3-1-0101" in page.content()
    screenshot(page, "desktop-unit")


def test_a_clerk_finds_a_unit_and_the_staff_list_on_a_phone(phone, demo_company):
    page = phone
    page.goto(page.base + "/login/")
    screenshot(page, "phone-login")
    sign_in(page, "clerk", "demo-2026")
    screenshot(page, "phone-home")

    page.fill("#quick-unit", "5-2-0803")
    page.press("#quick-unit", "Enter")
    page.wait_for_url("**/estate/units/?q=*")
    assert page.locator("table.list tbody tr").count() == 1
    screenshot(page, "phone-units")

    page.click("[data-toggle-nav]")
    page.get_by_role("link", name="员工").click()
    page.wait_for_url("**/staff/employees/")
    assert page.locator("table.list tbody tr").count() >= 25
    screenshot(page, "phone-employees")
    page.goto(page.base + "/estate/buildings/")
    page.get_by_role("link", name="1栋", exact=True).click()
    page.wait_for_url("**/estate/buildings/*/")
    screenshot(page, "phone-building")
