from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    """Chasing arrears: fee notices before due, dunning notices after, how each was sent and by
    whom, and the collections clerk's chasing log of calls, visits and promises to pay."""

    name = "wuye.dunning"
    label = "dunning"
    verbose_name = _("Dunning")

    def ready(self) -> None:
        # Registers the building notices' job handler, so any process (a Celery worker too)
        # can run the job.
        from . import jobs  # noqa: F401
