from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PastBillsConfig(AppConfig):
    name = "wuye.pastbills"
    label = "pastbills"
    verbose_name = _("Past bills")

    def ready(self) -> None:
        # Registers the import's job handler, so any process (a Celery worker too) runs it.
        from . import services  # noqa: F401
