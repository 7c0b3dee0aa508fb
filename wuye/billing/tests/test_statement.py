"""A unit's statement as a PDF: the unit, the people there, every entry with its running
balance and the ledger's terms; a long statement flows onto more pages. The cashier's page
links to it, and another site's unit is not found."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from wuye.billing import bill_runs, payments, queries, services, statements
from wuye.billing.models import FeeItem, Payment, ReceiptLayout
from wuye.core.models import SiteMembership
from wuye.ledger.models import BillLine
from wuye.people import lifecycle
from wuye.people.services import register_person
from wuye.people.tests.conftest import make_id

pytestmark = pytest.mark.django_db


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def history(fee_item, finance, estate, clerk_a):
    """1-0101, owned by 张三丰: three months of ¥100 billed, ¥120 paid in cash."""
    unit = estate["units"][0]
    person, _ = register_person(
        site=unit.site, actor=clerk_a, name="张三丰", id_number=make_id(), phone="13812345678"
    )
    lifecycle.register_move_in(unit=unit, actor=clerk_a, moved_in_on=datetime.date(2024, 5, 1),
                               owners=[lifecycle.NewOwner(person)])  # fmt: skip
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费")
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="100",
                      valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    for month in (9, 10, 11):
        bill_runs.run_bills(site=unit.site, actor=finance["sup"].user,
                            month=datetime.date(2026, month, 1))  # fmt: skip
    payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                          method="cash", amount="120", tendered="150")  # fmt: skip
    return unit


def test_the_statement_pdf_shows_the_unit_its_people_entries_and_balance(history, site_a):
    ReceiptLayout.objects.create(site=site_a, company_name="翠湖苑物业", footer="客服电话 8888")
    entries = queries.statement(history)
    pdf = statements.render_statement(history, entries, site=site_a)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(pages_of(pdf))
    for expected in ("翠湖苑物业", "对账单", "1-0101", "张三丰", "翠湖苑管理处", "物业管理费 2026-09",
                     "物业管理费 2026-11", "100.00", "120.00", "300.00", "180.00", "客服电话 8888"):  # fmt: skip
        assert expected in text, expected
    assert [e.balance for e in entries] == [Decimal(x) for x in ("100", "200", "300", "180")]
    number = Payment.objects.get().receipt.number
    assert entries[-1].reference == number and number in text
    # The ledger at the end: billed 300, paid 120, balance 180, no credit.
    summary = text[text.index("账户汇总") :]
    for expected in (
        "累计应收",
        "300.00",
        "已收款",
        "120.00",
        "欠费余额",
        "180.00",
        "预存款余额",
        "0.00",
    ):
        assert expected in summary, expected
    assert f"打印日期：{timezone.localdate():%Y-%m}" in text


def test_an_empty_statement_still_prints(estate, finance, site_a):
    unit = estate["units"][1]
    text = "\n".join(pages_of(statements.render_statement(unit, [], site=site_a)))
    assert "1-0102" in text and "宜居物业服务有限公司" in text and "尚无账目" in text


def test_a_long_statement_flows_onto_more_pages_with_the_header_repeated(
    fee_item, finance, estate, site_a
):
    unit = estate["units"][0]
    item = fee_item("misc", FeeItem.Method.PER_UNIT, name="杂费")
    BillLine.objects.bulk_create(
        BillLine(site=site_a, fee_item=item, target=f"unit:{unit.pk}", unit=unit,
                 period_start=datetime.date(2010, 1, 1) + datetime.timedelta(days=31 * i),
                 period_end=datetime.date(2010, 1, 1) + datetime.timedelta(days=31 * i + 27),
                 amount=Decimal("10.00"), due_date=datetime.date(2030, 1, 1))
        for i in range(200)
    )  # fmt: skip
    entries = queries.statement(unit)
    assert len(entries) == 200
    pages = pages_of(statements.render_statement(unit, entries, site=site_a))
    assert len(pages) > 1
    for page in pages:  # the company, the unit and the table's header on every page
        assert "对账单" in page and "1-0101" in page and "余额" in page and "实收/减免" in page
    assert "2,000.00" in pages[-1]  # the last running balance and the ledger's billed total


def test_the_cashier_opens_the_statement_pdf_from_the_account(client_of, finance, history):
    client = client_of(finance["cashier"].user)
    url = reverse("billing:statement_pdf", args=[history.pk])
    assert url in client.get(reverse("billing:unit_account", args=[history.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "1-0101.pdf" in response["Content-Disposition"]  # 对账单-1-0101.pdf in Chinese
    assert "180.00" in "\n".join(pages_of(response.content))


def test_another_sites_cashier_finds_no_statement_pdf(
    client_of, django_user_model, site_b, history
):
    cashier_b = django_user_model.objects.create_user(
        username="cashier_b", password="pass-Word-123"
    )
    cashier_b.groups.add(Group.objects.get(name="cashier"))
    SiteMembership.objects.create(user=cashier_b, site=site_b, is_default=True)
    response = client_of(cashier_b).get(reverse("billing:statement_pdf", args=[history.pk]))
    assert response.status_code == 404


def test_a_clerk_without_billing_may_not_print_it(client_of, clerk_a, history):
    response = client_of(clerk_a).get(reverse("billing:statement_pdf", args=[history.pk]))
    assert response.status_code == 403
