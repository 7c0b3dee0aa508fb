from django.contrib import admin

from .models import SiteGateway


@admin.register(SiteGateway)
class SiteGatewayAdmin(admin.ModelAdmin):
    """Which gateway a site takes payments through, when not `WUYE_PAYMENT_GATEWAY`."""

    list_display = ["site", "path"]
