from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/new/", views.employee_form, name="employee_create"),
    path("employees/<int:pk>/", views.employee_detail, name="employee_detail"),
    path("employees/<int:pk>/edit/", views.employee_form, name="employee_edit"),
    path("employees/<int:pk>/end/", views.employee_end, name="employee_end"),
    path("employees/<int:pk>/sites/", views.employee_grant_site, name="employee_grant_site"),
    path(
        "employees/<int:pk>/sites/<int:site_id>/revoke/",
        views.employee_revoke_site,
        name="employee_revoke_site",
    ),
    path("organisation/", views.organisation, name="organisation"),
    path("authority/", views.authority, name="authority"),
    path("authority/rule/", views.authority_rule, name="authority_rule"),
    path(
        "authority/rule/<int:pk>/remove/", views.authority_rule_remove, name="authority_rule_remove"
    ),
]
