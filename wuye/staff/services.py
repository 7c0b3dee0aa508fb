"""Every change to the staff records: the company's organisation, employees and their logins,
site access, and the authority matrix.

Each function checks the actor's role and site membership first, owns its transaction and
writes the audit trail. What the database also enforces (unique numbers, ordered limits) is
checked here first so the user gets a clear message beside the field.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create, record_delete, record_update, snapshot
from wuye.core.errors import FieldErrors, check_column, check_columns, collecting, invalid
from wuye.core.identity import name_pinyin, parse_phone
from wuye.core.models import Company, Site, SiteMembership
from wuye.core.permissions import ensure_can, ensure_permission
from wuye.core.scoping import can_access_site

from . import defaults
from .authority import AMOUNT, DAYS, MEASURE
from .models import AuthorityRule, Department, Employee, Post
from .roles import ensure_roles

User = get_user_model()

EMPLOYEE_FIELDS = {"number", "name", "post", "superior", "phone", "hired_on"}


# ---------------------------------------------------------------------------------------------
# The company's organisation


@dataclass
class InstallReport:
    departments: int = 0
    posts: int = 0
    rules: int = 0


@transaction.atomic
def install_company_defaults(*, company: Company) -> InstallReport:
    """Give `company` the departments and posts of R-ADM-01 and the authority of R-ADM-02.

    Idempotent: what already exists (found by department kind, post code, and company rule of a
    post and action) is left exactly as the company has set it; only what is missing is added.
    Run by the system when a company is set up, so there is no acting user.
    """
    report = InstallReport()
    groups = ensure_roles()
    departments: dict[str, Department] = {}
    for order, spec in enumerate(defaults.DEPARTMENTS, start=1):
        department, created = Department.objects.get_or_create(
            company=company, kind=spec.kind, defaults={"name": spec.name, "order": order * 10}
        )
        departments[spec.kind] = department
        report.departments += created
    posts: dict[str, Post] = {}
    existing = {
        (p.department_id, p.code): p
        for p in Post.objects.filter(department__company=company).select_related("department")
    }
    for spec in defaults.POSTS:
        department = departments[spec.department]
        post = existing.get((department.pk, spec.code))
        if post is None:
            post = Post.objects.create(
                department=department,
                code=spec.code,
                name=spec.name,
                superior=posts.get(spec.superior) if spec.superior else None,
                duties=spec.duties,
                role=groups[spec.role],
                is_head=spec.is_head,
            )
            report.posts += 1
        posts[spec.code] = post
    have = set(
        AuthorityRule.objects.filter(company=company, site__isnull=True).values_list(
            "post_id", "action"
        )
    )
    new_rules = [
        AuthorityRule(
            company=company,
            post=posts[spec.post],
            action=spec.action,
            min_amount=spec.min_amount,
            max_amount=spec.max_amount,
            max_days=spec.max_days,
            note=spec.note,
        )
        for spec in defaults.RULES
        if (posts[spec.post].pk, spec.action) not in have
    ]
    AuthorityRule.objects.bulk_create(new_rules)
    report.rules = len(new_rules)
    return report


# ---------------------------------------------------------------------------------------------
# Employees


def _clean_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if phone:
        parse_phone(phone)
    return phone


def _check_post(post: Post, site: Site) -> None:
    if post.department.company_id != site.company_id:
        raise invalid("post", _("This post belongs to another company."), "other_company")


def _check_number(site: Site, number: str, *, exclude: int | None = None) -> str:
    number = (number or "").strip()
    if not number:
        raise invalid("number", _("An employee number is required."), "required")
    with collecting() as errors:  # a NUL or an overlong number never reaches the query
        check_column(errors, Employee, "number", number)
    taken = Employee.objects.of_site(site).filter(number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise invalid(
            "number", _("Employee number %(number)s is already used.") % {"number": number}, "taken"
        )
    return number


def _check_superior(employee: Employee | None, superior: Employee | None, site: Site) -> None:
    """A superior works at the same site and is in service, and the chain above them never
    comes back to `employee` (walked to the top, so a loop of any length is found)."""
    if superior is None:
        return
    if superior.site_id != site.pk:
        raise invalid("superior", _("The superior must work at the same site."), "other_site")
    if not superior.is_active:
        raise invalid("superior", _("The superior has left the company."), "inactive")
    if employee is None or employee.pk is None:
        return
    seen: set[int] = set()
    current: Employee | None = superior
    while current is not None and current.pk not in seen:
        if current.pk == employee.pk:
            raise invalid(
                "superior",
                _("%(name)s already reports, directly or not, to this employee.")
                % {"name": superior.name},
                "cycle",
            )
        seen.add(current.pk)
        current = (
            Employee.objects.filter(pk=current.superior_id).only("pk", "superior_id").first()
            if current.superior_id
            else None
        )


def _new_login(errors: FieldErrors, *, username: str, password: str, name: str) -> User:
    """An unsaved login for `username`, its username and password checked each on its own."""
    username = (username or "").strip()
    user = User(username=username, first_name=name)
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        errors.absorb(ValidationError({"username": exc.error_list}))
    else:  # only a username fit to be stored is looked up
        if User.objects.filter(username__iexact=username).exists():
            errors.add("username", _("This username is already taken."), "taken")
    if not password:
        errors.add("password", _("A login needs an initial password."), "required")
    else:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors.absorb(ValidationError({"password": exc.error_list}))
        user.set_password(password)
    return user


def _set_role(user, *, old: Group | None, new: Group | None) -> None:
    if old is not None and old != new:
        user.groups.remove(old)
    if new is not None:
        user.groups.add(new)


def _join_site(user, site: Site, *, is_default: bool = False) -> SiteMembership:
    has_default = SiteMembership.objects.filter(user=user, is_default=True).exists()
    if is_default and has_default:
        SiteMembership.objects.filter(user=user, is_default=True).update(is_default=False)
    membership, created = SiteMembership.objects.get_or_create(
        user=user, site=site, defaults={"is_default": is_default or not has_default}
    )
    if not created and is_default and not membership.is_default:
        membership.is_default = True
        membership.save(update_fields=["is_default"])
    user.__dict__.pop("_wuye_site_ids", None)  # the cached scope is stale now
    return membership


@transaction.atomic
def create_employee(
    *,
    actor,
    site: Site,
    number: str,
    name: str,
    post: Post,
    superior: Employee | None = None,
    phone: str = "",
    hired_on: datetime.date | None = None,
    username: str = "",
    password: str = "",
) -> Employee:
    """Take on an employee at `site`; with a username, also give them a login that is a member
    of the site and holds their post's role."""
    ensure_can(actor, "staff.add_employee", site)
    name = (name or "").strip()
    with collecting() as errors:
        if not name:
            errors.add("name", _("A name is required."), "required")
        errors.check(_check_post, post, site)
        employee = Employee(
            site=site,
            number=errors.check(_check_number, site, number),
            name=name,
            name_pinyin=name_pinyin(name),
            post=post,
            superior=superior,
            phone=errors.check(_clean_phone, phone),
            hired_on=hired_on,
        )
        errors.check(_check_superior, employee, superior, site)
        check_columns(errors, employee, ["name"])
        if username:
            login = _new_login(errors, username=username, password=password, name=name)
    if username:
        login.save()
        employee.user = login
        _join_site(employee.user, site)
        _set_role(employee.user, old=None, new=post.role)
    try:
        with transaction.atomic():
            employee.save()
    except IntegrityError as exc:
        raise invalid("number", _("This employee number is already used."), "taken") from exc
    record_create(actor, employee)
    if employee.user is not None:
        record_action(
            actor, employee, _("login created"), {"login": [None, employee.user.username]}
        )
    return employee


@transaction.atomic
def update_employee(*, actor, employee: Employee, **changes) -> Employee:
    """Change an employee's particulars. A new post swaps the login's role for the new post's."""
    unknown = sorted(set(changes) - EMPLOYEE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(unknown)}")
    ensure_can(actor, "staff.change_employee", employee.site)
    employee = (
        Employee.objects.select_for_update(of=("self",))
        .select_related("post__role", "site")
        .get(pk=employee.pk)
    )
    if not employee.is_active:
        raise invalid(None, _("This employee has left; their record is closed."), "left")
    before = snapshot(employee)
    old_role = employee.post.role
    with collecting() as errors:
        if "number" in changes:
            changes["number"] = errors.check(
                _check_number, employee.site, changes["number"], exclude=employee.pk
            )
        if "name" in changes:
            changes["name"] = (changes["name"] or "").strip()
            if not changes["name"]:
                errors.add("name", _("A name is required."), "required")
        if "phone" in changes:
            changes["phone"] = errors.check(_clean_phone, changes["phone"])
        if "post" in changes:
            errors.check(_check_post, changes["post"], employee.site)
        if "superior" in changes:
            errors.check(_check_superior, employee, changes["superior"], employee.site)
        if "name" in changes:
            check_column(errors, Employee, "name", changes["name"])
    for field, value in changes.items():
        setattr(employee, field, value)
    employee.name_pinyin = name_pinyin(employee.name)
    try:
        with transaction.atomic():
            employee.save()
    except IntegrityError as exc:
        raise invalid("number", _("This employee number is already used."), "taken") from exc
    if employee.user is not None and "post" in changes:
        _set_role(employee.user, old=old_role, new=employee.post.role)
    record_update(actor, employee, before)
    return employee


@transaction.atomic
def end_employment(*, actor, employee: Employee, left_on: datetime.date) -> Employee:
    """The employee leaves: their record is closed on `left_on`, their login can no longer sign
    in, and it loses its sites and roles. The record itself stays, for history."""
    ensure_can(actor, "staff.change_employee", employee.site)
    employee = (
        Employee.objects.select_for_update(of=("self",)).select_related("user").get(pk=employee.pk)
    )
    if not employee.is_active:
        raise invalid(None, _("This employee has already left."), "left")
    with collecting() as errors:
        if left_on is None:
            errors.add("left_on", _("The leaving date is required."), "required")
        elif employee.hired_on and left_on < employee.hired_on:
            errors.add("left_on", _("The leaving date is before the hiring date."), "before_hired")
        if employee.user_id and employee.user_id == getattr(actor, "pk", None):
            errors.add(None, _("You can't end your own employment."), "self")
    before = snapshot(employee)
    employee.left_on = left_on
    employee.is_active = False
    employee.save(update_fields=["left_on", "is_active", "updated_at"])
    record_update(actor, employee, before, verb=_("employment ended"))
    user = employee.user
    if user is not None:
        sites = list(SiteMembership.objects.filter(user=user).values_list("site__name", flat=True))
        SiteMembership.objects.filter(user=user).delete()
        user.groups.clear()
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_action(
            actor,
            employee,
            _("login deactivated"),
            {"login": [user.username, None], "sites": [", ".join(sites), None]},
        )
    return employee


@transaction.atomic
def grant_site_access(*, actor, user, site: Site, is_default: bool = False) -> SiteMembership:
    """Make `user` a member of `site` (a relief clerk who also works at a second site)."""
    ensure_can(actor, "staff.change_employee", site)
    if not user.is_active:
        raise invalid("user", _("This login is deactivated."), "inactive")
    existed = SiteMembership.objects.filter(user=user, site=site).exists()
    membership = _join_site(user, site, is_default=is_default)
    if not existed:
        _record_access(actor, membership, _("site access granted"), [None, site.name])
    return membership


@transaction.atomic
def revoke_site_access(*, actor, user, site: Site) -> None:
    """Take `site` away from `user`. An employee's own site goes only with their employment."""
    ensure_can(actor, "staff.change_employee", site)
    employee = Employee.objects.filter(user=user).first()
    if employee is not None and employee.is_active and employee.site_id == site.pk:
        raise invalid(
            "site",
            _("This is the employee's own site; end their employment instead."),
            "own_site",
        )
    membership = SiteMembership.objects.filter(user=user, site=site).first()
    if membership is None:
        return
    _record_access(actor, membership, _("site access revoked"), [site.name, None])
    membership.delete()
    if membership.is_default:
        # The user keeps a default site, so pages open somewhere sensible.
        successor = SiteMembership.objects.filter(user=user).order_by("created_at", "pk").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    user.__dict__.pop("_wuye_site_ids", None)


def _record_access(actor, membership: SiteMembership, verb: str, change: list) -> None:
    """Access changes show in the employee's history when the login is an employee's, else in
    the site's trail through the membership row."""
    employee = Employee.objects.filter(user_id=membership.user_id).first()
    record_action(actor, employee or membership, verb, {"site": change})


# ---------------------------------------------------------------------------------------------
# The authority matrix


def _ensure_may_set_authority(actor, company: Company, site: Site | None) -> None:
    if site is not None:
        if site.company_id != company.pk:
            raise invalid("site", _("This site belongs to another company."), "other_company")
        ensure_can(actor, "staff.change_authorityrule", site)
        return
    ensure_permission(actor, "staff.set_company_authority")
    if not actor.is_superuser and not any(
        can_access_site(actor, pk) for pk in company.sites.values_list("pk", flat=True)
    ):
        raise PermissionDenied(_("You do not work for this company."))


def _money(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError(f"{field} must be a Decimal, not a float")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise invalid(field, _("Enter an amount in yuan."), "invalid") from exc
    if not amount.is_finite():
        raise invalid(field, _("Enter an amount in yuan."), "invalid")
    if amount < 0:
        raise invalid(field, _("The amount can't be negative."), "negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise invalid(field, _("Amounts have at most two decimal places."), "precision")
    if amount >= Decimal("1e12"):
        raise invalid(field, _("The amount is too large."), "too_large")
    return amount.quantize(Decimal("0.01"))


def _days(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("max_days must be a Decimal, not a float")
    try:
        days = Decimal(str(value))
    except InvalidOperation as exc:
        raise invalid("max_days", _("Enter a number of days."), "invalid") from exc
    if not days.is_finite() or days <= 0:
        raise invalid("max_days", _("The number of days must be more than zero."), "not_positive")
    if (days * 2) != (days * 2).to_integral_value() or days > Decimal("365"):
        raise invalid("max_days", _("Days are counted in halves, up to 365."), "precision")
    return days.quantize(Decimal("0.1"))


@transaction.atomic
def set_authority_rule(
    *,
    actor,
    company: Company,
    site: Site | None = None,
    post: Post,
    action: str,
    min_amount=None,
    max_amount=None,
    max_days=None,
    note: str = "",
) -> AuthorityRule:
    """Say what `post` may approve for `action`: the company's rule, or (with `site`) that
    site's override of it. Limits that don't fit the action are refused rather than ignored:
    leave is limited in days, money in yuan, a force-close not at all. No limit means any size.
    """
    _ensure_may_set_authority(actor, company, site)
    with collecting() as errors:
        if action not in AuthorityRule.Action.values:
            errors.add("action", _("Unknown action."), "unknown")
        if post.department.company_id != company.pk:
            errors.add("post", _("This post belongs to another company."), "other_company")
        min_amount = errors.check(_money, min_amount, "min_amount")
        max_amount = errors.check(_money, max_amount, "max_amount")
        max_days = errors.check(_days, max_days)
        if action in MEASURE:  # which limits fit depends on a known action
            measure = MEASURE[action]
            if measure != AMOUNT:
                for field, value in (("min_amount", min_amount), ("max_amount", max_amount)):
                    if value is not None:
                        errors.add(
                            field, _("This action is not limited by an amount."), "not_amount"
                        )
            if measure != DAYS and max_days is not None:
                errors.add("max_days", _("This action is not limited in days."), "not_days")
        if min_amount is not None and max_amount is not None and min_amount > max_amount:
            errors.add(
                "max_amount", _("The upper amount is below the lower amount."), "range_reversed"
            )
        note = (note or "").strip()[:200]
        check_column(errors, AuthorityRule, "note", note)
    rule = (
        AuthorityRule.objects.select_for_update()
        .filter(company=company, site=site, post=post, action=action)
        .first()
    )
    values = {
        "min_amount": min_amount,
        "max_amount": max_amount,
        "max_days": max_days,
        "note": note,
    }
    if rule is None:
        rule = AuthorityRule.objects.create(
            company=company, site=site, post=post, action=action, **values
        )
        record_create(actor, rule)
        return rule
    before = snapshot(rule)
    for field, value in values.items():
        setattr(rule, field, value)
    rule.save()
    record_update(actor, rule, before)
    return rule


@transaction.atomic
def remove_authority_rule(*, actor, rule: AuthorityRule) -> None:
    """Take a rule out of the matrix. Removing a site's override brings the company's rule
    back there; removing a company rule leaves the post without that authority."""
    _ensure_may_set_authority(actor, rule.company, rule.site)
    record_delete(actor, rule)
    rule.delete()
