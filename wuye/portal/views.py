"""The residents' pages (phone-first) and the centre's queue of link requests."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wuye.core.pages import site_page, submit_form
from wuye.core.permissions import ensure_can

from . import queries, services
from .forms import DecisionForm, HurryForm, LinkForm, RateForm, ResidentLoginForm, SignUpForm
from .models import ResidentLink


def _resident(request):
    account = queries.account_of(request.user)
    if account is None:
        raise PermissionDenied(_("This is not a resident account."))
    return account


@require_http_methods(["GET", "POST"])
def sign_up(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        account = submit_form(form, lambda data: services.sign_up_resident(**data))
        if account:
            login(request, account.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return redirect("portal:home")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "portal/sign_up.html", {"form": form}, status=status)


class SignInView(auth_views.LoginView):
    template_name = "portal/sign_in.html"
    authentication_form = ResidentLoginForm
    redirect_authenticated_user = True
    next_page = "portal:home"


@login_required(login_url="portal:sign_in")
@require_http_methods(["GET", "POST"])
def home(request):
    account = _resident(request)
    form = LinkForm(request.POST or None)
    if request.method == "POST":
        link = submit_form(
            form,
            lambda data: services.request_link(
                account=account, unit=data["unit_obj"], role=data["role"], note=data["note"]
            ),
        )
        if link:
            messages.success(request, _("Your request was sent to the service centre."))
            return redirect("portal:home")
    return render(
        request,
        "portal/home.html",
        {
            "account": account,
            "links": account.links.select_related("unit", "unit__site"),
            "form": form,
            "to_decide": queries.requests_for_owner(request.user),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required(login_url="portal:sign_in")
def unit_page(request, pk):
    _resident(request)
    found = queries.household_of(request.user, pk)
    unit = queries.resident_unit(request.user, pk)
    return render(request, "portal/unit.html", {"unit": unit, "found": found})


@login_required(login_url="portal:sign_in")
def unit_statement(request, pk):
    """The unit's account on a phone: what is open and when it is due, the credit held, every
    entry with the running balance (newest first), and the PDF."""
    _resident(request)
    return render(
        request, "portal/statement.html", {"account": queries.unit_statement(request.user, pk)}
    )


@login_required(login_url="portal:sign_in")
def unit_statement_pdf(request, pk):
    _resident(request)
    filename, content = queries.statement_pdf(request.user, pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def _decide(request, link: ResidentLink, back: str):
    form = DecisionForm(request.POST)
    action = request.POST.get("action")
    done = submit_form(
        form,
        lambda data: (
            services.approve_link(
                link=link,
                actor=request.user,
                lease_start=data["lease_start"],
                lease_end=data["lease_end"],
            )
            if action == "approve"
            else services.reject_link(link=link, actor=request.user, reason=data["reason"])
        ),
    )
    if done:
        messages.success(request, _("Decided: %(link)s") % {"link": done.get_state_display()})
    else:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    return redirect(back)


@login_required(login_url="portal:sign_in")
@require_POST
def owner_decides(request, pk):
    link = get_object_or_404(ResidentLink, pk=pk)
    if not services.may_decide(request.user, link):
        raise Http404("link")
    return _decide(request, link, "portal:home")


@site_page
@require_http_methods(["GET", "POST"])
def centre_requests(request):
    ensure_can(request.user, "people.change_ownership", request.site)
    if request.method == "POST":
        link = get_object_or_404(ResidentLink, pk=request.POST.get("link"), site=request.site)
        return _decide(request, link, "portal:requests")
    return render(
        request,
        "portal/requests.html",
        {"pending": queries.pending_for_site(request.site), "form": DecisionForm()},
    )


# ---------------------------------------------------------------------------------------------
# The resident's own tickets


@login_required(login_url="portal:sign_in")
@require_http_methods(["GET", "POST"])
def my_tickets(request):
    from wuye.servicedesk.forms import ResidentTicketForm

    account = _resident(request)
    units = [link.unit for link in queries.approved_links(request.user)]
    form = ResidentTicketForm(request.POST or None, request.FILES or None, units=units,
                              initial={"kind": request.GET.get("kind", "repair")})  # fmt: skip
    if request.method == "POST":
        ticket = submit_form(form, lambda d: services.file_ticket(
            account=account, unit_id=d["unit"], kind=d["kind"], subject=d["subject"],
            description=d["description"], agreed_at=d["agreed_at"], files=d["files"],
        ))  # fmt: skip
        if ticket:
            messages.success(
                request, _("Sent. Your number is %(number)s.") % {"number": ticket.number}
            )
            return redirect("portal:ticket", ticket.pk)
    context = {"form": form, "units": units, "tickets": queries.resident_tickets(request.user)[:50]}
    return render(request, "portal/tickets.html", context, status=400 if form.is_bound and form.errors else 200)  # fmt: skip


@login_required(login_url="portal:sign_in")
@require_http_methods(["GET", "POST"])
def ticket_page(request, pk):
    _resident(request)
    ticket = queries.resident_ticket(request.user, pk)
    rate_form = RateForm(request.POST if request.POST.get("do") == "rate" else None)
    if request.method == "POST":
        do = request.POST.get("do")
        done = None
        if do == "hurry":
            done = submit_form(HurryForm(request.POST),
                               lambda d: services.hurry_own_ticket(user=request.user, ticket_id=ticket.pk, note=d["note"]))  # fmt: skip
            if done:
                messages.success(request, _("We have passed your reminder on."))
        elif do == "rate":
            done = submit_form(rate_form, lambda d: services.rate_own_ticket(
                user=request.user, ticket_id=ticket.pk, rating=d["rating"], comment=d["comment"]))  # fmt: skip
            if done:
                messages.success(request, _("Thank you for your rating."))
        if done:
            return redirect("portal:ticket", ticket.pk)
        if do == "hurry":
            messages.error(request, _("This request is already dealt with."))
    from wuye.servicedesk.models import WorkOrder

    orders = (
        WorkOrder.objects.filter(ticket=ticket).select_related("worker").order_by("-created_at")
    )
    context = {
        "ticket": ticket,
        "orders": orders,
        "can_rate": any(o.state == WorkOrder.State.DONE and not o.signed_at for o in orders),
        "rate_form": rate_form,
    }
    return render(request, "portal/ticket.html", context, status=400 if rate_form.is_bound and rate_form.errors else 200)  # fmt: skip
