from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wuye.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from .checks import record_fingerprint

        post_migrate.connect(record_fingerprint, sender=self)
