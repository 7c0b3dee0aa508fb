"""Mounted under /billing/history/, where the import was first offered."""

from django.urls import path

from . import views

app_name = "pastbills"

urlpatterns = [
    path("import/", views.history_import, name="history_import"),
    path("import/<int:pk>/", views.history_import_job, name="history_import_job"),
    path("import/template.xlsx", views.history_import_template, name="history_import_template"),
]
