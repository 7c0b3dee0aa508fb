from django.urls import path

from . import views

app_name = "dunning"

urlpatterns = [
    path("", views.notice_list, name="notices"),
    path("units/<int:pk>/", views.unit_page, name="unit"),
    path("units/<int:pk>/notices/", views.issue_notice, name="issue_notice"),
    path("units/<int:pk>/chasing/", views.record_chasing, name="record_chasing"),
    path("notices/<int:pk>.pdf", views.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/deliveries/", views.record_delivery, name="record_delivery"),
    path("buildings/", views.building_notices, name="buildings"),
    path("buildings/jobs/<int:pk>/", views.building_job, name="building_job"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>.pdf", views.batch_pdf, name="batch_pdf"),
    path("batches/<int:pk>/delivered/", views.batch_delivered, name="batch_delivered"),
    path("promises/", views.promise_list, name="promises"),
    path("layout/", views.layout_page, name="layout"),
    path("layout/preview.pdf", views.layout_preview, name="layout_preview"),
]
