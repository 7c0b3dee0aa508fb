from .scoping import visible_sites


def current_site(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    site = request.site
    return {
        "current_site": site if site else None,
        "switchable_sites": visible_sites(user),
    }
