"""The cashier's pages: find a unit by pinyin, take a payment, print the receipt, read and
export the statement; scoped to the site."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from wuye.billing import bill_runs, services
from wuye.billing.models import FeeItem, Payment
from wuye.core.money import YUAN_FORMAT
from wuye.people import lifecycle
from wuye.people.services import register_person
from wuye.people.tests.conftest import make_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(fee_item, finance, estate, clerk_a):
    """1-0101 owned by 张三丰, owing three months of ¥100."""
    unit = estate["units"][0]
    person, _ = register_person(
        site=unit.site, actor=clerk_a, name="张三丰", id_number=make_id(), phone="13812345678"
    )
    lifecycle.register_move_in(
        unit=unit,
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(person)],
    )
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费")
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1)
    )
    for month in (9, 10, 11):
        bill_runs.run_bills(
            site=unit.site, actor=finance["sup"].user, month=datetime.date(2026, month, 1)
        )
    return unit


def test_find_a_unit_by_pinyin_and_take_a_partial_payment(client_of, finance, owed):
    client = client_of(finance["cashier"].user)
    found = client.get(reverse("billing:cashier"), {"q": "zhangsanfeng"}).content.decode()
    assert "1-0101" in found and "张三丰" in found
    url = reverse("billing:unit_account", args=[owed.pk])
    page = client.get(url)
    assert page.status_code == 200 and "¥300.00" in page.content.decode()
    key = page.context["form"].initial["idempotency_key"]
    data = {"method": "cash", "amount": "150", "tendered": "200", "idempotency_key": key}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # a double click records one payment
    assert Payment.objects.count() == 1
    statement = client.get(url).content.decode()
    assert "¥150.00" in statement  # still open
    receipt = Payment.objects.get().receipt
    pdf = client.get(reverse("billing:receipt_pdf", args=[receipt.pk]) + "?paper=thermal")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_bad_payment_input_is_a_400(client_of, finance, owed):
    url = reverse("billing:unit_account", args=[owed.pk])
    response = client_of(finance["cashier"].user).post(url, {"method": "cash", "amount": "999"})
    assert response.status_code == 400 and "amount" in response.context["form"].errors
    assert not Payment.objects.exists()


def test_statement_exports_with_the_running_balance(client_of, finance, owed):
    client = client_of(finance["cashier"].user)
    client.post(reverse("billing:unit_account", args=[owed.pk]), {"method": "qr", "amount": "120"})
    response = client.get(reverse("billing:statement_xlsx", args=[owed.pk]))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[-1][-1] == 180  # 300 billed − 120 paid
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    billed, paid, balance = sheet["D2"], sheet["E5"], sheet.cell(sheet.max_row, 6)
    assert (billed.value, paid.value, balance.value) == (100, 120, 180)
    for cell in (billed, paid, balance):  # numbers the sheet can sum, shown as ¥1,234.50
        assert cell.data_type == "n" and cell.number_format == YUAN_FORMAT
    assert sheet["A2"].number_format == "General"


def test_the_unit_account_shows_money_with_thousands_separators(client_of, finance, owed):
    client = client_of(finance["cashier"].user)
    url = reverse("billing:unit_account", args=[owed.pk])
    client.post(url, {"method": "transfer", "amount": "1534.50", "take_rest_as_credit": "on"})
    page = client.get(url).content.decode()
    # ¥300 billed and paid; the rest held as prepaid credit: its card, the statement's entry, the
    # receipts list and the refund form's choice all say it with the separator, nothing without.
    assert '<div class="value">¥1,234.50</div>' in page and "¥1,234.50 转预存" in page
    assert " · ¥1,534.50 · 银行转账" in page and "通用预存款 · ¥1,234.50" in page
    assert "1234.50" not in page and "1534.50" not in page


def test_another_sites_unit_and_receipt_are_not_found(client_of, clerk_b, finance, owed):
    client = client_of(finance["cashier"].user)
    client.post(reverse("billing:unit_account", args=[owed.pk]), {"method": "qr", "amount": "100"})
    receipt = Payment.objects.get().receipt
    other = client_of(clerk_b)
    assert other.get(reverse("billing:unit_account", args=[owed.pk])).status_code in (403, 404)
    assert other.get(reverse("billing:receipt_pdf", args=[receipt.pk])).status_code in (403, 404)
