"""Money as finance staff read it, across billing's outputs: ¥1,234,567.80 on the pages, 1,234,567.80
in the PDFs' 元 columns, and every .xlsx exporter's money cells numbers in `YUAN_FORMAT` (R-FEE-03,
docs/development.md "how to show money")."""

import datetime
import io
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.clients import signed_in
from wuye.billing import bill_runs, late_fees, services
from wuye.billing.models import FeeItem
from wuye.core.money import YUAN_FORMAT
from wuye.pastbills.rows import HISTORY_COLUMNS

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MILLION = D("1234567.80")


@pytest.fixture
def million(fee_item, finance, estate, time_machine):
    """Every unit billed ¥1,234,567.80 of rent for September 2026 (due 15 October) under a
    late-fee rule; on 20 November it is overdue and accruing. 1-0101 is returned."""
    sup = finance["sup"].user
    time_machine.move_to(datetime.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI))
    item = fee_item("rent", FeeItem.Method.PER_UNIT, name="商铺租金")
    services.set_rate(fee_item=item, actor=sup, amount=MILLION, valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    late_fees.save_late_fee_rule(fee_item=item, actor=sup, basis="daily", rate_percent="0.05",
                                 grace_days=0, cap_percent="100")  # fmt: skip
    bill_runs.run_bills(site=item.site, actor=sup, month=datetime.date(2026, 9, 1))
    time_machine.move_to(datetime.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI))
    late_fees.accrue_late_fees(today=datetime.date(2026, 11, 20))
    return estate["units"][0]


EXPORTERS = {
    "unit statement": lambda unit: (reverse("billing:statement_xlsx", args=[unit.pk]), {}),
    "arrears": lambda unit: (reverse("billing:arrears"), {"export": "xlsx"}),
    "late fees": lambda unit: (reverse("billing:late_fees"), {"export": "xlsx"}),
    "collection statistics": lambda unit: (
        reverse("billing:collection_rate"),
        {"kind": "month", "period": "2026-09", "export": "xlsx"},
    ),
}


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_every_exporter_writes_its_money_as_numbers_in_the_money_format(exporter, million, finance):
    url, params = EXPORTERS[exporter](million)
    response = signed_in(finance["sup"].user).get(url, params)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    # Only money reaches a million here (days, counts and rates stay small): every such cell is
    # a number the sheet can sum, shown as ¥1,234,567.80; nothing is written as text.
    money = [c for c in cells if isinstance(c.value, int | float) and c.value >= 1_000_000]
    assert money, f"no amount in the {exporter} export"
    assert {(c.data_type, c.number_format) for c in money} == {("n", YUAN_FORMAT)}
    assert any(D(str(c.value)) % MILLION == 0 for c in money)  # a unit's, or the units' sum
    assert not [c for c in cells if isinstance(c.value, str) and "1234567" in c.value]


def test_the_past_bills_template_writes_its_example_amounts_in_the_money_format(finance):
    response = signed_in(finance["sup"].user).get(reverse("pastbills:history_import_template"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    amount, paid = list(HISTORY_COLUMNS).index("amount") + 1, list(HISTORY_COLUMNS).index("paid") + 1  # fmt: skip
    due, taken = sheet.cell(2, amount), sheet.cell(2, paid)
    assert (due.value, taken.value) == (268.5, 268.5)
    assert {due.number_format, taken.number_format} == {YUAN_FORMAT}
    assert sheet.cell(3, paid).value is None  # an unpaid example leaves the cell blank


def test_the_arrears_and_late_fee_pages_show_the_amounts_with_separators(million, finance):
    client = signed_in(finance["sup"].user)
    arrears = client.get(reverse("billing:arrears")).content.decode()
    assert "¥1,234,567.80" in arrears and "1234567.80" not in arrears
    fees = client.get(reverse("billing:late_fees")).content.decode()
    # The principal in its sentence; the accrued (¥617.2839 a day, 36 days) in its tooltip.
    assert "¥1,234,567.80" in fees and 'title="¥22,222.2204"' in fees
    account = client.get(reverse("billing:unit_account", args=[million.pk])).content.decode()
    assert "¥1,234,567.80" in account
    # Only the payment form's input keeps the plain number, for the form to parse.
    assert account.count("1234567.80") == account.count('value="1234567.80"') == 1


def test_the_statement_pdf_writes_the_amounts_with_separators(million, finance):
    response = signed_in(finance["sup"].user).get(
        reverse("billing:statement_pdf", args=[million.pk])
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "1,234,567.80" in text and "1234567.80" not in text
