"""`wuye bench servicedesk`: do the desk's busiest pages stay fast as tickets pile up?

Builds a site whose tickets (mixed kinds, channels and states) are spread over three years,
first 10,000, then grown to 1,000,000 — written set-based, `INSERT … SELECT` over a generated
series, then the statistics aggregate rebuilt in one grouped query. At each size it times the
open-ticket list, the daily review, the monthly statistics and the duplicate suggestion as
the browser gets them (whole request, template included; the median of several runs) and
counts their queries. Prints `{"pages": {page: {small_ms, large_ms, small_queries,
large_queries}}, "worst_ratio"}`.
"""

from __future__ import annotations

import datetime
import statistics as stats
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wuye.core.models import Company, Site, SiteMembership
from wuye.estate.services import create_building, generate_units
from wuye.staff.models import Department
from wuye.staff.services import install_company_defaults

from . import desk
from .facts import rebuild_facts, site_zone
from .models import ComplaintEvent, Kind, Ticket

SPAN = datetime.timedelta(days=3 * 365)
RECENT_DAYS = 14  # tickets younger than this may still be open
RUNS = 7
KINDS = [  # (kind, share of 100)
    ("repair", 40), ("complaint", 20), ("help", 10), ("inquiry", 20), ("suggestion", 5),
    ("praise", 5),
]  # fmt: skip
CHANNELS = ["phone", "visit", "letter", "email", "online", "press", "referral"]
SUBJECTS = [
    "厨房水管漏水", "卫生间地漏堵塞", "客厅灯不亮", "入户门锁坏了", "电梯异响", "楼道灯不亮",
    "楼上装修噪音", "垃圾没人清理", "保安态度差", "停车位被占", "物业费怎么交", "小区绿化建议",
    "外墙渗水", "水压太低", "门禁卡失灵", "宠物扰民", "感谢维修师傅", "路灯不亮", "井盖松动",
    "空调外机滴水",
]  # fmt: skip
PAGES = ["open_list", "daily_review", "monthly_statistics", "duplicates"]


def _case(expr: str, values: list[str]) -> str:
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"(CASE {expr} {whens} END)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Sql:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"

    def at(self, base: datetime.datetime, seconds: str) -> str:
        b = base.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
        if self.pg:
            return f"(TIMESTAMPTZ '{b}+00' + ({seconds}) * INTERVAL '1 second')"
        return f"datetime('{b}', '+' || ({seconds}) || ' seconds')"

    def pad(self, expr: str) -> str:
        return f"lpad(({expr})::text, 7, '0')" if self.pg else f"printf('%07d', {expr})"

    def numbers(self, start: int, stop: int) -> tuple[str, str]:
        """(prefix, source) that make rows i = start … stop-1."""
        if self.pg:
            return "", f"generate_series({start}::bigint, {stop - 1}::bigint) AS n(i)"
        return (
            f"WITH RECURSIVE n(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM n WHERE i < {stop - 1}) ",
            "n",
        )


def insert_tickets(site: Site, *, start: int, stop: int, units: list[int], departments: dict,
                   causes: list[int], now: datetime.datetime, batch: int = 100_000,
                   report: Callable[[str], None] = lambda m: None) -> None:  # fmt: skip
    """Tickets `start`…`stop-1` of a series spread over three years before `now`, written
    with one INSERT … SELECT per batch."""
    sql = Sql(connection.vendor)
    count = stop - start
    step = max(1, int(SPAN.total_seconds()) // count)
    base = now - SPAN
    recent_from = stop - int(count * RECENT_DAYS * 86400 / SPAN.total_seconds())
    i = "n.i"
    received_s = f"(({i} - {start}) * {step} + ({i} * 7919) % {step})"
    kind_slot = f"({i} % 100)"
    bounds, kinds = 0, []
    for kind, share in KINDS:
        bounds += share
        kinds.append((bounds, kind))
    kind_expr = (
        "(CASE " + " ".join(f"WHEN {kind_slot} < {b} THEN '{k}'" for b, k in kinds) + " END)"
    )
    recent = f"({i} >= {recent_from})"
    state = (
        f"(CASE WHEN {recent} THEN {_case(f'{i} % 4', [_literal(s) for s in ('open', 'assigned', 'in_progress', 'completed')])}"
        f" WHEN {i} % 50 = 0 THEN 'completed' ELSE 'closed' END)"
    )  # fmt: skip
    done = f"({state} IN ('completed', 'closed'))"
    closed = f"({state} = 'closed')"
    clocked = f"({kind_slot} < 90)"
    late = f"({i} % 3 = 0)"
    complaint = f"({kind_slot} >= 40 AND {kind_slot} < 60)"
    needs_callback = f"({kind_slot} < 70)"
    dept_by_kind = (
        f"(CASE WHEN {kind_slot} < 40 THEN {departments['engineering']} "
        f"WHEN {kind_slot} < 60 THEN {departments['customer_service']} "
        f"WHEN {kind_slot} < 70 THEN {departments['security']} ELSE NULL END)"
    )
    expressions = {
        "site_id": str(site.pk),
        "created_at": sql.at(base, received_s),
        "updated_at": sql.at(base, received_s),
        "number": f"'TK-BENCH-' || {sql.pad(i)}",
        "kind": kind_expr,
        "channel": _case(f"({i} * 7 / 100) % 7", [_literal(c) for c in CHANNELS]),
        "state": state,
        "caller_name": _case(
            f"{i} % 5", [_literal(n) for n in ("张三", "李四", "王五", "赵六", "陈七")]
        ),  # fmt: skip
        "caller_phone_masked": "'138****5678'",
        "unit_id": _case(f"({i} * 13) % {len(units)}", [str(u) for u in units])
        if len(units) <= 50
        else f"({units[0]} + ({i} * 13) % {len(units)})",
        "subject": _case(f"({i} / 3) % {len(SUBJECTS)}", [_literal(s) for s in SUBJECTS]),
        "description": "''",
        "received_at": sql.at(base, received_s),
        "department_id": dept_by_kind,
        "clock": f"(CASE WHEN {clocked} THEN 'visit' ELSE '' END)",
        "due_at": f"(CASE WHEN {clocked} THEN {sql.at(base, received_s + ' + 86400')} END)",
        "warn_at": f"(CASE WHEN {clocked} THEN {sql.at(base, received_s + ' + 69120')} END)",
        "met_at": f"(CASE WHEN {clocked} AND {done} THEN {sql.at(base, received_s + f' + (CASE WHEN {late} THEN 129600 ELSE 43200 END)')} END)",  # fmt: skip
        "breached_at": f"(CASE WHEN {clocked} AND {done} AND {late} THEN {sql.at(base, received_s + ' + 86400')} END)",  # fmt: skip
        "is_event_primary": "FALSE",  # until `give_events` makes each complaint its own event
        "root_cause_id": f"(CASE WHEN {complaint} AND {done} THEN {_case(f'{i} % {len(causes)}', [str(c) for c in causes])} END)",  # fmt: skip
        "is_valid": f"(CASE WHEN {complaint} AND {done} THEN ({i} % 10 < 8) END)",
        "needs_callback": f"(CASE WHEN {needs_callback} THEN TRUE ELSE FALSE END)",
        "completed_at": f"(CASE WHEN {done} THEN {sql.at(base, received_s + ' + 86400')} END)",
        "closed_at": f"(CASE WHEN {closed} THEN {sql.at(base, received_s + ' + 172800')} END)",
        "called_back_at": f"(CASE WHEN {closed} AND {needs_callback} THEN {sql.at(base, received_s + ' + 172800')} END)",  # fmt: skip
        "satisfied": f"(CASE WHEN {closed} AND {needs_callback} THEN ({i} % 20 <> 0) END)",
        "hurry_count": f"(CASE WHEN {i} % 17 = 0 THEN 1 ELSE 0 END)",
    }
    columns, values, params = [], [], []
    for field in Ticket._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        elif field.null:
            values.append("NULL")
        else:
            values.append("%s")
            params.append(field.get_db_prep_value(field.get_default(), connection))
    table = connection.ops.quote_name(Ticket._meta.db_table)
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        prefix, source = sql.numbers(first, last)
        statement = f"{prefix}INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # fmt: skip
        # The modulo operator is a literal % beside the %s parameters: escape it.
        statement = statement.replace("%", "%%").replace("%%s", "%s")
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
        report(f"tickets: {last:,}/{stop:,}")
    give_events(site)


def give_events(site: Site) -> None:
    """Every complaint without an event becomes the first complaint of an event of its own,
    as registering it does (R-CMP-07): two set-based statements."""
    q = connection.ops.quote_name
    tickets, events = q(Ticket._meta.db_table), q(ComplaintEvent._meta.db_table)
    lonely = "site_id = %s AND kind = %s AND event_id IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} (site_id, created_at, updated_at, primary_id, people_count, "
            f"times_count, reach) SELECT site_id, received_at, received_at, id, 1, 1, '' "
            f"FROM {tickets} WHERE {lonely}",
            [site.pk, Kind.COMPLAINT],
        )
        cursor.execute(
            f"UPDATE {tickets} SET is_event_primary = TRUE, event_id = (SELECT e.id FROM "
            f"{events} e WHERE e.primary_id = {tickets}.id) WHERE {lonely}",
            [site.pk, Kind.COMPLAINT],
        )


def build_site(report: Callable[[str], None]):
    user_model = get_user_model()
    admin = user_model.objects.create_superuser("bench", password="bench-2026")
    company = Company.objects.create(name="基准物业")
    site = Site.objects.create(company=company, code="bench", name="基准小区")
    install_company_defaults(company=company)
    for b in range(1, 5):
        building = create_building(site=site, actor=admin, code=str(b), name=f"{b}栋", floors_above=25)  # fmt: skip
        generate_units(building=building, actor=admin, first_floor=1, last_floor=25,
                       units_per_floor=4, floor_area=89)  # fmt: skip
    report("estate: 400 units")
    causes = [desk.save_root_cause(site=site, actor=admin, name=n).pk
              for n in ("工程质量", "设施故障", "服务态度", "环境卫生", "邻里纠纷", "装修管理", "收费问题", "其他")]  # fmt: skip
    supervisor = user_model.objects.create_user("bench-supervisor", password="bench-2026")
    supervisor.groups.add(Group.objects.get(name="cs_supervisor"))
    SiteMembership.objects.create(user=supervisor, site=site, is_default=True)
    departments = {d.kind: d.pk for d in Department.objects.filter(company=company)}
    return site, supervisor, departments, causes


def time_pages(client: Client, site: Site, now: datetime.datetime) -> dict:
    today = timezone.localdate(now, timezone=site_zone(site))
    month_start = today.replace(day=1)
    urls = {
        "open_list": reverse("servicedesk:ticket_list"),
        "daily_review": reverse("servicedesk:review"),
        "monthly_statistics": f"{reverse('servicedesk:statistics')}?start={month_start}&end={today}",
        "duplicates": f"{reverse('servicedesk:duplicates')}?kind=complaint&subject=楼上装修噪音很大",
    }
    results = {}
    for page, url in urls.items():
        client.get(url)  # warm the caches, as a working server has them
        timings = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (page, response.status_code)
        results[page] = {"ms": round(stats.median(timings), 1), "queries": len(queries)}
    return results


def run(*, small: int = 10_000, large: int = 1_000_000,
        report: Callable[[str], None] = lambda m: None) -> dict:  # fmt: skip
    site, supervisor, departments, causes = build_site(report)
    units = site_units(site)
    assert units == list(range(units[0], units[0] + len(units))), "units are numbered in a row"
    now = timezone.now().replace(microsecond=0)
    insert_tickets(site, start=0, stop=small, units=units, departments=departments,
                   causes=causes, now=now, report=report)  # fmt: skip
    report("statistics aggregate")
    rebuild_facts(site)
    client = Client()
    client.force_login(supervisor)
    report(f"timing the pages at {small:,} tickets")
    first = time_pages(client, site, now)
    insert_tickets(site, start=small, stop=large, units=units, departments=departments,
                   causes=causes, now=now, report=report)  # fmt: skip
    report("statistics aggregate")
    rebuild_facts(site)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report(f"timing the pages at {large:,} tickets")
    second = time_pages(client, site, now)
    pages = {
        page: {
            "small_ms": first[page]["ms"],
            "large_ms": second[page]["ms"],
            "small_queries": first[page]["queries"],
            "large_queries": second[page]["queries"],
        }
        for page in PAGES
    }
    worst = max(p["large_ms"] / p["small_ms"] for p in pages.values())
    return {"pages": pages, "worst_ratio": round(worst, 2), "tickets": Ticket.objects.count()}


def site_units(site) -> list[int]:
    from wuye.estate.models import Unit

    return list(Unit.objects.of_site(site).order_by("pk").values_list("pk", flat=True))


def bench(*, scale: float, report: Callable[[str], None]) -> dict:
    return run(small=max(200, int(10_000 * scale)), large=max(1000, int(1_000_000 * scale)),
               report=report)  # fmt: skip
