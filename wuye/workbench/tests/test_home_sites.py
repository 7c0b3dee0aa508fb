"""A home page shows the current site's work only: a clerk or a cashier of two sites sees each
site's rows on that site's home page, and the other's nowhere."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from wuye.billing import payments
from wuye.servicedesk import services
from wuye.servicedesk.models import Callback, Kind

from .conftest import DAY, NOW, minutes
from .pages import assert_counts_open_their_lists, home

pytestmark = pytest.mark.django_db


def switch_to(client, site):
    assert client.post(reverse("workbench:switch_site"), {"site": site.pk}).status_code == 302


@pytest.fixture
def site_b_day(clock, site_b, unit_b, clerk_b):
    """At site B: a help request on its clock, one past it, and a callback due today."""
    register = lambda subject: services.register_ticket(  # noqa: E731
        site=site_b, actor=clerk_b, intake=services.Intake(
            kind=Kind.HELP, subject=subject, unit=unit_b, help_kind="other", channel="phone",
            caller_name="李四", caller_phone="13912345678",
        ),
    )  # fmt: skip
    clock.move_to(NOW - 2 * DAY + minutes(60))  # its callback falls due today, as at site A
    done = register("B 管理处已办")
    services.answer_ticket(ticket=done, actor=clerk_b, answer="好", complete=True)
    clock.move_to(NOW - minutes(20))
    late = register("B 管理处超时")
    clock.move_to(NOW - minutes(1))
    waiting = register("B 管理处求助")
    clock.move_to(NOW)
    return {"waiting": waiting, "late": late, "callback": Callback.objects.get(ticket=done)}


def test_a_clerk_of_two_sites_sees_only_the_current_sites_work(
    django_user_model, site_a, site_b, client_of, desk_day, site_b_day
):
    from conftest import make_staff_user

    both = make_staff_user(django_user_model, "desk_ab", sites=[site_a, site_b], role="cs_clerk")
    client = client_of(both)
    response, _sections, lists = home(client)
    assert lists["help"].rows == [desk_day["waiting"]]
    assert site_b_day["late"] not in lists["due_soon"].rows
    assert lists["callbacks"].rows == [desk_day["callback"]]
    assert "B 管理处" not in response.content.decode()
    assert_counts_open_their_lists(client, lists)
    switch_to(client, site_b)
    response, _sections, lists = home(client)
    assert lists["help"].rows == [site_b_day["waiting"]]
    assert lists["due_soon"].rows == [site_b_day["late"]]
    assert lists["callbacks"].rows == [site_b_day["callback"]]
    assert "钥匙锁在家里" not in response.content.decode()
    assert_counts_open_their_lists(client, lists)


def test_a_cashier_sees_only_what_he_took_at_the_current_site(
    client_of, finance, counter_day, site_b, unit_b, clock
):
    from wuye.core.models import SiteMembership

    SiteMembership.objects.create(user=finance["cashier"].user, site=site_b)
    cashier = type(finance["cashier"].user).objects.get(
        pk=finance["cashier"].user_id
    )  # fresh: both sites
    elsewhere = payments.take_payment(site=site_b, actor=cashier, unit=unit_b, method="cash",
                                      amount="999", take_rest_as_credit=True)  # fmt: skip
    client = client_of(cashier)
    response, _sections, lists = home(client)
    assert elsewhere not in lists["receipts"].rows
    assert response.context["panels"]["sections"][0].takings.total == D("270.50")
    assert "¥999.00" not in response.content.decode()
    switch_to(client, site_b)
    response, _sections, lists = home(client)
    assert lists["receipts"].rows == [elsewhere]
    assert response.context["panels"]["sections"][0].takings.total == D("999.00")
