"""Billing's fixtures: a finance team at site A, a building with flats, a shop and a vacant
flat, and parking spaces in every state."""

import datetime
from decimal import Decimal
from functools import partial

import pytest
from django.contrib.auth.models import Group

from tests.staffing import staff_member
from wuye.billing import bill_runs, services
from wuye.billing.models import FeeItem
from wuye.core.models import SiteMembership
from wuye.estate.models import Building, ParkingSpace, Unit
from wuye.staff.models import Post
from wuye.staff.services import install_company_defaults

D = Decimal


@pytest.fixture
def finance(django_user_model, company, site_a):
    """王经理 (project manager) ← 李主任 (centre head) ← 赵会计 (finance supervisor) ← 钱收费 (cashier)."""
    install_company_defaults(company=company)
    posts = {p.code: p for p in Post.objects.filter(department__company=company)}
    make = partial(staff_member, site_a)
    pm = make("F001", "王经理", posts["project_manager"], None, "manager")
    head = make("F002", "李主任", posts["centre_head"], pm, "manager")
    sup = make("F003", "赵会计", posts["finance_supervisor"], head, "finance")
    cashier = make("F004", "钱收费", posts["cashier"], sup, "cashier")
    return {"pm": pm, "head": head, "sup": sup, "cashier": cashier}


@pytest.fixture
def estate(site_a):
    """Building 1: four flats (one vacant, one unsold) and a shop; building 2: two flats."""
    b1 = Building.objects.create(site=site_a, code="1", name="1栋", floors_above=18)
    b2 = Building.objects.create(site=site_a, code="2", name="2栋", floors_above=6)
    make = lambda b, number, area, **k: Unit.objects.create(  # noqa: E731
        site=site_a, building=b, floor=int(number[:2]), number=number, code=f"{b.code}-{number}",
        floor_area=D(area), indoor_area=D(area) * D("0.8"), state=k.pop("state", Unit.State.OCCUPIED), **k,
    )  # fmt: skip
    units = [
        make(b1, "0101", "89.50"), make(b1, "0102", "96.05"), make(b1, "0201", "143.33", fee_coefficient=D("1.200")),
        make(b1, "0202", "120.00", state=Unit.State.VACANT), make(b1, "0301", "88.88", state=Unit.State.UNSOLD),
        make(b1, "01S1", "65.00", use=Unit.Use.SHOP), make(b2, "0101", "100.01"), make(b2, "0102", "77.77"),
    ]  # fmt: skip
    spaces = [
        ParkingSpace.objects.create(site=site_a, code=f"P{i}", state=state)
        for i, state in enumerate(["sold", "rented", "free", "reserved"])
    ]
    return {"b1": b1, "b2": b2, "units": units, "spaces": spaces}


@pytest.fixture
def fee_item(site_a, finance):
    """`fee_item(code, method, **fields)` set up by the finance supervisor."""

    def make(code="mgmt", method=FeeItem.Method.FLOOR_AREA, **fields):
        fields.setdefault("name", code)
        fields.setdefault("kind", FeeItem.Kind.MANAGEMENT)
        return services.save_fee_item(
            site=site_a, actor=finance["sup"].user, code=code, method=method, **fields
        )

    return make


@pytest.fixture
def owed(fee_item, finance, estate):
    """Every unit billed ¥100 a month for September to November 2026; 1-0101 is returned."""
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费")
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    for month in (9, 10, 11):
        bill_runs.run_bills(
            site=item.site, actor=finance["sup"].user, month=datetime.date(2026, month, 1)
        )
    return estate["units"][0]


@pytest.fixture
def deposit_item(fee_item):
    return fee_item(
        "reno", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False, name="装修押金"
    )


@pytest.fixture
def finance_b(django_user_model, site_b):
    """A finance clerk of site B: may do everything there, but only there."""
    user = django_user_model.objects.create_user(username="fin_b", password="pass-Word-123")
    user.groups.add(Group.objects.get(name="finance"))
    SiteMembership.objects.create(user=user, site=site_b, is_default=True)
    return user
