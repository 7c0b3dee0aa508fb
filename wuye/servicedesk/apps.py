from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    name = "wuye.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from wuye.core.schedule import Entry, register

        register(Entry("servicedesk-sweep", "wuye.servicedesk.tasks.sweep_task", 60))
        register(
            Entry("servicedesk-help-register", "wuye.servicedesk.tasks.help_register_task", 3600)
        )
