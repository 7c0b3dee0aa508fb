"""`wuye bench customers`: how fast the registers import and search on a large site.

Builds a site with 5,000 units and 20,000 people, then times (a) importing 10,000 owners from
an .xlsx file it generates — through the import the page runs — beside openpyxl merely reading
the same file (read-only, every row's values; the faster of two reads) and the ratio of the two,
and (b) a name / pinyin search returning its first page. Runs in a throwaway
database (see the `bench` command).
"""

from __future__ import annotations

import io
import math
import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from openpyxl import Workbook, load_workbook

from wuye.core.identity import name_pinyin
from wuye.core.models import Company, Site
from wuye.estate.models import Building
from wuye.estate.services import create_building, create_entrance, generate_units

from .models import Person
from .people_import import import_people
from .queries import search_people, with_current_units
from .services import identity_columns, phone_columns
from .workbooks import PEOPLE_COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华志晓燕海春梅国庆子涵雨萱浩然思远嘉怡俊欣文博婷宇航佳琪梓轩"
PER_BUILDING = 250  # 2 entrances × 25 floors × 5 units
SEARCHES = ["zhang", "zs", "王", "liwei", "chenjing", "lw", "刘洋", "huang"]


def _name(i: int) -> str:
    given = GIVEN[(i * 7) % len(GIVEN)] + ("" if i % 3 else GIVEN[(i * 13) % len(GIVEN)])
    return SURNAMES[(i * 31) % len(SURNAMES)] + given


def _id(i: int) -> str:
    """A distinct valid ID number for every i below 1,000,000: the birth date counts
    thousands, the sequence the rest."""
    import datetime

    from stdnum.cn import ric

    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 1000)
    body = f"{['110101', '310104', '440305', '440306'][i % 4]}{born:%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _phone(i: int) -> str:
    return f"13{5 + i % 4}{10000000 + i * 7:08d}"[:11]


def _build_site(units: int, report: Callable[[str], None]):
    user = get_user_model().objects.create_superuser("bench", password="bench-2026")
    company = Company.objects.create(name="基准物业")
    site = Site.objects.create(company=company, code="bench", name="基准小区")
    buildings = math.ceil(units / PER_BUILDING)
    for b in range(1, buildings + 1):
        building = create_building(
            site=site, actor=user, code=str(b), name=f"{b}栋", floors_above=25
        )
        for e in (1, 2):
            entrance = create_entrance(building=building, actor=user, code=str(e))
            generate_units(
                building=building,
                actor=user,
                entrance=entrance,
                first_floor=1,
                last_floor=25,
                units_per_floor=5,
                floor_area=89,
            )
        report(f"units: {b * PER_BUILDING:,}/{buildings * PER_BUILDING:,}")
    return site, user


def _build_people(site, count: int, report: Callable[[str], None]) -> None:
    batch = []
    for i in range(count):
        name = _name(i)
        columns = identity_columns(kind="individual", id_type="", id_number=_id(i))
        columns.update(phone_columns(_phone(i)))
        columns.pop("_clean", None)
        batch.append(Person(site=site, name=name, name_pinyin=name_pinyin(name), **columns))
        if len(batch) == 2000:
            Person.objects.bulk_create(batch)
            batch = []
            report(f"people: {i + 1}/{count}")
    Person.objects.bulk_create(batch)


def _owners_file(rows: int, units: list[str]) -> bytes:
    """Two owners per unit; every other owner is someone the site already knows (the import
    must find them), the rest are new."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("owners")
    ws.append([texts[0] for texts in PEOPLE_COLUMNS.values()])
    blank = [""] * (len(PEOPLE_COLUMNS) - 6)
    for r in range(rows):
        i = r if r % 2 == 0 else 1_000_000 - r  # even rows: known people; odd: new ones
        ws.append([units[r // 2], "业主", _name(i), "身份证", _id(i), _phone(i)] + blank)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _read_only(data: bytes) -> int:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _row in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return count


def run(
    *,
    units: int = 5000,
    people: int = 20000,
    import_rows: int = 10000,
    report: Callable[[str], None] = lambda message: None,
) -> dict:
    site, user = _build_site(units, report)
    _build_people(site, people, report)
    codes = list(site_units(site))
    data = _owners_file(min(import_rows, 2 * len(codes)), codes)
    report("reading the file with openpyxl")
    reads = []
    for _attempt in range(2):  # the faster of two reads: the baseline is not flattered
        started = time.perf_counter()
        _read_only(data)
        reads.append(time.perf_counter() - started)
    read_s = min(reads)
    report("importing")
    started = time.perf_counter()
    result = import_people(site=site, actor=user, data=data)
    import_s = time.perf_counter() - started
    report(f"imported: {result}")
    timings = []
    for q in SEARCHES * 3:
        started = time.perf_counter()
        list(with_current_units(search_people(site, q).order_by("name_pinyin", "pk"))[:50])
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "units": len(codes),
        "people": Person.objects.filter(site=site).count(),
        "import_rows": result["owners"],
        "import_s": round(import_s, 3),
        "openpyxl_read_s": round(read_s, 3),
        "import_over_read": round(import_s / read_s, 2),
        "search_ms": round(statistics.median(timings), 2),
    }


def site_units(site) -> list[str]:
    from wuye.estate.models import Unit

    return list(
        Unit.objects.filter(building__in=Building.objects.filter(site=site))
        .order_by("code")
        .values_list("code", flat=True)
    )


def bench(*, scale: float, report: Callable[[str], None]) -> dict:
    return run(
        units=max(PER_BUILDING, int(5000 * scale)),  # one building at least
        people=max(1000, int(20000 * scale)),
        import_rows=max(500, int(10000 * scale)),
        report=report,
    )
