"""The collection rate (R-FEE-05, R-KPI-01): each formula to the fen over a
mixed history (see `collections_history`) — due, collected of it, rate and target, arrears
recovered apart, income by method, cashier and building — for months, quarters and years; the
monthly statistics and analysis table; the page, its .xlsx and the API, scoped by site and role."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.clients import signed_in
from tests.errors import codes
from wuye.billing import collection_rate
from wuye.billing.collection_rate import Period
from wuye.billing.models import CollectionTarget
from wuye.core.money import YUAN_FORMAT

from .collections_history import DEC, JAN, NOV, OCT, SEP, make_history

pytestmark = pytest.mark.django_db
API = "/api/v1/billing/collection-rate"


@pytest.fixture
def history(time_machine, owed, estate, finance, fee_item, deposit_item):
    made = make_history(time_machine=time_machine, owed=owed, estate=estate, finance=finance,
                        fee_item=fee_item, deposit_item=deposit_item)  # fmt: skip
    time_machine.move_to(datetime.datetime(2026, 12, 20, 12, tzinfo=datetime.UTC), tick=False)
    return made


def month(day):
    return Period.containing("month", day)


def totals(site, period):
    found = collection_rate.report(sites=[site], period=period)
    return found.total.due, found.total.collected, found.total.rate, found.total.recovered


def test_r_fee_05_month_rate_is_collected_of_the_months_due_over_its_due(history, site_a):
    # September: ¥800 due; 1-0101's ¥50 on 20 September. 1-0102's payment came on 1 October
    # (Beijing time) though it was still 30 September in UTC.
    assert totals(site_a, month(SEP)) == (D("800.00"), D("50.00"), D("6.25"), D("0.00"))
    # October: ¥700 of management (1-0301's line cancelled) and the ¥80 service charge; paid
    # of it in October 1-0102's 100, 1-0201's 100 and the service charge: 280 / 780.
    # September's lines paid in October (1-0102, 1-0201, 2-0101, the shop) are arrears
    # recovered, apart; 1-0202's voided ¥100 counts nowhere.
    assert totals(site_a, month(OCT)) == (D("780.00"), D("280.00"), D("35.90"), D("400.00"))
    # November: 1-0201 paid November ahead in October, 2-0102's deposit paid it on 10 November;
    # recovered: the deposit's September and October (200) less ¥40 refunded of a September line.
    assert totals(site_a, month(NOV)) == (D("800.00"), D("200.00"), D("25.00"), D("160.00"))
    # December: ¥800 (the run posted twice, the first reversed) and the rent re-priced to ¥1500;
    # 1-0101's credit paid ¥50 of it; its ¥250 of September to November recovered.
    assert totals(site_a, month(DEC)) == (D("2300.00"), D("50.00"), D("2.17"), D("250.00"))
    # January 2027: its rent cancelled with the lease; nothing paid yet.
    assert totals(site_a, month(JAN)) == (D("800.00"), D("0.00"), D("0.00"), D("0.00"))


def test_r_kpi_01_quarter_and_year_rates_count_what_was_paid_by_the_periods_end(history, site_a):
    q4 = Period.parse("quarter", "2026-Q4")
    assert (q4.first, q4.last, q4.end) == (OCT, DEC, datetime.date(2026, 12, 31))
    # due 780 + 800 + 2300; collected of it by 31 December: October's lines 480, November's
    # 300, December's 50; recovered: September's lines paid in the quarter (400 + 60 + 50).
    assert totals(site_a, q4) == (D("3880.00"), D("830.00"), D("21.39"), D("510.00"))
    assert totals(site_a, Period.parse("quarter", "2026-Q3")) == (D("800.00"), D("50.00"), D("6.25"), D("0.00"))  # fmt: skip
    # 2026: 4680 due; 1390 collected of it (September's lines 560 net of the refund, Q4's 830).
    assert totals(site_a, Period.parse("year", "2026")) == (D("4680.00"), D("1390.00"), D("29.70"), D("0.00"))  # fmt: skip
    # The year after: 2026's lines are arrears brought in; nothing of them was paid in 2027.
    assert totals(site_a, Period.parse("year", "2027"))[3] == D("0.00")


def test_r_kpi_01_targets_90_95_98_are_the_default_and_a_site_may_set_its_own(history, site_a, finance):  # fmt: skip
    reports = {k: collection_rate.report(sites=[site_a], period=Period.containing(k, NOV)) for k in ("month", "quarter", "year")}  # fmt: skip
    assert {k: r.target for k, r in reports.items()} == {"month": D("90.00"), "quarter": D("95.00"), "year": D("98.00")}  # fmt: skip
    assert reports["month"].total.met is False
    svc = next(r for r in collection_rate.report(sites=[site_a], period=month(OCT)).by_fee_item if r.label == "有偿服务")  # fmt: skip
    assert (svc.rate, svc.met) == (D("100.00"), True)
    with pytest.raises(PermissionDenied):  # finance sees the rate; the managers set targets
        collection_rate.set_targets(site=site_a, actor=finance["sup"].user, month=20, quarter=30, year=40)  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        collection_rate.set_targets(site=site_a, actor=finance["head"].user, month=0, quarter=95, year="x")  # fmt: skip
    # Both bad targets at once: 0 is out of range and "x" is no number.
    assert {f: [e.code for e in es] for f, es in exc.value.error_dict.items()} == {"month": ["range"], "year": ["invalid"]}  # fmt: skip
    assert not CollectionTarget.objects.exists()
    collection_rate.set_targets(site=site_a, actor=finance["head"].user, month=25, quarter=95, year=98)  # fmt: skip
    again = collection_rate.report(sites=[site_a], period=month(NOV))
    assert (again.target, again.total.rate, again.total.met) == (D("25.00"), D("25.00"), True)


def test_r_fee_05_by_building_and_by_fee_item_add_up_to_the_site(history, site_a, estate):
    found = collection_rate.report(sites=[site_a], period=month(OCT))
    by_building = {r.label: (r.due, r.collected, r.recovered) for r in found.by_building}
    assert by_building == {
        "1栋": (D("580.00"), D("280.00"), D("300.00")),  # five flats' ¥100 and the service charge
        "2栋": (D("200.00"), D("0.00"), D("100.00")),
    }
    by_item = {r.label: (r.due, r.collected, r.recovered, r.owed) for r in found.by_fee_item}
    assert by_item == {
        "物业管理费": (D("700.00"), D("200.00"), D("400.00"), D("500.00")),
        "有偿服务": (D("80.00"), D("80.00"), D("0.00"), D("0.00")),
    }
    assert [r.label for r in found.by_site] == [site_a.name]
    december = collection_rate.report(sites=[site_a], period=month(DEC))
    assert {r.label: r.due for r in december.by_fee_item}["租金"] == D("1500.00")


def test_income_by_method_cashier_and_building_is_payments_less_refunds(history, site_a, finance, estate):  # fmt: skip
    october = collection_rate.report(sites=[site_a], period=month(OCT))
    assert {r.key: r.net for r in october.income_by_method} == {
        "cash": D("280.00"), "transfer": D("300.00"), "qr": D("200.00"),
    }  # fmt: skip
    cashier = finance["cashier"].user
    assert [(r.key, r.label, r.received) for r in october.income_by_cashier] == [(cashier.pk, cashier.get_full_name() or cashier.username, D("780.00"))]  # fmt: skip
    assert {r.label: r.net for r in october.income_by_building} == {"1栋": D("680.00"), "2栋": D("100.00")}  # fmt: skip
    november = collection_rate.report(sites=[site_a], period=month(NOV))
    assert (november.income.received, november.income.refunded, november.income.net) == (D("0.00"), D("40.00"), D("-40.00"))  # fmt: skip
    year = collection_rate.report(sites=[site_a], period=Period.parse("year", "2026"))
    assert (year.income.received, year.income.refunded) == (D("1630.00"), D("40.00"))


def test_the_statistics_and_analysis_table_of_a_month(history, site_a):
    rows, total = collection_rate.statistics(sites=[site_a], month=NOV)
    [mgmt] = rows
    assert (mgmt.label, mgmt.due, mgmt.collected, mgmt.rate) == ("物业管理费", D("800.00"), D("200.00"), D("25.00"))  # fmt: skip
    # brought forward: September's and October's 1500 less the 650 paid of them by October's end
    assert (mgmt.brought_forward, mgmt.recovered, mgmt.recovery_rate) == (D("850.00"), D("160.00"), D("18.82"))  # fmt: skip
    assert (mgmt.advance, mgmt.owed) == (D("0.00"), D("1290.00"))
    assert (total.due, total.owed) == (D("800.00"), D("1290.00"))
    october, _total = collection_rate.statistics(sites=[site_a], month=OCT)
    assert {r.label: (r.due, r.collected, r.brought_forward, r.recovered, r.advance, r.owed) for r in october} == {  # fmt: skip
        "物业管理费": (D("700.00"), D("200.00"), D("750.00"), D("400.00"), D("100.00"), D("850.00")),
        "有偿服务": (D("80.00"), D("80.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
    }  # fmt: skip
    points = collection_rate.trend(sites=[site_a], year=2026)
    assert [(p.month.month, p.rate) for p in points if p.due] == [
        (9, D("6.25")), (10, D("35.90")), (11, D("25.00")), (12, D("2.17")),
    ]  # fmt: skip


def test_the_report_reads_only_the_figures_and_the_recount_the_ledger(history, site_a):
    with CaptureQueriesContext(connection) as read:
        collection_rate.report(sites=[site_a], period=Period.parse("year", "2026"))
        collection_rate.statistics(sites=[site_a], month=NOV)
    sql = " ".join(q["sql"] for q in read.captured_queries)
    assert "billing_collectionfigure" in sql and "billing_incomefigure" in sql
    for ledger in ("billing_billline", "billing_allocation", "billing_payment", "billing_refund"):
        assert ledger not in sql
    assert collection_rate.compare(sites=[site_a], period=Period.parse("year", "2026")) == {}


def test_a_period_is_parsed_or_refused_with_a_field_error():
    assert Period.parse("quarter", "2026q2").months() == [datetime.date(2026, m, 1) for m in (4, 5, 6)]  # fmt: skip
    assert Period.parse("month", "2026-12").shifted(1).value == "2027-01"
    assert Period.parse("year", "2026").shifted(-1).value == "2025"
    for kind, value, code in (("month", "2026-13", "invalid"), ("week", "2026", "invalid_choice"), ("quarter", "2026-Q5", "invalid")):  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            Period.parse(kind, value)
        assert codes(exc.value) == {code}


# ---------------------------------------------------------------------------------------------
# The page and the API


def test_the_page_shows_the_rate_with_its_target_and_exports_the_table(history, finance, site_a):
    page = signed_in(finance["sup"].user, HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("billing:collection_rate")
    body = page.get(url, {"kind": "month", "period": "2026-10"}).content.decode()
    assert 'id="rate">35.90%' in body and "below target" in body and "echarts-5.6.0.min.js" in body
    assert "¥780.00" in body and "¥400.00" in body and 'id="collection-charts"' in body
    quarter = page.get(url, {"kind": "quarter", "period": "2026-Q4"}).content.decode()
    assert 'id="rate">21.39%' in quarter and "target 95.00%" in quarter
    bad = page.get(url, {"kind": "month", "period": "Oct"})
    assert bad.status_code == 200 and "Give the period like 2026-09" in bad.content.decode()
    sheet = page.get(url, {"kind": "month", "period": "2026-11", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("物业管理费", 800, 200, 25) and rows[1][8] == 1290
    formats = [c.number_format for c in load_workbook(io.BytesIO(sheet.content)).active[2]]
    money, rate = YUAN_FORMAT, "General"  # due, collected … owed are money; the rates are not
    assert formats == ["General", money, money, rate, money, money, rate, money, money]
    assert rows[-1][0] == "Total" and len(rows) == 3
    assert "echarts" not in page.get(reverse("billing:arrears")).content.decode()


def test_only_finance_and_managers_see_the_page_and_managers_set_targets(history, finance, site_a):
    url = reverse("billing:collection_rate")
    assert signed_in(finance["cashier"].user).get(url).status_code == 403
    head = signed_in(finance["head"].user)  # the centre head holds the manager role
    assert head.get(url).status_code == 200
    assert signed_in(finance["sup"].user).post(reverse("billing:collection_targets"), {"month": "80", "quarter": "90", "year": "95"}).status_code == 403  # fmt: skip
    head.post(reverse("billing:collection_targets"), {"month": "80", "quarter": "90", "year": "95"})
    assert collection_rate.targets_for(site_a) == {"month": D("80.00"), "quarter": D("90.00"), "year": D("95.00")}  # fmt: skip


def test_the_api_reports_a_site_grouped_as_asked(history, finance, site_a):
    api = signed_in(finance["sup"].user)
    body = api.get(API, {"kind": "quarter", "period": "2026-Q4", "group_by": "fee_item"}).json()
    assert body["total"] == {"key": None, "label": body["total"]["label"], "due": "3880.00", "collected": "830.00",
                             "rate": "21.39", "target": "95.00", "met": False, "owed": "3050.00", "recovered": "510.00"}  # fmt: skip
    assert [r["label"] for r in body["rows"]] == ["物业管理费", "租金", "有偿服务"]
    assert body["sites"] == [site_a.pk] and body["last_day"] == "2026-12-31"
    october = api.get(API, {"site": site_a.pk, "period": "2026-10"}).json()
    assert {r["key"]: r["net"] for r in october["income_by_method"]} == {"cash": "280.00", "transfer": "300.00", "qr": "200.00"}  # fmt: skip
    table = api.get(f"{API}/statistics", {"month": "2026-11"}).json()
    assert table["rows"][0]["owed"] == "1290.00" and table["total"]["brought_forward"] == "850.00"
    assert [p["rate"] for p in table["trend"]][8:] == ["6.25", "35.90", "25.00", "2.17"]


def test_the_api_refuses_bad_input_with_field_errors(history, finance, site_a):
    api = signed_in(finance["sup"].user)
    for params, field in (({"kind": "week"}, "kind"), ({"period": "2026-13"}, "period"),
                          ({"group_by": "unit"}, "group_by")):  # fmt: skip
        response = api.get(API, params)
        assert response.status_code == 400, params
        assert field in str(response.json())
    assert api.get(f"{API}/statistics", {"month": "November"}).status_code == 400
    assert signed_in(finance["cashier"].user).get(API).status_code == 403
    assert api.put(f"{API}/targets", {"month": 80, "quarter": 90, "year": 95}, content_type="application/json").status_code == 403  # fmt: skip
    head = signed_in(finance["head"].user)
    refused = head.put(f"{API}/targets", {"month": 101, "quarter": 90, "year": 95}, content_type="application/json")  # fmt: skip
    assert refused.status_code == 400 and "month" in str(refused.json())
    made = head.put(f"{API}/targets", {"month": 80, "quarter": 90, "year": 95}, content_type="application/json")  # fmt: skip
    assert made.json() == {"site": site_a.pk, "month": "80.00", "quarter": "90.00", "year": "95.00"}


def test_site_b_sees_nothing_of_site_a(history, finance_b, site_a, site_b):
    api = signed_in(finance_b)
    assert api.get(API, {"site": site_a.pk}).status_code == 403
    own = api.get(API, {"period": "2026-10"}).json()
    assert own["sites"] == [site_b.pk] and own["total"]["due"] == "0.00" and own["rows"] == []
    assert own["income"]["received"] == "0.00"
    assert api.get(f"{API}/statistics", {"site": site_a.pk}).status_code == 403
    page = api.get(reverse("billing:collection_rate"), {"period": "2026-10"}).content.decode()
    assert "¥780.00" not in page and "物业管理费" not in page


def test_a_manager_of_several_sites_sees_the_company_and_each_site(history, manager, site_a, site_b):  # fmt: skip
    api = signed_in(manager)
    company = api.get(API, {"period": "2026-10", "group_by": "site"}).json()
    assert company["sites"] == [site_a.pk, site_b.pk] and company["total"]["due"] == "780.00"
    assert [(r["key"], r["due"]) for r in company["rows"]] == [(site_a.pk, "780.00")]
    found = collection_rate.report(sites=[site_a, site_b], period=month(OCT))
    assert found.numbers()["total"] == collection_rate.report(sites=[site_a], period=month(OCT)).numbers()["total"]  # fmt: skip
    page = api.get(reverse("billing:collection_rate"), {"period": "2026-10", "scope": "all"})
    assert 'id="by-site"' in page.content.decode()


def test_r_kpi_01_several_sites_share_a_target_only_when_all_set_the_same(history, site_a, site_b):
    both = [site_a, site_b]
    CollectionTarget.objects.create(site=site_a, month_percent=D("92"), quarter_percent=D("95"), year_percent=D("98"))  # fmt: skip
    assert collection_rate.report(sites=both, period=month(OCT)).target == D(
        "90.00"
    )  # the company's
    CollectionTarget.objects.create(site=site_b, month_percent=D("92"), quarter_percent=D("96"), year_percent=D("98"))  # fmt: skip
    assert collection_rate.report(sites=both, period=month(OCT)).target == D("92")
    assert collection_rate.report(sites=both, period=Period.containing("quarter", OCT)).target == D("95.00")  # fmt: skip
