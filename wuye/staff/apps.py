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
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from .roles import ensure_roles

    # Roles name permissions of apps whose post_migrate may not have run yet (wuye's apps come
    # before django.contrib.auth), so make sure every permission exists first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    ensure_roles()
