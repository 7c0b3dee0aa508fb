from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "wuye.staff"
    label = "staff"
    verbose_name = _("Staff")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_roles, sender=self)


def _ensure_roles(**kwargs):
    from .roles import ensure_roles

    ensure_roles()
