"""Writing the staff records: organisation defaults, employees, logins, site access and the
authority matrix (R-ADM-01, R-ADM-02)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from wuye.core.audit import history
from wuye.core.models import SiteMembership
from wuye.core.scoping import visible_site_ids
from wuye.staff import services
from wuye.staff.models import AuthorityRule, Department, Employee, Post

A = AuthorityRule.Action


def _codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


# ---------------------------------------------------------------------------------------------
# Company defaults


def test_adm_01_company_defaults_create_the_six_departments_and_posts_with_superiors(company):
    report = services.install_company_defaults(company=company)
    kinds = set(Department.objects.filter(company=company).values_list("kind", flat=True))
    assert kinds == {
        "management",
        "customer_service",
        "engineering",
        "security",
        "environment",
        "finance",
        "administration",
    }
    posts = {p.code: p for p in Post.objects.filter(department__company=company)}
    assert report.departments == 7 and report.posts == len(posts) == 16

    def chain(code):
        names, post = [], posts[code]
        while post is not None:
            names.append(post.name)
            post = post.superior
        return names

    assert chain("cs_clerk") == ["客服专员", "客服主管", "管理处主任", "项目经理"]
    assert chain("technician")[:2] == ["维修技工", "工程主管"]
    assert chain("guard")[:2] == ["秩序维护员", "秩序维护主管"]
    assert chain("cleaner")[:2] == ["保洁员", "环境主管"]
    assert chain("gardener")[:2] == ["绿化员", "环境主管"]
    assert chain("cashier")[:2] == ["收费员", "财务主管"]
    assert chain("teller")[:2] == ["出纳", "财务主管"]
    assert chain("office_clerk")[:2] == ["行政文员", "行政人事主管"]
    assert all(p.role is not None and p.duties for p in posts.values())
    assert posts["cashier"].role.name == "cashier"
    assert posts["centre_head"].role.name == "manager"
    head_rules = {
        r.action: r
        for r in AuthorityRule.objects.filter(post=posts["centre_head"], site__isnull=True)
    }
    assert head_rules[A.SICK_LEAVE].max_days == Decimal("1.0")
    assert head_rules[A.PAY_ADJUSTMENT].max_amount == Decimal("200.00")
    assert (head_rules[A.CONTRACT].min_amount, head_rules[A.CONTRACT].max_amount) == (
        Decimal("500.00"),
        Decimal("3000.00"),
    )


def test_adm_01_install_company_defaults_twice_creates_nothing_new(company):
    services.install_company_defaults(company=company)
    renamed = Post.objects.get(department__company=company, code="cs_clerk")
    renamed.name = "客服助理"
    renamed.save()
    counts = (Department.objects.count(), Post.objects.count(), AuthorityRule.objects.count())
    report = services.install_company_defaults(company=company)
    assert (report.departments, report.posts, report.rules) == (0, 0, 0)
    assert (
        Department.objects.count(),
        Post.objects.count(),
        AuthorityRule.objects.count(),
    ) == counts
    assert Post.objects.get(pk=renamed.pk).name == "客服助理"  # the company's edit stays


# ---------------------------------------------------------------------------------------------
# Employees


def test_creating_an_employee_with_login_grants_membership_and_role_and_they_see_the_site(
    org, site_a, manager, client
):
    with translation.override("zh-hans"):  # the audit verb is written in the actor's language
        employee = services.create_employee(
            actor=manager,
            site=site_a,
            number="A100",
            name="刘新",
            post=org["cashier"],
            phone="13912345678",
            hired_on=datetime.date(2025, 1, 6),
            username="liuxin",
            password="Sunny-Desk-2025",
        )
    user = employee.user
    assert user.username == "liuxin" and user.check_password("Sunny-Desk-2025")
    assert list(user.groups.values_list("name", flat=True)) == ["cashier"]
    membership = SiteMembership.objects.get(user=user)
    assert membership.site == site_a and membership.is_default
    assert visible_site_ids(user) == [site_a.pk]
    assert employee.name_pinyin == "liuxin lx"
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert site_a.name in response.content.decode()
    verbs = [e.verb for e in history(employee)]
    assert "创建登录账号" in verbs


def test_a_weak_initial_password_and_a_taken_username_are_refused(org, site_a, manager, clerk_a):
    with pytest.raises(ValidationError) as weak:
        services.create_employee(
            actor=manager,
            site=site_a,
            number="A101",
            name="甲",
            post=org["guard"],
            username="guard1",
            password="123",
        )
    assert "password" in weak.value.error_dict
    with pytest.raises(ValidationError) as taken:
        services.create_employee(
            actor=manager,
            site=site_a,
            number="A101",
            name="甲",
            post=org["guard"],
            username="CLERK_A",
            password="Sunny-Desk-2025",
        )
    assert _codes(taken.value) == {"username": ["taken"]}
    assert not Employee.objects.filter(number="A101").exists()


def test_employee_numbers_are_unique_per_site(staff_a, org, site_a, site_b, manager):
    with pytest.raises(ValidationError) as exc:
        services.create_employee(
            actor=manager, site=site_a, number="A004", name="重号", post=org["guard"]
        )
    assert _codes(exc.value) == {"number": ["taken"]}
    other = services.create_employee(
        actor=manager, site=site_b, number="A004", name="重号", post=org["guard"]
    )
    assert other.site == site_b


def test_no_superior_cycle(staff_a, manager):
    head, clerk = staff_a["head"], staff_a["clerk"]
    with pytest.raises(ValidationError) as exc:
        services.update_employee(actor=manager, employee=head, superior=clerk)
    assert _codes(exc.value) == {"superior": ["cycle"]}
    head.refresh_from_db()
    assert head.superior == staff_a["pm"]


def test_superior_on_another_site_refused(staff_a, org, site_b, manager, make_employee):
    head_b = make_employee(site_b, "B002", "周主任", org["centre_head"])
    with pytest.raises(ValidationError) as exc:
        services.update_employee(actor=manager, employee=staff_a["clerk"], superior=head_b)
    assert _codes(exc.value) == {"superior": ["other_site"]}


def test_changing_the_post_swaps_the_role_group(org, site_a, manager):
    employee = services.create_employee(
        actor=manager,
        site=site_a,
        number="A102",
        name="黄工",
        post=org["technician"],
        username="huanggong",
        password="Sunny-Desk-2025",
    )
    services.update_employee(actor=manager, employee=employee, post=org["cs_clerk"])
    employee.refresh_from_db()
    assert list(employee.user.groups.values_list("name", flat=True)) == ["cs_clerk"]
    entry = history(employee).first()
    assert entry.changes["post"] == ["维修技工", "客服专员"]


def test_ending_employment_closes_the_login_and_its_sites(org, site_a, site_b, manager):
    employee = services.create_employee(
        actor=manager,
        site=site_a,
        number="A103",
        name="林保安",
        post=org["guard"],
        hired_on=datetime.date(2024, 1, 1),
        username="linbaoan",
        password="Sunny-Desk-2025",
    )
    services.grant_site_access(actor=manager, user=employee.user, site=site_b)
    with pytest.raises(ValidationError) as early:
        services.end_employment(
            actor=manager, employee=employee, left_on=datetime.date(2023, 12, 31)
        )
    assert _codes(early.value) == {"left_on": ["before_hired"]}
    services.end_employment(actor=manager, employee=employee, left_on=datetime.date(2025, 6, 30))
    employee.refresh_from_db()
    employee.user.refresh_from_db()
    assert not employee.is_active and employee.left_on == datetime.date(2025, 6, 30)
    assert not employee.user.is_active
    assert not SiteMembership.objects.filter(user=employee.user).exists()
    assert not employee.user.groups.exists()
    with pytest.raises(ValidationError):
        services.update_employee(actor=manager, employee=employee, name="改名")


def test_site_access_is_granted_and_revoked_but_not_the_home_site(org, site_a, site_b, manager):
    employee = services.create_employee(
        actor=manager,
        site=site_a,
        number="A104",
        name="何替班",
        post=org["cs_clerk"],
        username="hetiban",
        password="Sunny-Desk-2025",
    )
    with translation.override("en"):
        services.grant_site_access(actor=manager, user=employee.user, site=site_b)
    assert set(
        SiteMembership.objects.filter(user=employee.user).values_list("site", flat=True)
    ) == {
        site_a.pk,
        site_b.pk,
    }
    with pytest.raises(ValidationError) as exc:
        services.revoke_site_access(actor=manager, user=employee.user, site=site_a)
    assert _codes(exc.value) == {"site": ["own_site"]}
    with translation.override("en"):
        services.revoke_site_access(actor=manager, user=employee.user, site=site_b)
    assert list(
        SiteMembership.objects.filter(user=employee.user).values_list("site", flat=True)
    ) == [site_a.pk]
    assert [e.verb for e in history(employee)][:2] == ["site access revoked", "site access granted"]


def test_a_clerk_can_not_take_on_staff_nor_a_manager_at_a_site_they_are_not_in(
    org, site_a, site_b, clerk_a, clerk_b
):
    with pytest.raises(PermissionDenied):
        services.create_employee(
            actor=clerk_a, site=site_a, number="X1", name="某", post=org["guard"]
        )
    with pytest.raises(PermissionDenied):
        services.create_employee(
            actor=clerk_b, site=site_a, number="X1", name="某", post=org["guard"]
        )


# ---------------------------------------------------------------------------------------------
# The authority matrix


def test_adm_02_a_manager_sets_a_site_override_but_not_the_company_rule(
    org, company, site_a, manager, head_office
):
    rule = services.set_authority_rule(
        actor=manager,
        company=company,
        site=site_a,
        post=org["centre_head"],
        action=A.PAY_ADJUSTMENT,
        max_amount="300",
    )
    assert rule.max_amount == Decimal("300.00") and rule.site == site_a
    with pytest.raises(PermissionDenied):
        services.set_authority_rule(
            actor=manager,
            company=company,
            post=org["centre_head"],
            action=A.PAY_ADJUSTMENT,
            max_amount=Decimal("300"),
        )
    company_rule = services.set_authority_rule(
        actor=head_office,
        company=company,
        post=org["centre_head"],
        action=A.PAY_ADJUSTMENT,
        max_amount=Decimal("250"),
    )
    assert company_rule.site is None and company_rule.max_amount == Decimal("250.00")
    assert history(company_rule).first().changes["max_amount"] == ["200.00", "250.00"]
    services.remove_authority_rule(actor=manager, rule=rule)
    assert not AuthorityRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"min_amount": "600", "max_amount": "500"}, {"max_amount": ["range_reversed"]}),
        ({"max_amount": "-1"}, {"max_amount": ["negative"]}),
        ({"max_amount": "1.005"}, {"max_amount": ["precision"]}),
        ({"max_amount": "abc"}, {"max_amount": ["invalid"]}),
        ({"max_days": "2"}, {"max_days": ["not_days"]}),
    ],
)
def test_adm_02_authority_limits_are_validated(org, company, site_a, manager, limits, expected):
    with pytest.raises(ValidationError) as exc:
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action=A.CONTRACT,
            **limits,
        )
    assert _codes(exc.value) == expected


def test_adm_02_an_authority_rule_reports_every_bad_limit_at_once(org, company, site_a, manager):
    with pytest.raises(ValidationError) as exc:
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action=A.CONTRACT,
            min_amount="-5",
            max_amount="1.005",
            max_days="2",
        )
    # The reversed range waits for two valid amounts: a negative lower one says nothing of it.
    assert _codes(exc.value) == {
        "min_amount": ["negative"],
        "max_amount": ["precision"],
        "max_days": ["not_days"],
    }
    assert not AuthorityRule.objects.filter(site=site_a).exists()


def test_an_unknown_action_and_a_bad_limit_are_told_together(org, company, site_a, manager):
    with pytest.raises(ValidationError) as exc:
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action="juggling",
            max_days="0",
        )
    assert _codes(exc.value) == {"action": ["unknown"], "max_days": ["not_positive"]}


def test_changing_an_employee_reports_every_bad_field_at_once(staff_a, manager):
    clerk = staff_a["clerk"]
    with pytest.raises(ValidationError) as exc:
        services.update_employee(
            actor=manager,
            employee=clerk,
            number="A001",
            name="",
            phone="99",
            superior=clerk,
        )
    assert _codes(exc.value) == {
        "number": ["taken"],
        "name": ["required"],
        "phone": ["bad_phone"],
        "superior": ["cycle"],
    }
    clerk.refresh_from_db()
    assert (clerk.number, clerk.name, clerk.phone) == ("A004", "张三", "13800138000")


def test_adm_02_leave_is_limited_in_half_days_not_yuan(org, company, site_a, manager):
    with pytest.raises(ValidationError) as money:
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action=A.SICK_LEAVE,
            max_amount="100",
        )
    assert _codes(money.value) == {"max_amount": ["not_amount"]}
    with pytest.raises(ValidationError) as quarter:
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action=A.SICK_LEAVE,
            max_days="0.25",
        )
    assert _codes(quarter.value) == {"max_days": ["precision"]}
    rule = services.set_authority_rule(
        actor=manager,
        company=company,
        site=site_a,
        post=org["centre_head"],
        action=A.SICK_LEAVE,
        max_days="1.5",
    )
    assert rule.max_days == Decimal("1.5")
    with pytest.raises(TypeError):
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action=A.REFUND,
            max_amount=1.5,
        )


def test_roles_hold_the_permissions_their_pages_need(db):
    manager = Group.objects.get(name="manager")
    perms = set(manager.permissions.values_list("codename", flat=True))
    assert {"add_employee", "change_employee", "change_authorityrule"} <= perms
    assert "set_company_authority" not in perms
    assert Group.objects.filter(name__in=["environment_staff", "office_clerk"]).count() == 2


def test_nul_characters_and_overlong_text_are_field_errors_told_with_the_rest(org, site_a, manager):
    with pytest.raises(ValidationError) as caught:
        services.create_employee(
            actor=manager,
            site=site_a,
            number="A\x00107",
            name="张" * 51,
            post=org["guard"],
            phone="1234",
            username="zhang\x00san",
            password="",
        )
    codes = _codes(caught.value)
    assert codes.keys() == {"number", "name", "phone", "username", "password"}
    assert codes["number"] == ["null_characters_not_allowed"]
    assert codes["name"] == ["max_length"]
    assert codes["username"] == ["invalid"]  # the username rule refuses it first
    assert not services.Employee.objects.filter(site=site_a).exists()


def test_ending_ones_own_employment_too_early_reports_both_at_once(org, site_a, manager):
    employee = services.Employee.objects.create(
        site=site_a,
        number="A108",
        name="王经理",
        post=org["project_manager"],
        hired_on=datetime.date(2024, 1, 1),
        user=manager,
    )
    with pytest.raises(ValidationError) as caught:
        services.end_employment(
            actor=manager, employee=employee, left_on=datetime.date(2023, 12, 31)
        )
    assert _codes(caught.value) == {"left_on": ["before_hired"], "__all__": ["self"]}
    employee.refresh_from_db()
    assert employee.is_active


def test_an_authority_rule_with_a_nul_in_its_note_and_a_reversed_range_reports_both(
    company, org, site_a, manager
):
    from wuye.staff.models import AuthorityRule

    with pytest.raises(ValidationError) as caught:
        services.set_authority_rule(
            actor=manager,
            company=company,
            site=site_a,
            post=org["centre_head"],
            action=AuthorityRule.Action.PAY_ADJUSTMENT,
            min_amount="500",
            max_amount="300",
            note="上限\x00",
        )
    assert _codes(caught.value) == {
        "max_amount": ["range_reversed"],
        "note": ["null_characters_not_allowed"],
    }
