from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from wuye.api.api import api
from wuye.workbench import views as workbench

urlpatterns = [
    path("healthz", workbench.healthz, name="healthz"),
    path("login/", workbench.LoginView.as_view(), name="login"),
    path("logout/", workbench.logout_view, name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("estate/", include("wuye.estate.urls")),
    path("people/", include("wuye.people.urls")),
    path("desk/", include("wuye.servicedesk.urls")),
    path("approvals/", include("wuye.approvals.urls")),
    path("billing/history/", include("wuye.pastbills.urls")),
    path("billing/", include("wuye.billing.urls")),
    path("dunning/", include("wuye.dunning.urls")),
    path("pay/", include("wuye.onlinepay.urls")),
    path("portal/", include("wuye.portal.urls")),
    path("staff/", include("wuye.staff.urls")),
    path("", include("wuye.workbench.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
