"""Employees for tests, written straight to the tables (the services are what tests prove)."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from wuye.core.identity import name_pinyin
from wuye.core.models import SiteMembership
from wuye.staff.models import Employee


def staff_member(site, number, name, post, superior=None, role=None) -> Employee:
    """An employee of `site`; with a `role`, also a login (`<site code>-<number>`) in it."""
    user = None
    if role:
        user = get_user_model().objects.create_user(
            username=f"{site.code}-{number}", password="pass-Word-123", first_name=name
        )
        user.groups.add(Group.objects.get(name=role))
        SiteMembership.objects.create(user=user, site=site, is_default=True)
    return Employee.objects.create(
        site=site, number=number, name=name, name_pinyin=name_pinyin(name), post=post,
        superior=superior, user=user, hired_on=datetime.date(2024, 3, 1),
    )  # fmt: skip
