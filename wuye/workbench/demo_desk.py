"""The demo site's service desk: categories for each way of dispatching, root causes and a
price list set up at the start of the year; the year's contacts, each dated when it happened
(`demo_tickets`); and this week's tickets in every state, made through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wuye.core import clock
from wuye.estate.models import Facility
from wuye.people.models import Ownership
from wuye.servicedesk import complaints, desk, services
from wuye.servicedesk.models import Category, DispatchMode, Kind, WorkOrder
from wuye.servicedesk.services import Intake
from wuye.staff.models import Department, Employee

from .demo_tickets import Desk, run_desk_year
from .demo_time import at

CATEGORIES = [
    (Kind.REPAIR, "水电维修", "engineering", DispatchMode.DESK),
    (Kind.REPAIR, "电梯", "engineering", DispatchMode.POOL),
    (Kind.REPAIR, "电气", "engineering", DispatchMode.ROTATION),
    (Kind.REPAIR, "门窗五金", "engineering", DispatchMode.DESK),
    (Kind.COMPLAINT, "服务态度", "customer_service", DispatchMode.DESK),
    (Kind.COMPLAINT, "环境卫生", "environment", DispatchMode.DESK),
    (Kind.COMPLAINT, "噪音扰民", "security", DispatchMode.DESK),
    (Kind.INQUIRY, "收费咨询", "finance", DispatchMode.DESK),
]
ROOT_CAUSES = [
    "工程质量",
    "设施设备故障",
    "服务态度",
    "环境卫生",
    "邻里纠纷",
    "装修管理",
    "收费问题",
    "其他",
]
PRICES = [
    ("更换水龙头", "80.00"),
    ("疏通下水道", "60.00"),
    ("更换灯具", "30.00"),
    ("更换门锁", "120.00"),
]

REPAIRS = [
    ("厨房水管漏水", "水电维修", "fixed"), ("卫生间地漏堵塞", "水电维修", "fixed"),
    ("客厅灯不亮", "电气", "fixed"), ("入户门锁坏了", "门窗五金", None),
    ("阳台推拉门卡住", "门窗五金", "assigned"), ("热水器插座跳闸", "电气", "accepted"),
    ("2号电梯按钮失灵", "电梯", "pool"), ("马桶水箱一直流水", "水电维修", "open"),
]  # fmt: skip
COMPLAINTS = [
    "楼上装修噪音太大，晚上十点还在施工", "楼上装修噪音，周末一早开始打钻",
    "保安换班时态度生硬", "3栋门口垃圾两天没人清理",
]  # fmt: skip
INQUIRIES = [("物业费收费标准是多少", "2.80元/平方米/月，按季度收取"),
             ("停车月卡怎么办理", "携带行驶证到客服中心办理"),
             ("装修需要办理什么手续", "业主携带身份证、装修方案到客服中心申请")]  # fmt: skip


def load_desk(site, months) -> int:
    """Returns the number of tickets made; nothing when the site already has its desk."""
    if Category.objects.of_site(site).exists():
        return 0
    staff = {e.number: e for e in Employee.objects.of_site(site).select_related("user")}
    manager, clerk, supervisor = staff["E001"].user, staff["E011"].user, staff["E010"].user
    with clock.as_of(at(months[0], 1, 8)):
        desk_ = _set_up(site, manager)
    desk_ = Desk(site=site, clerk=clerk, supervisor=supervisor, **desk_)
    made = run_desk_year(desk_, months)
    return made + _this_week(desk_, manager)


def _set_up(site, actor) -> dict:
    """Categories for each way of dispatching, root causes and the price list."""
    departments = {d.kind: d for d in Department.objects.filter(company_id=site.company_id)}
    technicians = list(
        Employee.objects.of_site(site)
        .filter(post__code="technician", is_active=True)
        .select_related("user")
        .order_by("number")
    )
    categories = {}
    for kind, name, dept, mode in CATEGORIES:
        workers = technicians if mode != DispatchMode.DESK else []
        categories[name] = desk.save_category(site=site, actor=actor, kind=kind, name=name,
                                              department=departments[dept], dispatch_mode=mode,
                                              workers=workers)  # fmt: skip
    causes = {name: desk.save_root_cause(site=site, actor=actor, name=name) for name in ROOT_CAUSES}
    prices = [
        desk.save_price_item(site=site, actor=actor, name=n, price=Decimal(p)) for n, p in PRICES
    ]
    owners = list(
        Ownership.objects.of_site(site).filter(ended_on__isnull=True)
        .select_related("unit", "person").order_by("unit__code")
    )[::7]  # fmt: skip
    return {"technicians": technicians, "categories": categories, "causes": causes,
            "prices": prices, "owners": owners}  # fmt: skip


def _this_week(d: Desk, admin) -> int:
    """The last few days' contacts, dealt with today: open, pooled, assigned, accepted, held,
    fixed and waiting for their callbacks, a complaint being linked and settled."""
    site, clerk, supervisor = d.site, d.clerk, d.supervisor
    technicians, categories, causes, prices = d.technicians, d.categories, d.causes, d.prices
    now = timezone.now().replace(microsecond=0)
    made = 0

    def intake(i, kind, subject, **extra):
        return d.intake(1000 + i, kind, subject, extra.pop("received_at", None), **extra)

    for i, (subject, category, outcome) in enumerate(REPAIRS):
        ticket = intake(i, Kind.REPAIR, subject, category=categories[category],
                        received_at=now - datetime.timedelta(days=6 - i % 6, hours=3))  # fmt: skip
        made += 1
        if outcome == "open":
            continue
        worker = technicians[i % len(technicians)]
        visit = now + datetime.timedelta(hours=2 + i)
        services.dispatch_ticket(ticket=ticket, actor=clerk, visit_at=visit,
                                 assignee=None if outcome == "pool" or category == "电气" else worker)  # fmt: skip
        order = WorkOrder.objects.filter(ticket=ticket).first()
        if outcome in ("pool", "assigned") or order is None or order.worker is None:
            continue
        actor = order.worker.user or admin
        services.accept_work_order(work_order=order, actor=actor)
        if outcome == "accepted":
            continue
        services.record_arrival(work_order=order, actor=actor)
        if outcome is None:
            services.hold_ticket(ticket=ticket, actor=clerk, reason="等待锁芯配件")
            continue
        services.finish_work_order(work_order=order, actor=actor, work_done=f"{subject}：已处理",
                                   result="fixed", price_item=prices[i % len(prices)] if i % 2 else None)  # fmt: skip
        services.sign_off_work_order(work_order=order, actor=actor, signed_by=ticket.caller_name,
                                     rating=5 - i % 2, comment="师傅很准时")  # fmt: skip
        if i % 3 == 0:
            services.record_callback(ticket=ticket, actor=clerk, satisfied=True, comment="满意")

    first = None
    for i, subject in enumerate(COMPLAINTS):
        ticket = intake(10 + i, Kind.COMPLAINT, subject, agreed_at=now + datetime.timedelta(hours=4 + i),
                        category=categories["噪音扰民" if "噪音" in subject else "服务态度" if "保安" in subject else "环境卫生"])  # fmt: skip
        made += 1
        if i == 0:
            first = ticket
        elif i == 1:
            complaints.link_complaint(ticket=ticket, actor=clerk, to=first, reach="2栋3-5层")
    complaints.record_investigation(ticket=first, actor=clerk, investigation="1203室装修超时施工",
                                    measures="约谈装修负责人，限定施工时间8:00-12:00、14:00-18:00")  # fmt: skip
    complaints.record_negotiation(ticket=first, actor=clerk, proposal="限定施工时间并每日巡查",
                                  response="同意", agreed=True)  # fmt: skip
    complaints.set_root_cause(ticket=first, actor=clerk, root_cause=causes["装修管理"])
    complaints.confirm_validity(ticket=first, actor=supervisor, valid=True)
    services.complete_ticket(ticket=first, actor=clerk, note="已约谈装修负责人，施工时间已整改")

    for i, (subject, answer) in enumerate(INQUIRIES):
        intake(20 + i, Kind.INQUIRY, subject, handled_at_once=True, answer=answer,
               channel="visit" if i % 2 else "phone")  # fmt: skip
        made += 1
    intake(
        25,
        Kind.INQUIRY,
        "来函咨询小区公共收益使用情况",
        channel="letter",
        needs_written_answer=True,
    )
    intake(
        26, Kind.HELP, "老人在家摔倒，需要帮助送医", help_kind="medical", caller_phone="13912345678"
    )
    intake(27, Kind.SUGGESTION, "建议在中心花园增加休息座椅", channel="online")
    intake(
        28, Kind.PRAISE, "感谢周师傅半夜上门抢修水管", handled_at_once=True, answer="已转达并表扬"
    )
    lift = Facility.objects.of_site(site).filter(kind=Facility.Kind.LIFT).first()
    if lift is not None:
        services.register_ticket(site=site, actor=None, authorised=True, intake=Intake(
            kind=Kind.REPAIR, channel="online", subject="电梯运行时有异响", facility=lift,
            location=lift.name, description="扫码报修",
        ))  # fmt: skip
    return made + 5
