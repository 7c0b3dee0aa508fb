from django.utils.functional import SimpleLazyObject

from .scoping import visible_sites

SESSION_KEY = "wuye_site_id"


def _current_site(request):
    user = request.user
    if not user.is_authenticated:
        return None
    sites = list(visible_sites(user))
    if not sites:
        return None
    chosen = request.session.get(SESSION_KEY)
    by_id = {s.pk: s for s in sites}
    if chosen in by_id:
        return by_id[chosen]
    default = user.site_memberships.filter(is_default=True, site__in=sites).first()
    return by_id[default.site_id] if default else sites[0]


class CurrentSiteMiddleware:
    """Sets `request.site`: the site the staff user works on, picked by the site switcher.

    A site the user is not (or no longer) a member of is never current, whatever the session
    says.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.site = SimpleLazyObject(lambda: _current_site(request))
        return self.get_response(request)
