"""Billing's fixtures: a finance team at site A, a building with flats, a shop and a vacant
flat, and parking spaces in every state."""

from decimal import Decimal
from functools import partial

import pytest

from tests.staffing import staff_member
from wuye.billing import services
from wuye.billing.models import FeeItem
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
