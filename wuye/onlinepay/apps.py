from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlinePayConfig(AppConfig):
    """Residents paying their open lines online through a payment gateway (a built-in simulator
    until a real one plugs in), the gateway's signed notifications, and the daily reconciliation."""

    name = "wuye.onlinepay"
    label = "onlinepay"
    verbose_name = _("Online payment")
