"""Dunning's fixtures: billing's finance team, estate and bills (every unit ¥100 a month for
September to November 2026, due on the 15th of the month after), owners with phones, and a
resident account linked to a unit."""

import datetime

import pytest
from django.apps import apps

from wuye.billing.tests.conftest import estate, fee_item, finance, finance_b, owed  # noqa: F401
from wuye.people.models import Ownership, Person
from wuye.people.services import phone_columns

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(year, month, day, hour=12):
    """A moment in Shanghai, for time_machine."""
    return datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def make_owner(unit, name, phone=""):
    columns = {k: v for k, v in phone_columns(phone).items() if not k.startswith("_")}
    person = Person.objects.create(site_id=unit.site_id, name=name, **columns)
    Ownership.objects.create(
        site_id=unit.site_id, unit=unit, person=person, title_date=datetime.date(2020, 1, 1)
    )
    return person


@pytest.fixture
def owners(estate):  # noqa: F811 (fixtures)
    """张三 owns 1-0101 (phone 13812345678); 李四 owns 1-0102 (no phone)."""
    return {
        "zhang": make_owner(estate["units"][0], "张三", "13812345678"),
        "li": make_owner(estate["units"][1], "李四"),
    }


@pytest.fixture
def resident(django_user_model, estate):  # noqa: F811 (fixtures)
    """A resident account approved as the owner of 1-0101 (the portal's link, by model name:
    the portal is a layer above dunning)."""
    from wuye.core.crypto import encrypt

    account_model = apps.get_model("portal", "ResidentAccount")
    link_model = apps.get_model("portal", "ResidentLink")
    user = django_user_model.objects.create_user(username="r-13900001111", password="x-Passw0rd!")
    account = account_model.objects.create(
        user=user, name="张三", phone_cipher=encrypt("+8613900001111"),
        phone_hash="test-hash-13900001111", phone_masked="139****1111",
    )  # fmt: skip
    unit = estate["units"][0]
    link_model.objects.create(
        site_id=unit.site_id, account=account, unit=unit, role="owner", state="approved"
    )
    return user


@pytest.fixture
def clerk(finance):  # noqa: F811 (fixtures)
    """The cashier of site A does the chasing in these tests (cashier, finance and clerks may)."""
    return finance["cashier"].user
