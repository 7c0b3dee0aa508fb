from django.urls import path

from . import views

app_name = "onlinepay"

urlpatterns = [
    path("notify/<slug:gateway>/", views.notify, name="notify"),
    path("simulator/<str:number>/", views.simulator_checkout, name="simulator"),
    path("s/<slug:code>/", views.site_entry, name="site_entry"),
    path("sites/qr/", views.site_qr, name="site_qr"),
    path("orders/", views.orders_page, name="orders"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("reconciliations/", views.reconciliations_page, name="reconciliations"),
    path("reconciliations/<int:pk>/", views.reconciliation_page, name="reconciliation"),
]
