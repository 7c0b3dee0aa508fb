from django.urls import path

from . import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("switch-site/", views.switch_site, name="switch_site"),
]
