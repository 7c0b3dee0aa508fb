"""The staff API: departments, posts, employees, the authority matrix and "who approves?".

Employees cover every site the caller may see (narrowed with `?site=`); an employee of another
site answers 404 exactly like a missing one. Departments, posts and company rules are those of
the companies whose sites the caller sees. Writes go through the same services as the pages, so
the rules and the error body (400 from a service, 422 from the schema) are the same.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wuye.core.errors import invalid
from wuye.core.models import Site
from wuye.core.permissions import ensure_permission
from wuye.core.scoping import access_object, can_access_site, visible_sites

from . import queries, services
from .authority import approval_chain, describe_limit
from .models import AuthorityRule, Department, Employee, Post

router = Router(tags=["staff"])


def _company_ids(request) -> list[int]:
    return list(visible_sites(request.user).values_list("company_id", flat=True).distinct())


def _site(request, site_id: int) -> Site:
    """The site a new employee joins; a site the caller is not a member of is refused, whether
    or not it exists."""
    if not can_access_site(request.user, site_id):
        raise PermissionDenied(_("You are not a member of this site."))
    return Site.objects.get(pk=site_id)


def _post(request, post_id: int, site: Site) -> Post:
    post = (
        Post.objects.filter(pk=post_id, department__company_id=site.company_id)
        .select_related("department", "role")
        .first()
    )
    if post is None:
        raise invalid("post", _("There is no post with id %(id)s.") % {"id": post_id}, "unknown")
    return post


def _superior(request, employee_id: int | None, site: Site) -> Employee | None:
    """A superior named in a payload: any employee the caller may see; the service refuses one
    of another site with a clear message."""
    if employee_id is None:
        return None
    found = Employee.objects.visible_to(request.user).filter(pk=employee_id).first()
    if found is None:
        raise invalid(
            "superior", _("There is no employee with id %(id)s.") % {"id": employee_id}, "unknown"
        )
    return found


# ---------------------------------------------------------------------------------------------
# Departments and posts


class DepartmentOut(Schema):
    id: int
    company: int = Field(alias="company_id")
    kind: str
    name: str
    order: int


class PostOut(Schema):
    id: int
    department: int = Field(alias="department_id")
    department_name: str = Field(alias="department.name")
    code: str
    name: str
    superior: int | None = Field(alias="superior_id")
    duties: str
    role: str | None
    is_head: bool

    @staticmethod
    def resolve_role(obj: Post) -> str | None:
        return obj.role.name if obj.role_id else None


@router.get("/departments", response=list[DepartmentOut], summary="Departments (R-ADM-01)")
def list_departments(request):
    ensure_permission(request.user, "staff.view_employee")
    return Department.objects.filter(company_id__in=_company_ids(request)).order_by(
        "company_id", "order", "kind"
    )


@router.get("/posts", response=list[PostOut], summary="Posts with duties and superiors")
def list_posts(request, department: int | None = None):
    ensure_permission(request.user, "staff.view_employee")
    posts = Post.objects.filter(department__company_id__in=_company_ids(request)).select_related(
        "department", "role"
    )
    if department is not None:
        posts = posts.filter(department_id=department)
    return posts.order_by("department__company_id", "department__order", "-is_head", "name", "pk")


# ---------------------------------------------------------------------------------------------
# Employees


class EmployeeOut(Schema):
    id: int
    site: int = Field(alias="site_id")
    number: str
    name: str
    post: int = Field(alias="post_id")
    post_name: str = Field(alias="post.name")
    department: int = Field(alias="post.department_id")
    department_name: str = Field(alias="post.department.name")
    superior: int | None = Field(alias="superior_id")
    superior_name: str | None
    phone: str
    hired_on: date | None
    left_on: date | None
    is_active: bool
    username: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_superior_name(obj: Employee) -> str | None:
        return obj.superior.name if obj.superior_id else None

    @staticmethod
    def resolve_username(obj: Employee) -> str | None:
        return obj.user.username if obj.user_id else None


class EmployeeIn(Schema):
    site: int
    number: str = Field(max_length=30)
    name: str = Field(max_length=50)
    post: int
    superior: int | None = None
    phone: str = Field("", max_length=30)
    hired_on: date | None = None
    username: str = Field("", max_length=150, description="Give to create a login as well.")
    password: str = Field("", max_length=128, description="The login's initial password.")


class EmployeePatch(Schema):
    number: str | None = Field(None, max_length=30)
    name: str | None = Field(None, max_length=50)
    post: int | None = None
    superior: int | None = None
    phone: str | None = Field(None, max_length=30)
    hired_on: date | None = None


class EndEmploymentIn(Schema):
    left_on: date


def _employees(request):
    return Employee.objects.visible_to(request.user).select_related(
        "post__department", "superior", "user"
    )


@router.get("/employees", response=list[EmployeeOut], summary="Employees of the caller's sites")
@paginate
def list_employees(
    request,
    site: int | None = None,
    q: str = "",
    department: int | None = None,
    post: int | None = None,
    status: str = "",
):
    """`status`: `in_service`, `left`, or empty for both."""
    ensure_permission(request.user, "staff.view_employee")
    employees = Employee.objects.visible_to(request.user)
    if site is not None:
        employees = employees.of_site(site)
    return queries.search_employees(employees, q=q, department=department, post=post, status=status)


@router.get("/employees/{employee_id}", response=EmployeeOut, summary="One employee")
def get_employee(request, employee_id: int):
    ensure_permission(request.user, "staff.view_employee")
    return access_object(_employees(request), request.user, employee_id)


@router.post("/employees", response={201: EmployeeOut}, summary="Take on an employee")
def create_employee(request, payload: EmployeeIn):
    data = payload.model_dump()
    site = _site(request, data.pop("site"))
    data["post"] = _post(request, data["post"], site)
    data["superior"] = _superior(request, data["superior"], site)
    employee = services.create_employee(actor=request.user, site=site, **data)
    return Status(201, _employees(request).get(pk=employee.pk))


@router.patch("/employees/{employee_id}", response=EmployeeOut, summary="Change an employee")
def update_employee(request, employee_id: int, payload: EmployeePatch):
    employee = access_object(_employees(request), request.user, employee_id)
    changes = {
        name: value
        for name, value in payload.model_dump(exclude_unset=True).items()
        # Null clears what may be empty (superior, hiring date); elsewhere it leaves as is.
        if value is not None or name in ("superior", "hired_on")
    }
    if "post" in changes:
        changes["post"] = _post(request, changes["post"], employee.site)
    if "superior" in changes:
        changes["superior"] = _superior(request, changes["superior"], employee.site)
    services.update_employee(actor=request.user, employee=employee, **changes)
    return _employees(request).get(pk=employee.pk)


@router.post("/employees/{employee_id}/end", response=EmployeeOut, summary="End an employment")
def end_employment(request, employee_id: int, payload: EndEmploymentIn):
    employee = access_object(_employees(request), request.user, employee_id)
    services.end_employment(actor=request.user, employee=employee, left_on=payload.left_on)
    return _employees(request).get(pk=employee.pk)


# ---------------------------------------------------------------------------------------------
# Authority


class AuthorityRuleOut(Schema):
    id: int
    company: int = Field(alias="company_id")
    site: int | None = Field(alias="site_id")
    post: int = Field(alias="post_id")
    post_name: str = Field(alias="post.name")
    action: str
    min_amount: Decimal | None
    max_amount: Decimal | None
    max_days: Decimal | None
    limit: str
    note: str

    @staticmethod
    def resolve_limit(obj: AuthorityRule) -> str:
        return describe_limit(obj)


@router.get(
    "/authority/rules",
    response=list[AuthorityRuleOut],
    summary="The authority matrix: company rules and the caller's sites' overrides",
)
def list_authority_rules(
    request, site: int | None = None, post: int | None = None, action: str = ""
):
    ensure_permission(request.user, "staff.view_authorityrule")
    site_ids = list(visible_sites(request.user).values_list("pk", flat=True))
    if site is not None:
        site_ids = [site] if site in site_ids else []
    rules = AuthorityRule.objects.filter(
        Q(site__isnull=True, company_id__in=_company_ids(request)) | Q(site_id__in=site_ids)
    ).select_related("post")
    if post is not None:
        rules = rules.filter(post_id=post)
    if action:
        rules = rules.filter(action=action)
    return rules.order_by("action", "post__department__order", "post_id", "site_id")


class ApproverQuery(Schema):
    employee: int = Field(description="Who handles the request (or whose request it is).")
    action: AuthorityRule.Action
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    days: Decimal | None = Field(None, ge=0, max_digits=6, decimal_places=1)
    include_self: bool = Field(
        True, description="False for a request about the employee, such as their own leave."
    )


class StepOut(Schema):
    employee: int
    name: str
    post: str
    approves: bool
    reason: str
    rule: AuthorityRuleOut | None


class ApproverOut(Schema):
    approver: int | None = Field(description="Null: nobody at the site; it goes to the company.")
    approver_name: str | None
    goes_to_company: bool
    chain: list[StepOut]


@router.get(
    "/authority/approver",
    response=ApproverOut,
    summary="Who approves: the chain from an employee up to the first who may",
)
def who_approves(request, params: Query[ApproverQuery]):
    ensure_permission(request.user, "staff.view_authorityrule")
    subject = access_object(
        Employee.objects.select_related("post__superior", "superior__post", "site"),
        request.user,
        params.employee,
    )
    chain = approval_chain(
        subject,
        params.action,
        amount=params.amount,
        days=params.days,
        include_self=params.include_self,
    )
    approver = chain.approver
    return {
        "approver": approver.pk if approver else None,
        "approver_name": approver.name if approver else None,
        "goes_to_company": chain.goes_to_company,
        "chain": [
            {
                "employee": step.employee.pk,
                "name": step.employee.name,
                "post": step.employee.post.name,
                "approves": step.approves,
                "reason": step.reason,
                "rule": step.rule,
            }
            for step in chain.steps
        ],
    }
