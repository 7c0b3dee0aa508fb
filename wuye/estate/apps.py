from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstateConfig(AppConfig):
    name = "wuye.estate"
    label = "estate"
    verbose_name = _("Estate")

    def ready(self) -> None:
        # Registers the "estate.import_units" job handler, so any process can run the job.
        from . import unit_import  # noqa: F401
