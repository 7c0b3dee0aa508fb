"""Permission checks that services run before they change anything.

Views and the API call services; services call these, so a page and an endpoint can't differ on
who may do what.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .scoping import can_access_site


def ensure_permission(actor, perm: str) -> None:
    """Refuse unless `actor` holds `perm` ("app_label.codename")."""
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise PermissionDenied(_("Your role does not allow this action."))


def ensure_site_access(actor, site) -> None:
    """Refuse unless `actor` is a member of `site` (or a superuser)."""
    if actor is None or not can_access_site(actor, site):
        raise PermissionDenied(_("You are not a member of this site."))


def ensure_can(actor, perm: str, site) -> None:
    ensure_site_access(actor, site)
    ensure_permission(actor, perm)
