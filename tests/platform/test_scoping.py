import pytest
from django.http import Http404

from wuye.core.models import Site, SiteMembership
from wuye.core.scoping import access_object, can_access_site, visible_site_ids
from wuye.estate.models import Building, Unit


def test_a_clerk_sees_only_the_rows_of_their_own_site(clerk_a, unit_a, unit_b):
    assert list(Unit.objects.visible_to(clerk_a)) == [unit_a]


def test_a_manager_of_two_sites_sees_both(manager, unit_a, unit_b):
    assert set(Unit.objects.visible_to(manager)) == {unit_a, unit_b}


def test_a_user_without_membership_sees_nothing(outsider, unit_a):
    assert not Unit.objects.visible_to(outsider).exists()
    assert visible_site_ids(outsider) == []


def test_a_superuser_sees_every_site(django_user_model, unit_a, unit_b):
    root = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-123456")
    assert visible_site_ids(root) is None
    assert Unit.objects.visible_to(root).count() == 2


def test_access_object_answers_404_for_another_sites_row(clerk_b, unit_a):
    with pytest.raises(Http404):
        access_object(Unit, clerk_b, unit_a.pk)


def test_access_object_answers_404_for_a_row_of_a_site_other_than_the_current(
    manager, unit_a, site_b
):
    with pytest.raises(Http404):
        access_object(Unit, manager, unit_a.pk, site=site_b)
    assert access_object(Unit, manager, unit_a.pk) == unit_a


def test_access_object_answers_404_for_garbage_ids(clerk_a):
    with pytest.raises(Http404):
        access_object(Building, clerk_a, "not-a-number")


def test_an_inactive_site_is_not_visible_to_its_members(clerk_a, site_a, unit_a):
    Site.objects.filter(pk=site_a.pk).update(is_active=False)
    clerk_a.refresh_from_db()
    assert not can_access_site(clerk_a, site_a)
    assert not Unit.objects.visible_to(clerk_a).exists()


def test_membership_is_unique_per_user_and_site(clerk_a, site_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SiteMembership.objects.create(user=clerk_a, site=site_a)
