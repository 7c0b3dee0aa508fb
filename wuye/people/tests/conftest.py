"""Fixtures of the customer registers: valid ID numbers, vacant units, registered people."""

import datetime
from decimal import Decimal

import pytest
from stdnum.cn import ric

from wuye.estate.models import Unit
from wuye.people.services import register_person


def make_id(birth: str = "19900307", seq: str = "123", region: str = "110101") -> str:
    """A resident ID number with a correct check digit."""
    body = f"{region}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def id_number():
    return make_id


@pytest.fixture
def vacant_units(site_a, building_a):
    """Five vacant flats on the 8th floor of building 1: 1-0801 … 1-0805."""
    return [
        Unit.objects.create(
            site=site_a,
            building=building_a,
            floor=8,
            number=f"08{i:02d}",
            code=f"1-08{i:02d}",
            floor_area=Decimal("96.00"),
            state=Unit.State.VACANT,
        )
        for i in range(1, 6)
    ]


@pytest.fixture
def shop_unit(site_a, building_a):
    return Unit.objects.create(
        site=site_a,
        building=building_a,
        floor=1,
        number="S01",
        code="1-S01",
        floor_area=Decimal("60.00"),
        use=Unit.Use.SHOP,
        state=Unit.State.VACANT,
    )


@pytest.fixture
def zhang(site_a, clerk_a):
    """张三, with an ID number and a mobile."""
    person, _created = register_person(
        site=site_a, actor=clerk_a, name="张三", id_number=make_id(), phone="13812345678"
    )
    return person


@pytest.fixture
def li(site_a, clerk_a):
    person, _created = register_person(
        site=site_a,
        actor=clerk_a,
        name="李四",
        id_number=make_id("19851120", "456", "440305"),
        phone="13998765432",
    )
    return person


@pytest.fixture
def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def days():
    return lambda n: datetime.timedelta(days=n)
