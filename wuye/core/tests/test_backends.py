"""A user's permissions, their own and their groups', read in one query (wuye.core.backends)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.django_db
def test_a_users_own_and_group_permissions_are_read_in_one_query():
    user = get_user_model().objects.create_user("perm-reader", password="x-2026-perm")
    group = Group.objects.create(name="perm-readers")
    group.permissions.add(Permission.objects.get(codename="add_group"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="view_group"))
    other = get_user_model().objects.create_user("someone-else", password="x-2026-perm")
    other.user_permissions.add(Permission.objects.get(codename="delete_group"))
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        assert user.get_all_permissions() == {"auth.add_group", "auth.view_group"}
        assert user.has_perm("auth.add_group") and not user.has_perm("auth.delete_group")
    assert len(queries) == 1


@pytest.mark.django_db
def test_an_inactive_user_holds_nothing_and_a_superuser_everything():
    user = get_user_model().objects.create_user("gone", password="x-2026-perm", is_active=False)
    user.user_permissions.add(Permission.objects.get(codename="view_group"))
    assert _fresh(user).get_all_permissions() == set()
    boss = get_user_model().objects.create_superuser("boss-perm", password="x-2026-perm")
    assert len(_fresh(boss).get_all_permissions()) == Permission.objects.count()
