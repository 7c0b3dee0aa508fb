"""Reads that the staff pages, the API and exports share."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from wuye.core.models import Company, Site

from .authority import describe_limit
from .models import AuthorityRule, Department, Employee, Post

IN_SERVICE = "in_service"
LEFT = "left"


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def search_employees(
    employees: QuerySet[Employee],
    *,
    q: str = "",
    department=None,
    post=None,
    status: str = "",
) -> QuerySet[Employee]:
    """Employees matching a search box (name, its pinyin or initials, number, phone) and
    filters. Filter values may come straight from a query string: junk is ignored."""
    employees = employees.select_related("post__department", "superior__post", "user")
    q = (q or "").strip()
    if q:
        employees = employees.filter(
            Q(name__icontains=q)
            | Q(name_pinyin__icontains=q.lower().replace(" ", ""))
            | Q(number__icontains=q)
            | Q(phone__icontains=q)
        )
    if (department_id := as_int(department)) is not None:
        employees = employees.filter(post__department_id=department_id)
    if (post_id := as_int(post)) is not None:
        employees = employees.filter(post_id=post_id)
    if status == IN_SERVICE:
        employees = employees.filter(is_active=True)
    elif status == LEFT:
        employees = employees.filter(is_active=False)
    return employees.order_by("number", "pk")


def departments_of(company_id: int) -> QuerySet[Department]:
    return Department.objects.filter(company_id=company_id).order_by("order", "kind")


def posts_of(company_id: int) -> QuerySet[Post]:
    return (
        Post.objects.filter(department__company_id=company_id)
        .select_related("department", "superior", "role")
        .order_by("department__order", "-is_head", "name", "pk")
    )


@dataclass
class PostNode:
    post: Post
    employees: list[Employee]
    children: list[PostNode] = field(default_factory=list)


@dataclass
class DepartmentNode:
    department: Department
    posts: list[PostNode]
    headcount: int


def organisation(site: Site) -> list[DepartmentNode]:
    """The company's departments, each with its posts as a tree (a post under the post it
    reports to, when that is in the same department) and the site's employees in service in
    each post. Three queries, however large the organisation."""
    employees = (
        Employee.objects.of_site(site)
        .filter(is_active=True)
        .select_related("superior")
        .order_by("number", "pk")
    )
    posts = list(
        posts_of(site.company_id).prefetch_related(
            Prefetch("employees", queryset=employees, to_attr="site_employees")
        )
    )
    nodes = {p.pk: PostNode(post=p, employees=p.site_employees) for p in posts}
    roots: dict[int, list[PostNode]] = {}
    for p in posts:
        node = nodes[p.pk]
        parent = nodes.get(p.superior_id)
        if parent is not None and parent.post.department_id == p.department_id:
            parent.children.append(node)
        else:
            roots.setdefault(p.department_id, []).append(node)
    tree = []
    for department in departments_of(site.company_id):
        top = roots.get(department.pk, [])
        headcount = sum(
            len(n.employees) for n in nodes.values() if n.post.department_id == department.pk
        )
        tree.append(DepartmentNode(department=department, posts=top, headcount=headcount))
    return tree


@dataclass
class Cell:
    action: str
    rule: AuthorityRule | None
    company_rule: AuthorityRule | None

    @property
    def is_override(self) -> bool:
        return self.rule is not None and self.rule.site_id is not None

    @property
    def limit(self) -> str:
        return describe_limit(self.rule) if self.rule is not None else ""

    @property
    def company_limit(self) -> str:
        return describe_limit(self.company_rule) if self.company_rule is not None else ""


@dataclass
class MatrixRow:
    post: Post
    cells: list[Cell]

    @property
    def has_rules(self) -> bool:
        return any(c.rule is not None for c in self.cells)


def authority_matrix(company: Company, site: Site | None) -> list[MatrixRow]:
    """Every post × every action, with the rule that applies at `site` (its override, else the
    company's) and the company's rule beside it. Two queries."""
    rules = AuthorityRule.objects.filter(company=company)
    rules = rules.filter(Q(site__isnull=True) | Q(site=site)) if site else rules.filter(site=None)
    company_rules: dict[tuple[int, str], AuthorityRule] = {}
    site_rules: dict[tuple[int, str], AuthorityRule] = {}
    for rule in rules:
        target = company_rules if rule.site_id is None else site_rules
        target[(rule.post_id, rule.action)] = rule
    rows = []
    for post in posts_of(company.pk):
        cells = []
        for action in AuthorityRule.Action.values:
            key = (post.pk, action)
            cells.append(
                Cell(
                    action=action,
                    rule=site_rules.get(key) or company_rules.get(key),
                    company_rule=company_rules.get(key),
                )
            )
        rows.append(MatrixRow(post=post, cells=cells))
    return rows


def employee_rules(employee: Employee) -> list[AuthorityRule]:
    """What the employee's post may approve at their site, one rule per action."""
    rules = AuthorityRule.objects.filter(post_id=employee.post_id).filter(
        Q(site_id=employee.site_id) | Q(site__isnull=True)
    )
    by_action: dict[str, AuthorityRule] = {}
    for rule in rules:
        if rule.action not in by_action or rule.site_id is not None:
            by_action[rule.action] = rule
    order = {action: i for i, action in enumerate(AuthorityRule.Action.values)}
    return sorted(by_action.values(), key=lambda r: order[r.action])
