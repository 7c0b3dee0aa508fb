"""A site's service-desk policy, with the seeds' defaults for a site that has not set its own."""

from .models import DeskSettings


def desk_settings(site) -> DeskSettings:
    site_id = getattr(site, "pk", site)
    return DeskSettings.objects.filter(site_id=site_id).first() or DeskSettings(site_id=site_id)
