from django.urls import path

from . import pay_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.sign_up, name="sign_up"),
    path("login/", views.SignInView.as_view(), name="sign_in"),
    path("units/<int:pk>/", views.unit_page, name="unit"),
    path("units/<int:pk>/statement/", views.unit_statement, name="statement"),
    path("units/<int:pk>/statement.pdf", views.unit_statement_pdf, name="statement_pdf"),
    path("units/<int:pk>/pay/", pay_views.pay_unit, name="pay"),
    path("units/<int:pk>/pay/<str:number>/", pay_views.pay_result, name="pay_result"),
    path("pay/<slug:code>/", pay_views.pay_site, name="pay_site"),
    path("links/<int:pk>/decide/", views.owner_decides, name="decide"),
    path("requests/", views.centre_requests, name="requests"),
    path("tickets/", views.my_tickets, name="tickets"),
    path("tickets/<int:pk>/", views.ticket_page, name="ticket"),
]
