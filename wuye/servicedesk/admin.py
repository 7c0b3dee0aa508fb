"""Reference data the company sets once for all its sites."""

from django.contrib import admin

from .models import CompanyDeskSettings


@admin.register(CompanyDeskSettings)
class CompanyDeskSettingsAdmin(admin.ModelAdmin):
    list_display = ["company", "help_register_keep_years"]
