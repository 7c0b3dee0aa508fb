"""The demo desk's past year, a dozen or so contacts a month, each taken through the services
at the times it happened (`core.clock.as_of`): repairs dispatched, accepted, reached, finished,
signed off and called back — a few reached late and breached, a few needing parts, a few paid
for, one in a while not satisfied and done again; complaints investigated, talked through,
given a root cause and a validity, completed and called back, some linked into one event;
inquiries answered at once, help given, suggestions answered, praise passed on."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import timedelta

from wuye.core import clock
from wuye.servicedesk import complaints, services, sweeps
from wuye.servicedesk.models import Kind, WorkOrder
from wuye.servicedesk.services import Intake

from .demo_time import at, has_come, last_day

REPAIRS = [
    ("厨房水管接口漏水", "水电维修"), ("卫生间地漏返味", "水电维修"), ("客厅吸顶灯不亮", "电气"),
    ("入户门锁芯卡住", "门窗五金"), ("阳台推拉门滑轮坏了", "门窗五金"), ("插座跳闸", "电气"),
    ("电梯按钮失灵", "电梯"), ("马桶水箱漏水", "水电维修"), ("热水器不出热水", "水电维修"),
    ("窗户关不严", "门窗五金"), ("电梯运行有异响", "电梯"), ("卧室空调插座没电", "电气"),
]  # fmt: skip
COMPLAINTS = [
    ("楼上装修噪音大，中午还在施工", "噪音扰民", "装修管理", "2栋1单元"),
    ("垃圾桶周边清理不及时", "环境卫生", "环境卫生", "3栋门口"),
    ("保安值班时态度生硬", "服务态度", "服务态度", "南大门"),
    ("夜间广场舞音乐太吵", "噪音扰民", "邻里纠纷", "中心花园"),
]  # fmt: skip
INQUIRIES = [
    ("物业费收费标准是多少", "2.80元/平方米/月，可按月或按季缴纳"),
    ("停车月卡怎么办理", "携带行驶证到客服中心办理"),
    ("装修需要办理什么手续", "携带身份证和装修方案到客服中心申请"),
    ("水费怎么计算", "按阶梯水价，每月1日抄表"),
    ("门禁卡丢了怎么补办", "到客服中心补办，工本费30元"),
]  # fmt: skip
SUGGESTIONS = ["建议在中心花园增加休息座椅", "建议地下车库增加充电桩", "建议延长会所开放时间"]
PRAISE = ["感谢师傅半夜上门抢修水管", "感谢保安帮忙找回走失的孩子", "感谢客服耐心解答"]


@dataclass(frozen=True)
class Desk:
    site: object
    clerk: object
    supervisor: object
    technicians: list  # employees
    categories: dict
    causes: dict
    prices: list
    owners: list  # current ownerships: unit and person

    def intake(self, n: int, kind: str, subject: str, received_at, **extra):
        owner = self.owners[(n * 7) % len(self.owners)]
        return services.register_ticket(site=self.site, actor=self.clerk, intake=Intake(
            kind=kind, channel=extra.pop("channel", "phone"), subject=subject,
            person=owner.person, unit=owner.unit, caller_name=owner.person.name,
            received_at=received_at, **extra,
        ))  # fmt: skip


def run_desk_year(desk: Desk, months: list[datetime.date]) -> int:
    """The contacts of every month before this one; returns how many."""
    made = 0
    for index, month in enumerate(months[:-1]):
        made += _month(desk, month, index)
    return made


def _month(desk: Desk, month: datetime.date, index: int) -> int:
    plan = [("repair", k) for k in range(7)] + [("complaint", 0), ("inquiry", 0), ("inquiry", 1)]
    plan += [("complaint", 1), ("inquiry", 2), ("suggestion", 0)]
    plan += [("help", 0)] if index % 2 else [("praise", 0)]
    days = last_day(month) - 7  # the last contacts are settled within the month
    first_complaint = None
    for k, (what, m) in enumerate(plan):
        n = index * len(plan) + k
        received = at(month, 1 + k * days // len(plan), 8 + n % 11, (n * 13) % 60)
        if what == "repair":
            _repair(desk, n, received)
        elif what == "complaint":
            ticket = _complaint(desk, n, received, linked_to=first_complaint if m and index % 3 == 1 else None)  # fmt: skip
            first_complaint = first_complaint or ticket
        elif what == "inquiry":
            subject, answer = INQUIRIES[n % len(INQUIRIES)]
            with clock.as_of(received):
                desk.intake(n, Kind.INQUIRY, subject, received, handled_at_once=True, answer=answer,
                            channel="visit" if n % 2 else "phone")  # fmt: skip
        elif what == "suggestion":
            _answered(desk, n, received, Kind.SUGGESTION, SUGGESTIONS[index % 3], "已转相关部门研究，下月答复")  # fmt: skip
        elif what == "praise":
            with clock.as_of(received):
                desk.intake(n, Kind.PRAISE, PRAISE[index % 3], received, channel="online",
                            handled_at_once=True, answer="已转达并表扬")  # fmt: skip
        else:
            _help(desk, n, received)
    return len(plan)


def _worker(desk: Desk, n: int):
    with_login = [e for e in desk.technicians if e.user_id]
    return with_login[n % len(with_login)]


def _repair(desk: Desk, n: int, received) -> None:
    subject, category = REPAIRS[n % len(REPAIRS)]
    late, needs_parts, unsatisfied = n % 9 == 4, n % 13 == 6, n % 11 == 3
    with clock.as_of(received):
        ticket = desk.intake(n, Kind.REPAIR, subject, received, category=desk.categories[category])
    visit = _visit(desk, ticket, n, received + timedelta(minutes=15), received + timedelta(hours=3))
    if visit is None:
        return
    order, worker_user = visit
    arrive = order.visit_at + (timedelta(minutes=50) if late else -timedelta(minutes=10))
    if late:  # the visit's time passes with nobody there: the clock marks the breach
        with clock.as_of(order.visit_at + timedelta(minutes=5)):
            sweeps.sweep(now=clock.now())
    _work(desk, order, worker_user, arrive, subject, n, needs_parts=needs_parts)
    called = arrive + timedelta(days=1, hours=2)
    with clock.as_of(called):
        services.record_callback(ticket=ticket, actor=desk.clerk, satisfied=not unsatisfied,
                                 comment="还是有问题，需要再修" if unsatisfied else "满意")  # fmt: skip
    if not unsatisfied:
        return
    again = _visit(
        desk, ticket, n + 1, called + timedelta(minutes=10), called + timedelta(hours=20)
    )
    order, worker_user = again
    _work(desk, order, worker_user, order.visit_at, subject + "（返修）", n + 1, needs_parts=False)
    with clock.as_of(order.visit_at + timedelta(days=1)):
        services.record_callback(ticket=ticket, actor=desk.clerk, satisfied=True, comment="返修后满意")  # fmt: skip


def _visit(desk: Desk, ticket, n: int, when, visit_at):
    """Dispatch (the desk's choice, the pool or rotation) and the worker's acceptance."""
    mode = ticket.category.dispatch_mode
    worker = _worker(desk, n)
    with clock.as_of(when):
        services.dispatch_ticket(ticket=ticket, actor=desk.clerk, visit_at=visit_at,
                                 assignee=worker if mode == "desk" else None)  # fmt: skip
    order = WorkOrder.objects.filter(ticket=ticket).order_by("-pk").first()
    with clock.as_of(when + timedelta(minutes=10)):
        if order.worker is None:  # offered to the pool: the first engineer to look takes it
            services.take_work_order(work_order=order, actor=worker.user)
        else:
            services.accept_work_order(work_order=order, actor=order.worker.user or desk.clerk)
    order.refresh_from_db()
    return order, order.worker.user or desk.clerk


def _work(desk: Desk, order, actor, arrive, subject, n, *, needs_parts: bool) -> None:
    with clock.as_of(arrive):
        services.record_arrival(work_order=order, actor=actor)
    finished = arrive + timedelta(minutes=45 + n % 40)
    if needs_parts:
        with clock.as_of(finished):
            services.finish_work_order(work_order=order, actor=actor, work_done="已拆检，需更换配件",
                                       result=WorkOrder.Result.NEEDS_PARTS)  # fmt: skip
        arrive, finished = finished + timedelta(days=2), finished + timedelta(days=2, hours=1)
        with clock.as_of(arrive):
            services.resume_ticket(ticket=order.ticket, actor=desk.clerk)
    paid = desk.prices[n % len(desk.prices)] if n % 7 == 2 else None
    with clock.as_of(finished):
        services.finish_work_order(work_order=order, actor=actor, work_done=f"{subject}：已处理",
                                   result=WorkOrder.Result.FIXED, price_item=paid)  # fmt: skip
    with clock.as_of(finished + timedelta(minutes=5)):
        services.sign_off_work_order(work_order=order, actor=actor, signed_by=order.ticket.caller_name,
                                     rating=5 - n % 3, comment="师傅很准时" if n % 3 else "")  # fmt: skip


def _complaint(desk: Desk, n: int, received, *, linked_to=None):
    subject, category, cause, reach = COMPLAINTS[n % len(COMPLAINTS)]
    if linked_to is not None:
        subject, category, cause, reach = COMPLAINTS[(n - 1) % len(COMPLAINTS)]
        subject = "又来投诉：" + subject
    with clock.as_of(received):
        ticket = desk.intake(n, Kind.COMPLAINT, subject, received, category=desk.categories[category],
                             agreed_at=received + timedelta(hours=4))  # fmt: skip
        if linked_to is not None:
            complaints.link_complaint(ticket=ticket, actor=desk.clerk, to=linked_to, reach=reach)
    valid = n % 4 != 3
    with clock.as_of(received + timedelta(hours=1)):
        complaints.record_investigation(ticket=ticket, actor=desk.clerk, investigation=f"现场核实：{reach}",
                                        measures="约谈相关人员，限期整改并跟进")  # fmt: skip
    with clock.as_of(received + timedelta(hours=2, minutes=30)):
        complaints.record_negotiation(ticket=ticket, actor=desk.clerk, proposal="限期整改，每日巡查",
                                      response="同意", agreed=True)  # fmt: skip
        complaints.set_root_cause(ticket=ticket, actor=desk.clerk, root_cause=desk.causes[cause])
    with clock.as_of(received + timedelta(hours=5)):
        complaints.confirm_validity(ticket=ticket, actor=desk.supervisor, valid=valid,
                                    note="" if valid else "经核实与物业服务无关")  # fmt: skip
    done = received + timedelta(days=1, hours=3)
    with clock.as_of(done):
        services.complete_ticket(ticket=ticket, actor=desk.clerk, note="已整改，复查无再发")
    satisfied = n % 5 != 1
    with clock.as_of(done + timedelta(days=2)):
        services.record_callback(ticket=ticket, actor=desk.clerk, satisfied=satisfied,
                                 comment="满意" if satisfied else "整改不彻底，仍不满意")  # fmt: skip
    if not satisfied:  # reopened: the work is done again, and the next callback closes it
        with clock.as_of(done + timedelta(days=3)):
            services.complete_ticket(ticket=ticket, actor=desk.clerk, note="再次整改，已复查")
        with clock.as_of(done + timedelta(days=4)):
            services.record_callback(ticket=ticket, actor=desk.clerk, satisfied=True, comment="再次整改后满意")  # fmt: skip
    return ticket


def _answered(desk: Desk, n: int, received, kind, subject, answer) -> None:
    with clock.as_of(received):
        ticket = desk.intake(n, kind, subject, received, channel="online")
    with clock.as_of(received + timedelta(days=1)):
        services.answer_ticket(ticket=ticket, actor=desk.clerk, answer=answer, complete=True)


def _help(desk: Desk, n: int, received) -> None:
    with clock.as_of(received):
        ticket = desk.intake(n, Kind.HELP, "老人在家摔倒，需要帮助送医", received, help_kind="medical",
                             caller_phone=f"1391234{n % 10000:04d}")  # fmt: skip
    for minutes, action in ((3, "called_120"), (12, "met_ambulance"), (40, "escorted_hospital")):
        with clock.as_of(received + timedelta(minutes=minutes)):
            complaints.record_help_action(ticket=ticket, actor=desk.clerk, action=action)
    with clock.as_of(received + timedelta(hours=2)):
        services.complete_ticket(ticket=ticket, actor=desk.clerk, note="已送医，家属已到医院")
    callback = received + timedelta(days=1, hours=1)
    if has_come(callback):
        with clock.as_of(callback):
            services.record_callback(ticket=ticket, actor=desk.clerk, satisfied=True, comment="家属感谢")  # fmt: skip
