"""The residents' pages and the centre's request queue."""

import pytest
from django.contrib.auth import get_user_model

from wuye.portal import services
from wuye.portal.models import ResidentLink
from wuye.portal.tests.test_accounts import PASSWORD


def test_a_resident_signs_up_on_the_page_and_asks_for_a_unit(owned_unit, site_a, client):
    response = client.post(
        "/portal/signup/", {"name": "张三", "phone": "13812345678", "password": PASSWORD}
    )
    assert response.status_code == 302
    home = client.get("/portal/")
    assert home.status_code == 200
    asked = client.post(
        "/portal/", {"site": site_a.pk, "unit": "1栋801", "role": "owner", "note": ""}
    )
    assert asked.status_code == 302
    link = ResidentLink.objects.get()
    assert (link.unit, link.state) == (owned_unit, "pending")
    assert client.get(f"/portal/units/{owned_unit.pk}/").status_code == 404


def test_the_clerk_approves_from_the_queue_and_the_resident_sees_the_household(
    owned_unit, clerk_a, client_of, client
):
    account = services.sign_up_resident(phone="13812345678", name="张三", password=PASSWORD)
    link = services.request_link(account=account, unit=owned_unit, role="owner")
    staff = client_of(clerk_a)
    queue = staff.get("/portal/requests/")
    assert queue.status_code == 200 and "138****5678" in queue.content.decode()
    staff.post("/portal/requests/", {"link": link.pk, "action": "approve"})
    assert ResidentLink.objects.get(pk=link.pk).state == "approved"
    client.force_login(account.user)
    page = client.get(f"/portal/units/{owned_unit.pk}/")
    assert page.status_code == 200 and "张三" in page.content.decode()


def test_a_resident_sees_no_other_unit_and_no_staff_page(owned_unit, other_unit, client):
    account = services.sign_up_resident(phone="13812345678", name="张三", password=PASSWORD)
    client.force_login(account.user)
    assert client.get(f"/portal/units/{other_unit.pk}/").status_code == 404
    assert client.get("/people/").status_code == 403
    assert client.get("/portal/requests/").status_code == 403


def test_the_sign_up_form_reports_every_bad_field_at_once(db, client):
    response = client.post("/portal/signup/", {"name": "张三", "phone": "1234", "password": "123"})
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert set(errors) == {"phone", "password"}
    assert [e.code for e in errors["phone"]] == ["bad_phone"]
    assert not get_user_model().objects.filter(first_name="张三").exists()


@pytest.mark.parametrize("path", ["/portal/signup/", "/portal/login/"])
def test_the_sign_up_and_sign_in_pages_render(db, client, path):
    assert client.get(path).status_code == 200
