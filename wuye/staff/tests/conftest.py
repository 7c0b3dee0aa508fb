"""The staff app's fixtures: the default organisation and a small staff at site A.

Employees are written straight to the tables here (the services are what the tests prove);
the chain is 项目经理 ← 管理处主任 ← 客服主管 ← 客服专员, plus finance.
"""

import datetime

import pytest

from wuye.core.identity import name_pinyin
from wuye.staff.models import Employee
from wuye.staff.services import install_company_defaults


@pytest.fixture
def org(company):
    """The company's default posts, by code."""
    install_company_defaults(company=company)
    from wuye.staff.models import Post

    return {p.code: p for p in Post.objects.filter(department__company=company)}


def _employee(site, number, name, post, superior=None, **extra):
    return Employee.objects.create(
        site=site,
        number=number,
        name=name,
        name_pinyin=name_pinyin(name),
        post=post,
        superior=superior,
        hired_on=datetime.date(2024, 3, 1),
        **extra,
    )


@pytest.fixture
def make_employee():
    return _employee


@pytest.fixture
def staff_a(org, site_a):
    """A small staff at site A, by role in the chain."""
    pm = _employee(site_a, "A001", "王经理", org["project_manager"])
    head = _employee(site_a, "A002", "李主任", org["centre_head"], pm)
    cs_sup = _employee(site_a, "A003", "陈主管", org["cs_supervisor"], head)
    clerk = _employee(site_a, "A004", "张三", org["cs_clerk"], cs_sup, phone="13800138000")
    fin_sup = _employee(site_a, "A005", "赵会计", org["finance_supervisor"], head)
    cashier = _employee(site_a, "A006", "钱收费", org["cashier"], fin_sup)
    return {
        "pm": pm,
        "head": head,
        "cs_sup": cs_sup,
        "clerk": clerk,
        "fin_sup": fin_sup,
        "cashier": cashier,
    }


@pytest.fixture
def head_office(django_user_model, site_a):
    """A head-office user who sets the company's own authority rules."""
    from django.contrib.auth.models import Permission

    from wuye.core.models import SiteMembership

    user = django_user_model.objects.create_user(username="head_office", password="pass-Word-123")
    user.user_permissions.add(
        Permission.objects.get(codename="set_company_authority"),
        Permission.objects.get(codename="view_authorityrule"),
    )
    SiteMembership.objects.create(user=user, site=site_a, is_default=True)
    return user
