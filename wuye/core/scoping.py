"""Site scoping in one place.

Every operational row has a `site`. Staff see the sites they are members of (a superuser sees
all). Pages work on the user's current site (`request.site`, chosen with the site switcher);
the API works on every site the user may see. Everything that reads scoped rows goes through
`SiteScopedQuerySet.visible_to` / `of_site` or `access_object`, so that one site's rows never
leak into another's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from .models import Site

M = TypeVar("M", bound=models.Model)


def visible_site_ids(user) -> list[int] | None:
    """The ids of the sites `user` may see; None means every site (superusers)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    cached = getattr(user, "_wuye_site_ids", None)
    if cached is None:
        from .models import SiteMembership

        cached = list(
            SiteMembership.objects.filter(user=user, site__is_active=True)
            .order_by("site_id")
            .values_list("site_id", flat=True)
        )
        user._wuye_site_ids = cached
    return cached


def can_access_site(user, site: Site | int | None) -> bool:
    if site is None:
        return False
    site_id = site if isinstance(site, int) else site.pk
    ids = visible_site_ids(user)
    return ids is None or site_id in ids


def visible_sites(user):
    from .models import Site

    ids = visible_site_ids(user)
    sites = Site.objects.filter(is_active=True).select_related("company")
    return sites if ids is None else sites.filter(pk__in=ids)


class SiteScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> SiteScopedQuerySet:
        ids = visible_site_ids(user)
        return self if ids is None else self.filter(site_id__in=ids)

    def of_site(self, site: Site | int) -> SiteScopedQuerySet:
        return self.filter(site_id=site if isinstance(site, int) else site.pk)


def access_object(
    queryset: models.QuerySet[M] | type[M],
    user,
    pk,
    *,
    site: Site | None = None,
    for_update: bool = False,
) -> M:
    """The row `pk` if `user` may see it (and it is on `site`, when given); 404 otherwise.

    A row of another site answers exactly like a row that does not exist, so ids can't be
    probed across sites.
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    qs = qs.visible_to(user)
    if site is not None:
        qs = qs.of_site(site)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(qs.model._meta.verbose_name) from exc


def one_site(user, site_id: int | None) -> Site:
    """The one site a request is about: `site_id`, or the user's only site. Refuses a site the
    user is not a member of, and asks for `site` when the user has several."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from .errors import invalid
    from .models import Site

    if site_id is None:
        ids = visible_site_ids(user)
        if ids is not None and len(ids) == 1:
            site_id = ids[0]
        else:
            raise invalid("site", _("Name the site (?site=)."), "required")
    if not can_access_site(user, site_id):
        raise PermissionDenied(_("You are not a member of this site."))
    return Site.objects.get(pk=site_id)
