"""Two clerks at once, on real PostgreSQL connections: a person is still stored once (R-CUS-01)
and a unit gets one move-in (R-CUS-03)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import at_once, postgres_only
from wuye.people import lifecycle
from wuye.people.models import MoveIn, Ownership, Person
from wuye.people.services import register_person
from wuye.people.tests.conftest import make_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()


def test_r_cus_01_clerks_registering_the_same_id_at_once_store_one_person(site_a, clerk_a):
    number = make_id()
    outcomes = at_once(
        6, lambda i: register_person(site=site_a, actor=clerk_a, name="张三", id_number=number)
    )
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert Person.objects.filter(site=site_a).count() == 1
    assert sum(1 for _person, created in outcomes if created) == 1


def test_r_cus_03_two_move_ins_on_one_unit_at_once_make_one(vacant_units, zhang, li, clerk_a):
    unit = vacant_units[0]
    people = [zhang, li]
    outcomes = at_once(
        2,
        lambda i: lifecycle.register_move_in(
            unit=unit,
            actor=clerk_a,
            moved_in_on=datetime.date(2024, 5, 1),
            owners=[lifecycle.NewOwner(people[i])],
        ),
    )
    assert MoveIn.objects.filter(unit=unit).count() == 1
    assert Ownership.objects.filter(unit=unit, ended_on=None).count() == 1
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1 and refused[0].error_dict["__all__"][0].code == "has_owners"
