from django.urls import path

from . import import_views, views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("pick/", views.person_pick, name="person_pick"),
    path("import/", import_views.people_import, name="import"),
    path("import/template/", import_views.people_import_template, name="import_template"),
    path("import/<int:pk>/", import_views.people_import_job, name="import_job"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("registers/", views.register_index, name="register_index"),
    path("registers/<slug:code>/", views.register_list, name="register_list"),
    path("registers/<slug:code>/new/", views.register_add, name="register_add"),
    path("registers/<slug:code>/<int:pk>/end/", views.register_end, name="register_end"),
    path("units/<int:unit_pk>/occupants/", views.unit_occupants, name="unit_occupants"),
    path("units/<int:unit_pk>/move-in/", views.move_in, name="move_in"),
    path("units/<int:unit_pk>/transfer/", views.transfer, name="transfer"),
    path("units/<int:unit_pk>/tenant/", views.tenant_move_in, name="tenant_move_in"),
    path("tenancies/<int:pk>/move-out/", views.tenant_move_out, name="tenant_move_out"),
    path("verification/", views.verification, name="verification"),
    path(
        "verification/<slug:code>/",
        views.verification_register,
        name="verification_register",
    ),
    path("settings/", views.register_settings, name="register_settings"),
    path("privacy/", views.privacy_report, name="privacy_report"),
]
