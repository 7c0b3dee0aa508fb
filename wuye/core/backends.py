"""Signing in and permissions: Django's model backend, with a user's permissions read in one
query instead of two (their own and their groups'), because every service checks one
(`wuye.core.permissions`) and a cashier's payment is a handful of statements in all
(docs/billing.md, Payments at once)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import Exists, OuterRef, Q


class OneQueryPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        """Every "app_label.codename" the user holds, directly or through a group, read once
        per user object (the cache Django's own backend keeps)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            held = Permission.objects.all()
            if not user_obj.is_superuser:
                own = get_user_model().user_permissions.through.objects.filter(
                    user_id=user_obj.pk, permission_id=OuterRef("pk")
                )
                grouped = Group.permissions.through.objects.filter(
                    group__user=user_obj.pk, permission_id=OuterRef("pk")
                )
                held = held.filter(Q(Exists(own)) | Q(Exists(grouped)))
            user_obj._perm_cache = {
                f"{app}.{codename}"
                for app, codename in held.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache
