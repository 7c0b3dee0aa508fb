from django.urls import path

from . import views

app_name = "estate"

urlpatterns = [
    path("buildings/", views.building_list, name="building_list"),
    path("buildings/new/", views.building_form, name="building_create"),
    path("buildings/<int:pk>/", views.building_detail, name="building_detail"),
    path("buildings/<int:pk>/edit/", views.building_form, name="building_edit"),
    path("buildings/<int:pk>/generate-units/", views.generate_units, name="generate_units"),
    path(
        "buildings/<int:building_pk>/entrances/new/",
        views.entrance_form,
        name="entrance_create",
    ),
    path(
        "buildings/<int:building_pk>/entrances/<int:pk>/edit/",
        views.entrance_form,
        name="entrance_edit",
    ),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_form, name="unit_create"),
    path("units/import/", views.unit_import, name="unit_import"),
    path("units/import/template/", views.unit_import_template, name="unit_import_template"),
    path("units/import/<int:pk>/", views.unit_import_job, name="unit_import_job"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_form, name="unit_edit"),
    path("parking/", views.parking_list, name="parking_list"),
    path("parking/new/", views.parking_form, name="parking_create"),
    path("parking/<int:pk>/", views.parking_detail, name="parking_detail"),
    path("parking/<int:pk>/edit/", views.parking_form, name="parking_edit"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/new/", views.facility_form, name="facility_create"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility_detail"),
    path("facilities/<int:pk>/edit/", views.facility_form, name="facility_edit"),
]
