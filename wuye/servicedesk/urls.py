from django.urls import path

from . import archive_views, public_views, views, work_views

app_name = "servicedesk"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_new, name="ticket_new"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/do/<slug:name>/", views.ticket_action, name="ticket_action"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("callbacks/", views.callback_list, name="callbacks"),
    path("review/", views.daily_review, name="review"),
    path("duty/", views.duty, name="duty"),
    path("statistics/", views.statistics, name="statistics"),
    path("settings/", views.desk_settings_page, name="settings"),
    path("help-archive/", archive_views.help_archives, name="help_archives"),
    path("help-archive/<int:year>/", archive_views.help_archive, name="help_archive"),
    path("work/", work_views.my_work, name="my_work"),
    path("work/<int:pk>/", work_views.work_order, name="work_order"),
    path("work/<int:pk>/<slug:step>/", work_views.work_step, name="work_step"),
    path("facilities/<int:pk>/qr/", public_views.facility_qr, name="facility_qr"),
    path("r/<str:token>/", public_views.qr_report, name="qr_report"),
]
