import datetime

import pytest
from django.utils import timezone

from wuye.core import clock
from wuye.core.audit import insert_entries, record_create
from wuye.core.models import AuditEntry

MOMENT = datetime.datetime(2025, 3, 14, 9, 30, tzinfo=datetime.UTC)


def test_the_clock_is_the_real_time_outside_as_of():
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert not clock.is_set()


def test_inside_as_of_the_clock_is_its_moment_and_afterwards_real_again():
    with clock.as_of(MOMENT):
        assert clock.now() == MOMENT
        assert clock.is_set()
        with clock.as_of(MOMENT + datetime.timedelta(hours=2)):
            assert clock.now() == MOMENT + datetime.timedelta(hours=2)
        assert clock.now() == MOMENT
        assert clock.localdate(datetime.UTC) == datetime.date(2025, 3, 14)
    assert clock.now().year == timezone.now().year
    assert not clock.is_set()


def test_as_of_refuses_a_naive_or_a_future_moment():
    with pytest.raises(ValueError), clock.as_of(datetime.datetime(2025, 3, 14, 9, 30)):  # noqa: DTZ001
        pass
    with pytest.raises(ValueError), clock.as_of(timezone.now() + datetime.timedelta(days=1)):
        pass


def test_rows_and_audit_entries_written_inside_as_of_carry_its_moment(clerk_a, unit_a, building_a):
    building_a.name = "1栋A"
    with clock.as_of(MOMENT):
        building_a.save()
        entry = record_create(clerk_a, unit_a)
        insert_entries(clerk_a, AuditEntry.Action.ACTION, "checked", [(unit_a.site_id, unit_a, {})])
    building_a.refresh_from_db()
    assert building_a.updated_at == MOMENT
    assert building_a.created_at > MOMENT, "created outside as_of: its real time stays"
    entry.refresh_from_db()
    assert entry.at == MOMENT
    assert AuditEntry.objects.get(verb="checked").at == MOMENT


def test_a_row_created_inside_as_of_is_created_then(unit_a, building_a):
    with clock.as_of(MOMENT):
        made = type(unit_a).objects.create(
            site=unit_a.site, building=building_a, floor=2, number="0201", floor_area="80.00"
        )
    made.refresh_from_db()
    assert made.created_at == made.updated_at == MOMENT
