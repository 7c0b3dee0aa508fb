"""Historical import (docs/collections.md, Historical import): a site's past bills and payments from
.xlsx — messy legacy cells read, placeholders flagged, all or nothing per file, re-runnable."""

import datetime
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.clients import signed_in
from wuye.billing import arrears, bill_runs, figures, payments, services
from wuye.billing.models import FeeItem, Payment
from wuye.core.errors import field_errors
from wuye.core.models import Job
from wuye.ledger.models import Allocation, BillLine
from wuye.pastbills.rows import parse_period
from wuye.pastbills.services import import_history

pytestmark = pytest.mark.django_db
HEADERS = ("房号", "收费项目", "所属期间", "应收金额", "实收金额", "缴费日期", "收款人", "付款方式", "业主", "电话", "身份证号")  # fmt: skip


def sheet(rows, headers=HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row) + [None] * (len(headers) - len(row)))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def mgmt(fee_item):
    return fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费", due_day=15)


LEGACY = [
    # a quarter paid in full, by a cashier who is not in wuye, two owners in one cell
    (
        "1栋0101",
        "物业管理费",
        "2025-01至2025-03",
        268.5,
        None,
        "2025/1/10",
        "张会计",
        "现金",
        "张三、李四",
        "13800138000",
        "111111111111111111",
    ),  # fmt: skip
    # a month paid in part by transfer, the fee item by its code
    ("1-0102", "mgmt", "2025年4月", "96.05", "50", "20250420", "钱收费", "转账", "王五"),
    # a month never paid
    ("2-0101", "物业管理费", datetime.date(2025, 5, 1), "100.01"),
]


def test_a_legacy_file_posts_its_bills_and_payments_as_they_were(site_a, finance, estate, mgmt):
    result = import_history(site=site_a, actor=finance["sup"].user, data=sheet(LEGACY))
    assert (result["rows"], result["lines"], result["payments"], result["paid"]) == (3, 3, 2, "318.50")  # fmt: skip
    quarter = BillLine.objects.get(unit=estate["units"][0], fee_item=mgmt)
    assert (quarter.period_start, quarter.period_end) == (datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))  # fmt: skip
    assert quarter.amount == D("268.50") and payments.line_paid(quarter) == D("268.50")
    april = BillLine.objects.get(unit=estate["units"][1], fee_item=mgmt)
    assert payments.line_paid(april) == D("50.00")
    paid = Payment.objects.get(allocations__bill_line=april)
    # 钱收费 is the site's cashier: the payment is theirs, on the day paid, by transfer
    assert paid.cashier == finance["cashier"].user and paid.method == "transfer"
    assert paid.received_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date() == datetime.date(2025, 4, 20)  # fmt: skip
    assert Allocation.objects.get(bill_line=april).collected_on == datetime.date(2025, 4, 20)
    other = Payment.objects.get(allocations__bill_line=quarter)
    assert (
        other.cashier == finance["sup"].user
        and "张会计" in other.note
        and other.payer == "张三、李四"
    )
    # unpaid and part-paid history is arrears like any other
    owing = {r["unit"]: r["total"] for r in arrears.by_unit(site_a, datetime.date(2026, 11, 25))}
    assert owing[estate["units"][1].pk] == D("46.05") and owing[estate["units"][6].pk] == D(
        "100.01"
    )
    assert figures.differences(site_a) == []  # the collection figures know the history


def test_messy_cells_are_flagged_for_cleaning_not_stored(site_a, finance, estate, mgmt):
    result = import_history(site=site_a, actor=finance["sup"].user, data=sheet(LEGACY))
    flags = [(f["row"], f["column"]) for f in result["flags"]]
    assert (2, "收款人") in flags  # not a member of the site
    assert (2, "业主") in flags  # two owners split
    assert (2, "电话") in flags and (2, "身份证号") in flags  # placeholders
    assert not [f for f in result["flags"] if f["row"] == 3]
    assert "13800138000" not in str(result["flags"])  # masked in the log


def test_importing_the_same_file_again_adds_nothing(site_a, finance, estate, mgmt):
    import_history(site=site_a, actor=finance["sup"].user, data=sheet(LEGACY))
    again = import_history(site=site_a, actor=finance["sup"].user, data=sheet(LEGACY))
    assert (again["lines"], again["payments"], again["already_imported"]) == (0, 0, 3)
    assert BillLine.objects.filter(fee_item=mgmt).count() == 3 and Payment.objects.count() == 2


def test_a_month_wuye_billed_itself_is_left_out(site_a, finance, estate, mgmt):
    services.set_rate(fee_item=mgmt, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2025, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=datetime.date(2025, 5, 1))
    result = import_history(site=site_a, actor=finance["sup"].user, data=sheet(LEGACY))
    assert (result["lines"], result["already_billed"]) == (2, 1)
    assert BillLine.objects.filter(unit=estate["units"][6], period_start=datetime.date(2025, 5, 1)).count() == 1  # fmt: skip
    assert any(f["row"] == 4 for f in result["flags"])


def test_one_bad_row_and_nothing_is_saved_with_every_bad_row_listed(site_a, finance, estate, mgmt):
    rows = LEGACY + [
        ("9-9999", "物业管理费", "2025-06", "10"),  # no such unit
        ("1-0101", "停车费", "2025-06", "10"),  # no such fee item
        ("1-0101", "物业管理费", "6月", "10"),  # no year
        ("1-0101", "物业管理费", "2025-07", "10.005"),  # a third of a fen
        ("1-0101", "物业管理费", "2025-08", "10", "20", "2025-08-01"),  # paid more than due
        ("1-0101", "物业管理费", "2025-09", "10", "5"),  # paid, no date
        ("1-0101", "物业管理费", "2025-10", "10", None, "2025-10-01", None, "支票"),  # method
        ("1-0102", "mgmt", "2025-04", "96.05"),  # the same unit, item and period twice
    ]
    with pytest.raises(ValidationError) as caught:
        import_history(site=site_a, actor=finance["sup"].user, data=sheet(rows))
    assert {e["field"]: e["code"] for e in field_errors(caught.value)} == {
        "rows.5.unit": "unknown_unit", "rows.6.fee_item": "unknown_fee_item",
        "rows.7.period": "invalid_period", "rows.8.amount": "too_precise",
        "rows.9.paid": "more_than_due", "rows.10.paid_on": "required",
        "rows.11.method": "invalid_method", "rows.12.period": "duplicate_row",
    }  # fmt: skip
    assert not BillLine.objects.exists() and not Payment.objects.exists()


def test_a_file_without_the_required_columns_is_refused(site_a, finance, mgmt):
    with pytest.raises(ValidationError) as caught:
        import_history(site=site_a, actor=finance["sup"].user, data=sheet([("1-0101", "10")], headers=("房号", "应收金额")))  # fmt: skip
    assert [(e["field"], e["code"]) for e in field_errors(caught.value)] == [
        ("file", "missing_columns")
    ]


def test_periods_are_read_in_the_ways_legacy_files_write_them():
    month = lambda y, m: datetime.date(y, m, 1)  # noqa: E731
    assert parse_period("2024-03") == (month(2024, 3), datetime.date(2024, 3, 31))
    assert parse_period("2024年2月") == (month(2024, 2), datetime.date(2024, 2, 29))
    assert parse_period("202412") == (month(2024, 12), datetime.date(2024, 12, 31))
    assert parse_period("2024/1~2024/6") == (month(2024, 1), datetime.date(2024, 6, 30))
    assert parse_period(datetime.datetime(2024, 5, 17)) == (month(2024, 5), datetime.date(2024, 5, 31))  # noqa: DTZ001 (a spreadsheet cell is naive)  # fmt: skip
    for bad in ("6月", "2024-13", "2024-06至2024-01", "", None):
        with pytest.raises((ValueError, TypeError)):
            parse_period(bad)


def test_a_cashier_may_not_import_history(site_a, finance, estate, mgmt):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_history(site=site_a, actor=finance["cashier"].user, data=sheet(LEGACY))


def test_the_page_imports_as_a_job_and_shows_the_log(site_a, finance, estate, mgmt):
    client = signed_in(finance["sup"].user, HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/billing/history/import/template.xlsx").status_code == 200
    upload = SimpleUploadedFile("past.xlsx", sheet(LEGACY))
    response = client.post("/billing/history/import/", {"file": upload})
    job = Job.objects.get(kind="billing.import_history")
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    page = client.get(response["Location"]).content.decode()
    assert (
        job.state == "done" and 'id="history-lines">3<' in page and "Flagged for cleaning" in page
    )


def test_the_api_starts_the_job_and_reports_bad_rows(site_a, finance, estate, mgmt, clerk_b):
    client = signed_in(finance["sup"].user)
    bad = SimpleUploadedFile("past.xlsx", sheet([("9-9999", "物业管理费", "2025-06", "10")]))
    started = client.post(f"/api/v1/billing/history-imports?site={site_a.pk}", {"file": bad})
    assert started.status_code == 202
    job = client.get(f"/api/v1/jobs/{started.json()['job']}").json()
    assert job["state"] == "failed" and job["errors"][0]["field"] == "rows.2.unit"
    # nobody else follows the job; another site's clerk cannot import here
    assert signed_in(clerk_b).get(f"/api/v1/jobs/{started.json()['job']}").status_code == 404
    other = signed_in(clerk_b).post(f"/api/v1/billing/history-imports?site={site_a.pk}", {"file": bad})  # fmt: skip
    assert other.status_code == 403


def test_the_command_imports_with_a_progress_bar(site_a, finance, estate, mgmt, tmp_path):
    path = tmp_path / "past.xlsx"
    path.write_bytes(sheet(LEGACY))
    out = io.StringIO()
    call_command("import_history", str(path), site=site_a.code, user=finance["sup"].user.username, stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "3/3" in text and "3 lines, 2 payments" in text and "flagged for cleaning" in text
