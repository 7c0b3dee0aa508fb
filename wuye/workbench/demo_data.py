"""The demo company: names and numbers that look like a real Shenzhen community."""

from decimal import Decimal

COMPANY = {"name": "宜居物业服务有限公司", "short_name": "宜居物业"}

SITES = [
    {
        "code": "cuihu",
        "name": "翠湖苑管理处",
        "address": "深圳市南山区翠湖路88号",
        "phone": "0755-26688000",
        # 8 buildings × 2 entrances × 16 floors × 4 units = 1,024 units
        "buildings": [(str(n), f"{n}栋", 2, 16, 4) for n in range(1, 9)],
        "parking": [("B1", "地下一层", "underground", 220), ("D", "地面", "surface", 100)],
    },
    {
        "code": "fenglin",
        "name": "枫林湾管理处",
        "address": "深圳市宝安区枫林大道12号",
        "phone": "0755-27799000",
        "buildings": [(str(n), f"{n}栋", 1, 6, 2) for n in range(1, 3)],
        "parking": [("D", "地面", "surface", 30)],
    },
]

# Floor areas by position on a floor: corner flats are larger.
AREAS = [Decimal("128.60"), Decimal("89.50"), Decimal("92.30"), Decimal("143.20")]
INDOOR_RATIO = Decimal("0.80")

PASSWORD = "demo-2026"

# (login or None, employee number, name, post code, phone)
EMPLOYEES = [
    ("manager", "E001", "王建国", "project_manager", "13800138001"),
    (None, "E002", "李秀英", "centre_head", "13800138002"),
    ("supervisor", "E010", "陈静", "cs_supervisor", "13800138010"),
    ("clerk", "E011", "张丽", "cs_clerk", "13800138011"),
    (None, "E012", "刘洋", "cs_clerk", "13800138012"),
    (None, "E013", "杨帆", "cs_clerk", "13800138013"),
    (None, "E014", "赵敏", "cs_clerk", "13800138014"),
    (None, "E020", "黄志强", "engineering_supervisor", "13800138020"),
    ("engineer", "E021", "周师傅", "technician", "13800138021"),
    ("engineer2", "E022", "吴刚", "technician", "13800138022"),
    (None, "E023", "郑伟", "technician", "13800138023"),
    (None, "E024", "孙磊", "technician", "13800138024"),
    (None, "E030", "马军", "security_supervisor", "13800138030"),
    ("guard", "E031", "胡勇", "guard", "13800138031"),
    (None, "E032", "朱斌", "guard", "13800138032"),
    (None, "E033", "高峰", "guard", "13800138033"),
    (None, "E034", "林涛", "guard", "13800138034"),
    (None, "E035", "何超", "guard", "13800138035"),
    (None, "E036", "郭亮", "guard", "13800138036"),
    (None, "E037", "罗平", "guard", "13800138037"),
    (None, "E038", "梁波", "guard", "13800138038"),
    (None, "E040", "宋桂兰", "environment_supervisor", "13800138040"),
    (None, "E041", "谢秀珍", "cleaner", "13800138041"),
    (None, "E042", "韩玉梅", "cleaner", "13800138042"),
    (None, "E043", "唐凤英", "cleaner", "13800138043"),
    (None, "E044", "冯建华", "gardener", "13800138044"),
    ("finance", "E050", "曹红", "finance_supervisor", "13800138050"),
    ("cashier", "E051", "彭晓燕", "cashier", "13800138051"),
    (None, "E052", "许丹", "teller", "13800138052"),
    (None, "E060", "蒋文", "administration_supervisor", "13800138060"),
    (None, "E061", "邓佳", "office_clerk", "13800138061"),
]

# The resident with a portal login: the owner of 2-1-0503 (registered at move-in with this
# phone), who paid online each month until three months ago, so those months' charges are open,
# and has a repair going.
RESIDENT = {"unit": "2-1-0503", "name": "卢超", "phone": "13910005032"}

# The smaller second site: a skeleton crew, so the manager's site switcher has somewhere to go.
SECOND_SITE_EMPLOYEES = [
    (None, "F001", "钱立新", "centre_head", "13900139001"),
    (None, "F011", "孔雪", "cs_clerk", "13900139011"),
    (None, "F021", "田师傅", "technician", "13900139021"),
    (None, "F031", "石磊", "guard", "13900139031"),
]

# Ground-floor shops along the street side of building 1.
SHOPS = [("S01", Decimal("65.00")), ("S02", Decimal("48.50")), ("S03", Decimal("120.00"))]

# Every n-th flat is vacant, every m-th is being renovated; the rest are lived in.
VACANT_EVERY = 13
RENOVATING_EVERY = 47

FACILITY_EXTRAS = [
    ("GATE-01", "南大门", "gate", "南门"),
    ("GATE-02", "东门车辆道闸", "gate", "东门"),
    ("PUMP-01", "生活水泵房", "pump_room", "地下一层"),
    ("PUMP-02", "消防水泵房", "pump_room", "地下一层"),
    ("POWER-01", "高低压配电房", "power_room", "地下一层"),
    ("FIRE-01", "消防控制中心", "fire", "1栋首层"),
    ("CCTV-01", "监控中心", "cctv", "1栋首层"),
    ("PLAY-01", "儿童游乐区", "playground", "中心花园"),
    ("CLUB-01", "会所", "clubhouse", "中心花园北侧"),
]

# Residents: names are drawn from these by unit, so every run builds the same people.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
    "晓燕",
    "海燕",
    "春梅",
    "国庆",
    "子涵",
    "雨萱",
    "浩然",
    "思远",
    "嘉怡",
    "俊杰",
    "欣怡",
    "文博",
    "婷婷",
    "宇航",
    "佳琪",
    "梓轩",
]
# Shenzhen districts (南山, 宝安, 福田, 罗湖) and two places people move from.
ID_REGIONS = ["440305", "440306", "440304", "440303", "430102", "360102"]
# Every n-th occupied flat is let to a tenant, has two owners, keeps a dog, parks a car.
TENANT_EVERY = 9
CO_OWNED_EVERY = 5
DOG_EVERY = 17
CAR_EVERY = 3
DOG_BREEDS = ["泰迪", "柯基", "金毛", "比熊", "柴犬", "拉布拉多"]
CAR_BRANDS = ["比亚迪 汉", "丰田 凯美瑞", "大众 帕萨特", "特斯拉 Model 3", "本田 雅阁", "蔚来 ES6"]
MOVE_IN_CHECKLIST = [
    "keys",
    "access_card",
    "residence_manual",
    "quality_guarantee",
    "management_rules",
    "renovation_rules",
    "meter_readings",
]


def id_check_digit(body: str) -> str:
    """The check digit of a resident ID number's first 17 digits (GB 11643)."""
    from stdnum.cn import ric

    return ric.calc_check_digit(body + "0")
