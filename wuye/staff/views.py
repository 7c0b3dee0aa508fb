"""Staff pages: employees, the organisation and the authority matrix. Each view reads through
the scoping helpers, hands a valid form to a service and shows what the service refused beside
the fields it concerns."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wuye.core.audit import history
from wuye.core.listing import paginate, query_without_page, wants_export
from wuye.core.models import SiteMembership
from wuye.core.pages import form_status, site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object, visible_sites
from wuye.core.spreadsheets import build_workbook, xlsx_response

from . import queries, services
from .authority import approval_chain
from .forms import (
    ApproverForm,
    AuthorityRuleForm,
    EmployeeForm,
    EndEmploymentForm,
    NewEmployeeForm,
    SiteAccessForm,
)
from .models import AuthorityRule, Employee

# ---------------------------------------------------------------------------------------------
# Employees


@site_page
def employee_list(request):
    ensure_can(request.user, "staff.view_employee", request.site)
    filters = {
        "q": request.GET.get("q", ""),
        "department": request.GET.get("department", ""),
        "post": request.GET.get("post", ""),
        "status": request.GET.get("status", queries.IN_SERVICE),
    }
    employees = queries.search_employees(Employee.objects.of_site(request.site), **filters)
    if wants_export(request):
        return _export_employees(employees)
    return render(
        request,
        "staff/employee_list.html",
        {
            "page_obj": paginate(request, employees),
            "query": query_without_page(request),
            "filters": filters,
            "departments": queries.departments_of(request.site.company_id),
            "posts": queries.posts_of(request.site.company_id),
            "statuses": [(queries.IN_SERVICE, _("In service")), (queries.LEFT, _("Left"))],
        },
    )


def _export_employees(employees) -> HttpResponse:
    headers = [
        _("Employee number"),
        _("Name"),
        _("Department"),
        _("Post"),
        _("Superior"),
        _("Phone"),
        _("Hired on"),
        _("Left on"),
        _("In service"),
        _("Login name"),
    ]
    rows = (
        [
            e.number,
            e.name,
            e.post.department.name,
            e.post.name,
            e.superior.name if e.superior else "",
            e.phone,
            e.hired_on,
            e.left_on,
            _("yes") if e.is_active else _("no"),
            e.user.username if e.user else "",
        ]
        for e in employees.iterator(chunk_size=1000)
    )
    return xlsx_response(_("employees.xlsx"), build_workbook(_("Employees"), headers, rows))


def _employee(request, pk) -> Employee:
    return access_object(
        Employee.objects.select_related(
            "post__department", "post__superior", "superior__post", "user"
        ),
        request.user,
        pk,
        site=request.site,
    )


@site_page
def employee_detail(request, pk):
    ensure_can(request.user, "staff.view_employee", request.site)
    employee = _employee(request, pk)
    memberships = (
        SiteMembership.objects.filter(user_id=employee.user_id).select_related("site")
        if employee.user_id
        else SiteMembership.objects.none()
    )
    member_site_ids = {m.site_id for m in memberships}
    grantable = visible_sites(request.user).exclude(pk__in=member_site_ids)
    return render(
        request,
        "staff/employee_detail.html",
        {
            "employee": employee,
            "subordinates": employee.subordinates.filter(is_active=True)
            .select_related("post")
            .order_by("number"),
            "rules": queries.employee_rules(employee),
            "memberships": memberships,
            "access_form": SiteAccessForm(sites=grantable) if employee.user_id else None,
            "audit_entries": history(employee)[:50],
        },
    )


@site_page
@require_http_methods(["GET", "POST"])
def employee_form(request, pk=None):
    employee = _employee(request, pk) if pk else None
    if employee is not None:
        ensure_can(request.user, "staff.change_employee", request.site)
        if not employee.is_active:
            messages.error(request, _("This employee has left; their record is closed."))
            return redirect("staff:employee_detail", pk=employee.pk)
        initial = {
            "number": employee.number,
            "name": employee.name,
            "post": employee.post_id,
            "superior": employee.superior_id,
            "phone": employee.phone,
            "hired_on": employee.hired_on,
        }
        form = EmployeeForm(
            request.POST or None, site=request.site, employee=employee, initial=initial
        )
    else:
        ensure_can(request.user, "staff.add_employee", request.site)
        form = NewEmployeeForm(request.POST or None, site=request.site)
    if request.method == "POST":
        if employee is not None:
            saved = submit_form(
                form,
                lambda data: services.update_employee(
                    actor=request.user, employee=employee, **data
                ),
            )
        else:
            saved = submit_form(
                form,
                lambda data: services.create_employee(
                    actor=request.user, site=request.site, **data
                ),
            )
        if saved is not None:
            messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
            return redirect("staff:employee_detail", pk=saved.pk)
    title = _("Edit %(name)s") % {"name": employee.name} if employee else _("New employee")
    return render(
        request,
        "staff/employee_form.html",
        {
            "form": form,
            "employee": employee,
            "title": title,
            "cancel_url": reverse("staff:employee_detail", args=[employee.pk])
            if employee
            else reverse("staff:employee_list"),
        },
        status=form_status(form),
    )


@site_page
@require_http_methods(["GET", "POST"])
def employee_end(request, pk):
    employee = _employee(request, pk)
    ensure_can(request.user, "staff.change_employee", request.site)
    form = EndEmploymentForm(request.POST or None, initial={"left_on": timezone.localdate()})
    if request.method == "POST":
        ended = submit_form(
            form,
            lambda data: services.end_employment(
                actor=request.user, employee=employee, left_on=data["left_on"]
            ),
        )
        if ended is not None:
            messages.success(
                request, _("%(name)s has left; their login is closed.") % {"name": ended.name}
            )
            return redirect("staff:employee_detail", pk=ended.pk)
    return render(
        request,
        "staff/employee_end.html",
        {"form": form, "employee": employee},
        status=form_status(form),
    )


@site_page
@require_POST
def employee_grant_site(request, pk):
    employee = _employee(request, pk)
    if employee.user is None:
        raise PermissionDenied(_("This employee has no login."))
    form = SiteAccessForm(request.POST, sites=visible_sites(request.user))
    done = submit_form(
        form,
        lambda data: services.grant_site_access(
            actor=request.user, user=employee.user, site=data["site"]
        ),
    )
    if done is None:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        messages.success(
            request,
            _("%(name)s may now work at %(site)s.")
            % {
                "name": employee.name,
                "site": done.site.name,
            },
        )
    return redirect("staff:employee_detail", pk=employee.pk)


@site_page
@require_POST
def employee_revoke_site(request, pk, site_id):
    employee = _employee(request, pk)
    membership = (
        SiteMembership.objects.filter(user_id=employee.user_id, site_id=site_id)
        .select_related("site")
        .first()
        if employee.user_id
        else None
    )
    if membership is not None:
        try:
            services.revoke_site_access(
                actor=request.user, user=employee.user, site=membership.site
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Access to %(site)s removed.") % {"site": membership.site.name}
            )
    return redirect("staff:employee_detail", pk=employee.pk)


# ---------------------------------------------------------------------------------------------
# Organisation


@site_page
def organisation(request):
    ensure_can(request.user, "staff.view_employee", request.site)
    return render(
        request, "staff/organisation.html", {"departments": queries.organisation(request.site)}
    )


# ---------------------------------------------------------------------------------------------
# Authority matrix


def _rule_scopes(request) -> list[tuple[str, str]]:
    """Where the user may set rules: the company (head office) and/or the current site."""
    scopes = []
    if request.user.has_perm("staff.set_company_authority"):
        scopes.append((AuthorityRuleForm.COMPANY, _("The whole company")))
    if request.user.has_perm("staff.change_authorityrule"):
        scopes.append((AuthorityRuleForm.SITE, _("Only %(site)s") % {"site": request.site.name}))
    return scopes


@site_page
def authority(request):
    """The matrix, and "who approves?": the same view answers the question as a fragment when
    htmx asks, and as the whole page without JavaScript."""
    ensure_can(request.user, "staff.view_authorityrule", request.site)
    asked = "employee" in request.GET and "action" in request.GET
    form = ApproverForm(
        request.GET if asked else None,
        site=request.site,
        # A link from an employee's page names only the employee: start the form there.
        initial={"include_self": True, "employee": request.GET.get("employee")},
    )
    chain = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        chain = approval_chain(
            data["employee"],
            data["action"],
            amount=data["amount"],
            days=data["days"],
            include_self=data["include_self"],
        )
    context = {"form": form, "chain": chain, "company": request.site.company}
    if request.htmx:
        return render(request, "staff/authority.html#approver", context)
    context |= {
        "actions": AuthorityRule.Action.choices,
        "rows": queries.authority_matrix(request.site.company, request.site),
        "can_edit": bool(_rule_scopes(request)),
    }
    return render(request, "staff/authority.html", context)


def _rule_initial(request, scopes: list[tuple[str, str]]) -> tuple[dict, AuthorityRule | None]:
    """The form's starting values from `?post=&action=&scope=` (links from the matrix): the
    rule that exists there, or for a new site override the company's rule it starts from.
    Also the rule of exactly that scope, which the page offers to remove."""
    codes = [code for code, _label in scopes]
    scope = request.GET.get("scope")
    if scope not in codes:
        scope = codes[-1]
    initial = {"scope": scope, "post": request.GET.get("post"), "action": request.GET.get("action")}
    post = (
        queries.posts_of(request.site.company_id).filter(pk=queries.as_int(initial["post"])).first()
    )
    if post is None or initial["action"] not in AuthorityRule.Action.values:
        return initial, None
    candidates = AuthorityRule.objects.filter(
        company_id=request.site.company_id, post=post, action=initial["action"]
    ).filter(Q(site__isnull=True) | Q(site=request.site))
    by_scope = {r.site_id is None: r for r in candidates.select_related("post")}
    exact = by_scope.get(scope == AuthorityRuleForm.COMPANY)
    rule = exact or by_scope.get(True)
    if rule is not None:
        initial |= {
            "min_amount": rule.min_amount,
            "max_amount": rule.max_amount,
            "max_days": rule.max_days,
            "note": rule.note,
        }
    return initial, exact


@site_page
@require_http_methods(["GET", "POST"])
def authority_rule(request):
    ensure_can(request.user, "staff.view_authorityrule", request.site)
    scopes = _rule_scopes(request)
    if not scopes:
        raise PermissionDenied(_("Your role does not allow this action."))
    if request.method == "GET":
        initial, current = _rule_initial(request, scopes)
        form = AuthorityRuleForm(site=request.site, scopes=scopes, initial=initial)
        return render(request, "staff/authority_rule.html", {"form": form, "current": current})

    def save(data):
        return services.set_authority_rule(
            actor=request.user,
            company=request.site.company,
            site=request.site if data["scope"] == AuthorityRuleForm.SITE else None,
            post=data["post"],
            action=data["action"],
            min_amount=data["min_amount"],
            max_amount=data["max_amount"],
            max_days=data["max_days"],
            note=data["note"],
        )

    form = AuthorityRuleForm(request.POST, site=request.site, scopes=scopes)
    saved = submit_form(form, save)
    if saved is not None:
        messages.success(request, _("Saved: %(rule)s.") % {"rule": saved})
        return redirect("staff:authority")
    return render(request, "staff/authority_rule.html", {"form": form}, status=form_status(form))


@site_page
@require_POST
def authority_rule_remove(request, pk):
    """Remove a company rule or the current site's override; another site's rules are not
    reachable from here."""
    ensure_can(request.user, "staff.view_authorityrule", request.site)
    rule = (
        AuthorityRule.objects.filter(
            Q(site__isnull=True, company_id=request.site.company_id) | Q(site=request.site)
        )
        .select_related("company", "site", "post")
        .filter(pk=pk)
        .first()
    )
    if rule is None:
        raise Http404(AuthorityRule._meta.verbose_name)
    services.remove_authority_rule(actor=request.user, rule=rule)
    messages.success(request, _("Removed: %(rule)s.") % {"rule": rule})
    return redirect("staff:authority")
