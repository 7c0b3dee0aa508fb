"""The customer registers' fixtures serve the portal's tests too, with two owned units."""

import datetime

import pytest

from wuye.people import lifecycle
from wuye.people.tests.conftest import id_number, li, shop_unit, vacant_units, zhang  # noqa: F401


@pytest.fixture
def owned_unit(vacant_units, zhang, clerk_a):  # noqa: F811 (fixtures)
    """1-0801, owned by 张三 (13812345678)."""
    lifecycle.register_move_in(
        unit=vacant_units[0],
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(zhang)],
    )
    return vacant_units[0]


@pytest.fixture
def other_unit(vacant_units, li, clerk_a):  # noqa: F811 (fixtures)
    """1-0802, owned by 李四 (13998765432)."""
    lifecycle.register_move_in(
        unit=vacant_units[1],
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(li)],
    )
    return vacant_units[1]


@pytest.fixture
def resident_of(clerk_a):
    """`resident_of(unit, phone, name)`: a resident account approved as the unit's owner."""
    from wuye.portal import services

    def make(unit, phone, name):
        account = services.sign_up_resident(phone=phone, name=name, password="Lianhua-2026!")
        link = services.request_link(account=account, unit=unit, role="owner")
        services.approve_link(link=link, actor=clerk_a)
        return account

    return make
