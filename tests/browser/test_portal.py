"""A resident on a phone: signs up, asks to be linked to a unit, and sees the household once
the centre approves (docs/people.md, Resident accounts)."""

import datetime
from decimal import Decimal

import pytest
from stdnum.cn import ric

from wuye.estate.models import Unit
from wuye.people import lifecycle, services
from wuye.portal import services as portal
from wuye.portal.models import ResidentLink

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owned_unit(site_a, building_a, clerk_a):
    unit = Unit.objects.create(
        site=site_a,
        building=building_a,
        floor=8,
        number="0801",
        code="1-0801",
        floor_area=Decimal("96.00"),
        state=Unit.State.VACANT,
    )
    body = "31010419880412135"
    owner, _created = services.register_person(
        site=site_a,
        actor=clerk_a,
        name="王小明",
        id_number=body + ric.calc_check_digit(body + "0"),
        phone="13912340000",
    )
    lifecycle.register_move_in(
        unit=unit,
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(owner)],
    )
    return unit


def test_a_resident_signs_up_on_a_phone_and_sees_the_household_once_approved(
    phone, site_a, clerk_a, owned_unit
):
    page = phone
    page.goto(page.base + "/portal/signup/")
    page.fill("#id_name", "王小明")
    page.fill("#id_phone", "139 1234 0000")
    page.fill("#id_password", "Lianhua-2026!")
    screenshot(page, "phone-portal-signup")
    page.click("button[type=submit].primary")
    page.wait_for_url(page.base + "/portal/")
    page.select_option("#id_site", str(site_a.pk))
    page.fill("#id_unit", "1栋801")
    page.select_option("#id_role", "owner")
    page.click("text=提交申请")
    page.wait_for_selector("text=待审核")
    screenshot(page, "phone-portal-home")
    assert page.locator("a", has_text="1-0801").count() == 0, "nothing to open before approval"

    link = ResidentLink.objects.get()
    portal.approve_link(link=link, actor=clerk_a)
    page.reload()
    page.click("a:has-text('1-0801')")
    page.wait_for_selector("text=王小明")
    assert page.locator("td", has_text="139****0000").count() == 1
    screenshot(page, "phone-portal-unit")
