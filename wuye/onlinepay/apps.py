from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlinePayConfig(AppConfig):
    """Residents paying their open lines online through a payment gateway (a built-in simulator
    until a real one plugs in), the gateway's signed notifications, and the daily reconciliation."""

    name = "wuye.onlinepay"
    label = "onlinepay"
    verbose_name = _("Online payment")

    def ready(self) -> None:
        from wuye.core.schedule import Entry, register

        # Hourly, so each site's yesterday is reconciled soon after its own midnight; a day
        # already reconciled is left alone, and waiting orders past their time expire.
        register(
            Entry("onlinepay-daily-reconciliation",
                  "wuye.onlinepay.tasks.daily_reconciliation_task", 3600)
        )  # fmt: skip
