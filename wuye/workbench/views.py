from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.core.forms import LockoutAuthenticationForm
from wuye.core.middleware import SESSION_KEY
from wuye.core.scoping import can_access_site

from .home import home_panels


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    return HttpResponseRedirect("/login/")


@login_required
def home(request):
    return render(request, "workbench/home.html", {"panels": home_panels(request)})


@login_required
@require_POST
def switch_site(request):
    try:
        site_id = int(request.POST.get("site", ""))
    except ValueError:
        site_id = None
    if site_id is None or not can_access_site(request.user, site_id):
        messages.error(request, _("You are not a member of that site."))
    else:
        request.session[SESSION_KEY] = site_id
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)
