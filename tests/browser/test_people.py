"""The customer registers in a real browser: a clerk registers a move-in for a vacant unit and
then finds the new owner by pinyin (R-CUS-03); the same pages on a phone."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from stdnum.cn import ric

from wuye.estate.models import Unit
from wuye.people import lifecycle, services

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WANG_ID_BODY = "31010419880412135"
WANG_ID = WANG_ID_BODY + ric.calc_check_digit(WANG_ID_BODY + "0")


@pytest.fixture
def vacant_unit(site_a, building_a):
    return Unit.objects.create(
        site=site_a,
        building=building_a,
        floor=8,
        number="0801",
        code="1-0801",
        floor_area=Decimal("96.00"),
        state=Unit.State.VACANT,
    )


def test_r_cus_03_a_clerk_registers_a_move_in_and_finds_the_owner_by_pinyin(
    desktop, clerk_a, vacant_unit
):
    page = desktop
    sign_in(page, "clerk_a")
    page.goto(page.base + f"/estate/units/{vacant_unit.pk}/")
    panel = page.locator("#occupants")
    move_in = panel.get_by_role("link", name="入住", exact=True)
    move_in.wait_for()
    assert panel.get_by_role("link", name="产权变更").count() == 0, "no transfer without an owner"
    screenshot(page, "desktop-unit-vacant")

    move_in.click()
    page.wait_for_url("**/people/units/*/move-in/")
    assert "1-0801" in page.locator("h1").inner_text()
    page.fill("#id_owner-0-name", "王小明")
    page.fill("#id_owner-0-id_number", WANG_ID)
    page.fill("#id_owner-0-phone", "13700001111")
    page.fill("#id_moved_in_on", "2025-03-01")
    page.fill("#id_keys_handed", "2")
    page.check("input[name=checklist][value=keys]")
    page.check("input[name=checklist][value=access_card]")
    screenshot(page, "desktop-move-in")
    page.get_by_role("button", name="登记入住").click()

    page.wait_for_url(f"**/estate/units/{vacant_unit.pk}/")
    assert "已入住" in page.locator("h1").inner_text()
    panel = page.locator("#occupants")
    panel.locator("a", has_text="王小明").wait_for()
    assert "100%" in panel.inner_text()
    assert "137****1111" not in panel.inner_text(), "a clerk sees the full number"
    assert "13700001111" in panel.inner_text()
    assert panel.get_by_role("link", name="产权变更").count() == 1
    assert panel.get_by_role("link", name="入住", exact=True).count() == 0
    screenshot(page, "desktop-unit-occupied")

    page.goto(page.base + "/people/")
    for query in ["wangxiaoming", "wxm"]:
        page.fill("#q", query)
        page.wait_for_url(f"**/people/?q={query}*")
        rows = page.locator("#people-results table.list tbody tr")
        rows.first.wait_for()
        assert rows.count() == 1, query
        assert "王小明" in rows.first.inner_text()
        assert "1-0801" in rows.first.inner_text()
    screenshot(page, "desktop-people")

    page.goto(page.base + f"/people/units/{vacant_unit.pk}/tenant/")
    page.fill("#id_tenant-0-person_find", "wxm")
    page.locator("#id_tenant-0-person option", has_text="王小明").wait_for(state="attached")
    assert page.locator("#id_tenant-0-person").input_value() != "", "one match is chosen"
    screenshot(page, "desktop-tenant-picker")

    page.goto(page.base + "/people/?q=wxm")
    page.locator("#people-results a", has_text="王小明").click()
    page.wait_for_url("**/people/*/")
    assert page.locator("h1").inner_text().startswith("王小明")
    assert WANG_ID in page.content()
    screenshot(page, "desktop-person")


def test_the_customer_pages_read_well_on_a_phone(phone, site_a, clerk_a, vacant_unit):
    owner, _created = services.register_person(
        site=site_a, actor=clerk_a, name="张三", id_number=WANG_ID, phone="13812345678"
    )
    lifecycle.register_move_in(
        unit=vacant_unit,
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(person=owner)],
        checklist=["keys", "access_card", "residence_manual"],
        keys_handed=3,
    )
    today = timezone.localdate()
    lifecycle.tenant_move_in(
        unit=vacant_unit,
        actor=clerk_a,
        person=services.register_person(site=site_a, actor=clerk_a, name="李四")[0],
        lease_start=today - datetime.timedelta(days=300),
        lease_end=today + datetime.timedelta(days=20),
    )
    page = phone
    sign_in(page, "clerk_a")
    page.goto(page.base + "/people/")
    assert page.locator("table.list tbody tr").count() == 2
    screenshot(page, "phone-people")
    page.goto(page.base + f"/people/{owner.pk}/")
    screenshot(page, "phone-person")
    page.goto(page.base + f"/estate/units/{vacant_unit.pk}/")
    page.locator("#occupants a", has_text="张三").wait_for()
    screenshot(page, "phone-unit-occupants")
    page.goto(page.base + f"/people/units/{vacant_unit.pk}/transfer/")
    screenshot(page, "phone-transfer")
    page.goto(page.base + "/people/verification/")
    assert page.locator("tr.soon, tr.expired").count() == 0
    assert "李四" in page.content()
    screenshot(page, "phone-verification")
