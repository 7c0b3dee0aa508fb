"""The service desk's fixtures: site A's default organisation with a desk and an engineering
team who sign in, a facility, categories for each dispatch mode and a root cause list.

The chain: 王经理 (project manager) ← 李主任 (centre head) ← 陈主管 (customer-service
supervisor) ← 张客服 (clerk); 李主任 ← 刘工 (engineering supervisor) ← 周师傅, 吴师傅
(technicians).
"""

from decimal import Decimal

import pytest

from tests.staffing import staff_member
from wuye.estate.models import Facility
from wuye.people.tests.conftest import id_number, li, vacant_units, zhang  # noqa: F401
from wuye.servicedesk import desk
from wuye.servicedesk.models import DispatchMode, Kind
from wuye.servicedesk.services import Intake, register_ticket
from wuye.staff.models import Department, Post
from wuye.staff.services import install_company_defaults


@pytest.fixture
def team(django_user_model, company, site_a):
    """Site A's people, by role in the chain; `.user` signs in."""
    install_company_defaults(company=company)
    posts = {p.code: p for p in Post.objects.filter(department__company=company)}
    make = lambda *a, **k: staff_member(site_a, *a, **k)  # noqa: E731
    pm = make("A001", "王经理", posts["project_manager"], None, role="manager")
    head = make("A002", "李主任", posts["centre_head"], pm, role="manager")
    cs_sup = make("A003", "陈主管", posts["cs_supervisor"], head, role="cs_supervisor")
    clerk = make("A004", "张客服", posts["cs_clerk"], cs_sup, role="cs_clerk")
    eng_sup = make("A010", "刘工", posts["engineering_supervisor"], head, role="engineer")
    tech1 = make("A011", "周师傅", posts["technician"], eng_sup, role="engineer")
    tech2 = make("A012", "吴师傅", posts["technician"], eng_sup, role="engineer")
    guard = make("A020", "孙保安", posts["guard"], None, role="guard")
    return {
        "pm": pm, "head": head, "cs_sup": cs_sup, "clerk": clerk, "eng_sup": eng_sup,
        "tech1": tech1, "tech2": tech2, "guard": guard,
    }  # fmt: skip


@pytest.fixture
def engineering(company):
    return Department.objects.get(company=company, kind=Department.Kind.ENGINEERING)


@pytest.fixture
def customer_service(company):
    return Department.objects.get(company=company, kind=Department.Kind.CUSTOMER_SERVICE)


@pytest.fixture
def categories(site_a, team, engineering, customer_service):
    """Plumbing (by the desk), lifts (pool), electrics (rotation between the technicians),
    and a complaint category."""
    actor = team["pm"].user
    make = lambda **k: desk.save_category(site=site_a, actor=actor, **k)  # noqa: E731
    return {
        "plumbing": make(kind=Kind.REPAIR, name="水电维修", department=engineering,
                         dispatch_mode=DispatchMode.DESK),
        "lift": make(kind=Kind.REPAIR, name="电梯", department=engineering,
                     dispatch_mode=DispatchMode.POOL, workers=[team["tech1"], team["tech2"]]),
        "electric": make(kind=Kind.REPAIR, name="电气", department=engineering,
                         dispatch_mode=DispatchMode.ROTATION,
                         workers=[team["tech1"], team["tech2"]]),
        "service": make(kind=Kind.COMPLAINT, name="服务态度", department=customer_service,
                        dispatch_mode=DispatchMode.DESK),
    }  # fmt: skip


@pytest.fixture
def root_causes(site_a, team):
    actor = team["pm"].user
    return {
        name: desk.save_root_cause(site=site_a, actor=actor, name=name)
        for name in ("工程质量", "服务态度", "邻里纠纷", "设施故障")
    }


@pytest.fixture
def price_items(site_a, team):
    actor = team["pm"].user
    return {
        "tap": desk.save_price_item(
            site=site_a, actor=actor, name="更换水龙头", price=Decimal("80")
        )
    }


@pytest.fixture
def lift(site_a, building_a):
    return Facility.objects.create(
        site=site_a, code="DT-1-1", name="1栋1号电梯", kind=Facility.Kind.LIFT, building=building_a
    )


@pytest.fixture
def new_ticket(site_a, team, unit_a):
    """`new_ticket(kind=…, **intake)`: a ticket registered by the clerk at unit 1-0101."""

    def make(kind=Kind.REPAIR, actor=None, **fields):
        fields.setdefault("channel", "phone")
        fields.setdefault("subject", "厨房水管漏水")
        fields.setdefault("caller_name", "张三")
        fields.setdefault("caller_phone", "13812345678")
        fields.setdefault("unit", unit_a)
        return register_ticket(
            site=site_a, actor=actor or team["clerk"].user, intake=Intake(kind=kind, **fields)
        )

    return make
