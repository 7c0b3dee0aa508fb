"""The organisation a new company starts with (R-ADM-01) and its default authority (R-ADM-02).

Taken from the seeds' job descriptions (seed 002: the service-centre head; seeds 000 and 004:
the departments' duties). They are a starting point: a company renames posts, adds its own and
changes every limit afterwards; `install_company_defaults` never overwrites what exists.
Names and duties are stored data, so they are in Chinese, as the company's own records are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import AuthorityRule, Department

Kind = Department.Kind
Action = AuthorityRule.Action


@dataclass(frozen=True)
class DepartmentSpec:
    kind: str
    name: str


@dataclass(frozen=True)
class PostSpec:
    code: str
    department: str  # Department.Kind
    name: str
    superior: str | None  # another post's code
    role: str  # a role code of `wuye.staff.roles.ROLES`
    is_head: bool
    duties: str


@dataclass(frozen=True)
class RuleSpec:
    post: str
    action: str
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    max_days: Decimal | None = None
    note: str = ""


DEPARTMENTS: list[DepartmentSpec] = [
    DepartmentSpec(Kind.MANAGEMENT, "管理处"),
    DepartmentSpec(Kind.CUSTOMER_SERVICE, "客服部"),
    DepartmentSpec(Kind.ENGINEERING, "工程部"),
    DepartmentSpec(Kind.SECURITY, "秩序维护部"),
    DepartmentSpec(Kind.ENVIRONMENT, "环境部"),
    DepartmentSpec(Kind.FINANCE, "财务部"),
    DepartmentSpec(Kind.ADMINISTRATION, "行政人事部"),
]

# Listed superiors first, so each post's superior exists when the post is created.
POSTS: list[PostSpec] = [
    PostSpec(
        "project_manager",
        Kind.MANAGEMENT,
        "项目经理",
        None,
        "manager",
        True,
        "在公司领导下全面负责项目的经营管理;主持每周例会;审批管理处主任权限以外的人事、"
        "合同和费用事项;对管理处主任进行考核。",
    ),
    PostSpec(
        "centre_head",
        Kind.MANAGEMENT,
        "管理处主任",
        "project_manager",
        "manager",
        False,
        "在经理领导下负责管理处(客户服务中心)全面工作;组织主持工程、保安、清洁等部门每日例会;"
        "制定员工培训计划;带领下属巡楼,审阅物业助理日记;每月考评表次月2号交;处理下属未能"
        "解决的投诉和突发事件;督导费用收缴,每月提交收费统计表;每月组织月检;组织社区文化活动"
        "每年不少于3次;协调业委会及政府部门关系。",
    ),
    PostSpec(
        "cs_supervisor",
        Kind.CUSTOMER_SERVICE,
        "客服主管",
        "centre_head",
        "cs_supervisor",
        True,
        "安排和调整客服人员工作,落实岗位责任制;组织受理报修、投诉、咨询并跟踪回访;建立健全"
        "业户档案;组织管理费催交;组织日检、周检,处理不合格服务并跟踪纠正措施。",
    ),
    PostSpec(
        "cs_clerk",
        Kind.CUSTOMER_SERVICE,
        "客服专员",
        "cs_supervisor",
        "cs_clerk",
        False,
        "前台接待,接听电话,接待来访;提供咨询并解答问题;登记报修、投诉并转交相关部门;"
        "回访业户;办理入住、装修等手续;更新业户资料。",
    ),
    PostSpec(
        "engineering_supervisor",
        Kind.ENGINEERING,
        "工程主管",
        "centre_head",
        "engineer",
        True,
        "负责机电设备、管道、房屋本体及公共设施的运行、维护和检修;制定保养计划;安排维修派工"
        "并检查维修质量;审核装修申请的技术方案。",
    ),
    PostSpec(
        "technician",
        Kind.ENGINEERING,
        "维修技工",
        "engineering_supervisor",
        "engineer",
        False,
        "按派工单及时完成公共设施和业户室内水电维修;按计划巡检、保养设备;填写维修记录。",
    ),
    PostSpec(
        "security_supervisor",
        Kind.SECURITY,
        "秩序维护主管",
        "centre_head",
        "guard",
        True,
        "落实治安和消防安全管理;安排值班和巡逻;检查各岗位执勤情况;组织处置突发事件;"
        "组织消防演练和培训。",
    ),
    PostSpec(
        "guard",
        Kind.SECURITY,
        "秩序维护员",
        "security_supervisor",
        "guard",
        False,
        "门岗值守,登记来访人员和大宗物品出入;控制车辆出入;按路线巡逻;制止有损小区管理的行为;"
        "做好交接班记录。",
    ),
    PostSpec(
        "environment_supervisor",
        Kind.ENVIRONMENT,
        "环境主管",
        "centre_head",
        "environment",
        True,
        "安排保洁和绿化工作并检查质量;制定清洁、绿化和消杀计划;监督外判保洁单位工作。",
    ),
    PostSpec(
        "cleaner",
        Kind.ENVIRONMENT,
        "保洁员",
        "environment_supervisor",
        "environment_staff",
        False,
        "按标准清扫楼道、电梯、公共区域;收集清运垃圾;保持责任区整洁。",
    ),
    PostSpec(
        "gardener",
        Kind.ENVIRONMENT,
        "绿化员",
        "environment_supervisor",
        "environment_staff",
        False,
        "养护小区绿地、花木,按季修剪、浇灌、施肥和除虫;保持绿化区域整洁。",
    ),
    PostSpec(
        "finance_supervisor",
        Kind.FINANCE,
        "财务主管",
        "centre_head",
        "finance",
        True,
        "负责管理处收费和账务;审核收款、退款和作废;编制收费统计和分析表;督导收费员日结。",
    ),
    PostSpec(
        "cashier",
        Kind.FINANCE,
        "收费员",
        "finance_supervisor",
        "cashier",
        False,
        "收取管理费、水电费、停车费等费用并开具收据;办理日结;配合催费。",
    ),
    PostSpec(
        "teller",
        Kind.FINANCE,
        "出纳",
        "finance_supervisor",
        "cashier",
        False,
        "管理现金和银行存款;办理收付款;登记现金和银行日记账;保管备用金。",
    ),
    PostSpec(
        "administration_supervisor",
        Kind.ADMINISTRATION,
        "行政人事主管",
        "centre_head",
        "hr_admin",
        True,
        "负责员工招聘、入职、离职、考勤和考评;制定培训计划并跟踪完成;管理采购、仓库和员工宿舍。",
    ),
    PostSpec(
        "office_clerk",
        Kind.ADMINISTRATION,
        "行政文员",
        "administration_supervisor",
        "office_clerk",
        False,
        "收发文件,整理档案;统计考勤;办理办公用品领用;协助组织会议和活动。",
    ),
]

_SUPERVISORS = [
    "cs_supervisor",
    "engineering_supervisor",
    "security_supervisor",
    "environment_supervisor",
    "finance_supervisor",
    "administration_supervisor",
]


_SEED_NOTE = "R-ADM-02"
_DEFAULT_NOTE = "默认值"

RULES: list[RuleSpec] = [
    # Leave: supervisors half a day, the centre head 1 day (seed 002), the manager 3 days.
    *[
        RuleSpec(code, Action.SICK_LEAVE, max_days=Decimal("0.5"), note=_DEFAULT_NOTE)
        for code in _SUPERVISORS
    ],
    RuleSpec("centre_head", Action.SICK_LEAVE, max_days=Decimal("1"), note=_SEED_NOTE),
    RuleSpec("project_manager", Action.SICK_LEAVE, max_days=Decimal("3"), note=_DEFAULT_NOTE),
    *[
        RuleSpec(code, Action.PERSONAL_LEAVE, max_days=Decimal("0.5"), note=_DEFAULT_NOTE)
        for code in _SUPERVISORS
    ],
    RuleSpec("centre_head", Action.PERSONAL_LEAVE, max_days=Decimal("1"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.PERSONAL_LEAVE, max_days=Decimal("3"), note=_DEFAULT_NOTE),
    # Pay changes: the centre head proposes up to 200 yuan (seed 002).
    RuleSpec("centre_head", Action.PAY_ADJUSTMENT, max_amount=Decimal("200"), note=_SEED_NOTE),
    RuleSpec(
        "project_manager", Action.PAY_ADJUSTMENT, max_amount=Decimal("500"), note=_DEFAULT_NOTE
    ),
    # Contracts: the centre head proposes from 500 to 3,000 yuan (seed 002); below 500 is a
    # supervisor's, above 3,000 the manager's up to 20,000, beyond that the company's.
    *[
        RuleSpec(code, Action.CONTRACT, max_amount=Decimal("500"), note=_DEFAULT_NOTE)
        for code in _SUPERVISORS
    ],
    RuleSpec(
        "centre_head",
        Action.CONTRACT,
        min_amount=Decimal("500"),
        max_amount=Decimal("3000"),
        note=_SEED_NOTE,
    ),
    RuleSpec("project_manager", Action.CONTRACT, max_amount=Decimal("20000"), note=_DEFAULT_NOTE),
    # Purchases and expense claims.
    *[
        RuleSpec(code, Action.PURCHASE, max_amount=Decimal("200"), note=_DEFAULT_NOTE)
        for code in _SUPERVISORS
    ],
    RuleSpec("centre_head", Action.PURCHASE, max_amount=Decimal("1000"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.PURCHASE, max_amount=Decimal("5000"), note=_DEFAULT_NOTE),
    *[
        RuleSpec(code, Action.EXPENSE, max_amount=Decimal("200"), note=_DEFAULT_NOTE)
        for code in _SUPERVISORS
    ],
    RuleSpec("centre_head", Action.EXPENSE, max_amount=Decimal("1000"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.EXPENSE, max_amount=Decimal("5000"), note=_DEFAULT_NOTE),
    # Fines on staff: the seed gives them as shares of base pay; in yuan a supervisor proposes
    # small ones and the centre head decides up to 200.
    *[
        RuleSpec(code, Action.FINE, max_amount=Decimal("50"), note=_DEFAULT_NOTE)
        for code in _SUPERVISORS
    ],
    RuleSpec("centre_head", Action.FINE, max_amount=Decimal("200"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.FINE, max_amount=Decimal("1000"), note=_DEFAULT_NOTE),
    # Money already received or billed: finance first, then the centre head, then the manager.
    RuleSpec("finance_supervisor", Action.REFUND, max_amount=Decimal("500"), note=_DEFAULT_NOTE),
    RuleSpec("centre_head", Action.REFUND, max_amount=Decimal("2000"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.REFUND, max_amount=Decimal("10000"), note=_DEFAULT_NOTE),
    RuleSpec(
        "finance_supervisor", Action.VOID_PAYMENT, max_amount=Decimal("1000"), note=_DEFAULT_NOTE
    ),
    RuleSpec("centre_head", Action.VOID_PAYMENT, max_amount=Decimal("5000"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.VOID_PAYMENT, note=_DEFAULT_NOTE),
    RuleSpec(
        "finance_supervisor", Action.CANCEL_BILL_LINE, max_amount=Decimal("500"), note=_DEFAULT_NOTE
    ),
    RuleSpec(
        "centre_head", Action.CANCEL_BILL_LINE, max_amount=Decimal("3000"), note=_DEFAULT_NOTE
    ),
    RuleSpec("project_manager", Action.CANCEL_BILL_LINE, note=_DEFAULT_NOTE),
    RuleSpec("cs_supervisor", Action.WAIVE_LATE_FEE, max_amount=Decimal("50"), note=_DEFAULT_NOTE),
    RuleSpec(
        "finance_supervisor", Action.WAIVE_LATE_FEE, max_amount=Decimal("100"), note=_DEFAULT_NOTE
    ),
    RuleSpec("centre_head", Action.WAIVE_LATE_FEE, max_amount=Decimal("500"), note=_DEFAULT_NOTE),
    RuleSpec(
        "project_manager", Action.WAIVE_LATE_FEE, max_amount=Decimal("2000"), note=_DEFAULT_NOTE
    ),
    # Relief (减免): written off like a cancelled line, so the same bounds by default; a row of
    # its own so that a company can set it apart (R-ADM-02).
    RuleSpec("finance_supervisor", Action.RELIEF, max_amount=Decimal("500"), note=_DEFAULT_NOTE),
    RuleSpec("centre_head", Action.RELIEF, max_amount=Decimal("3000"), note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.RELIEF, note=_DEFAULT_NOTE),
    # Closing a ticket without its callback: the desk's supervisor or above.
    RuleSpec("cs_supervisor", Action.FORCE_CLOSE_TICKET, note=_DEFAULT_NOTE),
    RuleSpec("centre_head", Action.FORCE_CLOSE_TICKET, note=_DEFAULT_NOTE),
    RuleSpec("project_manager", Action.FORCE_CLOSE_TICKET, note=_DEFAULT_NOTE),
]
