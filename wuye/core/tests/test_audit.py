from decimal import Decimal

from wuye.core.audit import history, record_create, record_update, snapshot
from wuye.core.models import AuditEntry


def test_an_update_records_who_when_and_old_and_new_values_of_changed_fields(clerk_a, unit_a):
    before = snapshot(unit_a)
    unit_a.floor_area = Decimal("90.00")
    unit_a.state = "occupied"
    unit_a.save()
    entry = record_update(clerk_a, unit_a, before)
    assert entry.actor == clerk_a
    assert entry.site_id == unit_a.site_id
    assert entry.changes == {"floor_area": ["89.50", "90.00"], "state": ["unsold", "occupied"]}
    assert list(history(unit_a)) == [entry]


def test_an_update_that_changes_nothing_writes_no_entry(clerk_a, unit_a):
    before = snapshot(unit_a)
    unit_a.save()
    assert record_update(clerk_a, unit_a, before) is None
    assert not AuditEntry.objects.exists()


def test_a_creation_records_the_initial_values(clerk_a, unit_a):
    entry = record_create(clerk_a, unit_a)
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.changes["number"] == [None, "0101"]
    assert entry.changes["building"] == [None, "1栋"]


def test_the_change_history_shows_choice_values_in_the_readers_language(clerk_a, unit_a):
    from django.template.loader import render_to_string
    from django.utils import translation

    before = snapshot(unit_a)
    unit_a.state = "occupied"
    unit_a.save()
    record_update(clerk_a, unit_a, before)
    with translation.override("en"):
        html = render_to_string("core/_audit.html", {"audit_entries": history(unit_a)})
    assert "<del>unsold</del>" in html
    assert "<ins>occupied</ins>" in html
    assert "clerk_a" in html
