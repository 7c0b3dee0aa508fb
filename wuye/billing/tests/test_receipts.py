"""Receipts print as real PDFs in Chinese from the site's layout; reprints say so."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from wuye.billing import bill_runs, payments, receipts, services
from wuye.billing.models import FeeItem, ReceiptLayout

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def receipt(fee_item, finance, estate):
    item = fee_item("mgmt", FeeItem.Method.FLOOR_AREA, name="物业管理费")
    services.set_rate(
        fee_item=item,
        actor=finance["sup"].user,
        amount="2.85",
        valid_from=datetime.date(2026, 1, 1),
    )
    bill_runs.run_bills(
        site=estate["b1"].site, actor=finance["sup"].user, month=datetime.date(2026, 11, 1)
    )
    unit = estate["units"][0]  # 89.50 m² × 2.85 = 255.08
    payment = payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit, method="cash",
                                    amount="300", tendered="300", take_rest_as_credit=True, payer="张三")  # fmt: skip
    return payment.receipt


def test_a_receipt_prints_in_chinese_with_its_lines(receipt, finance):
    pdf = receipts.print_receipt(receipt=receipt, actor=finance["cashier"].user, paper="a5")
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    for expected in (receipt.number, "收款收据", "物业管理费", "2026-11", "255.08", "预存款", "44.92",
                     "合计：¥300.00", "现金", "张三", "1-0101", "宜居物业服务有限公司"):  # fmt: skip
        assert expected in text, expected
    assert "重印" not in text


def test_a_second_print_is_marked_as_a_reprint(receipt, finance):
    receipts.print_receipt(receipt=receipt, actor=finance["cashier"].user)
    again = text_of(
        receipts.print_receipt(receipt=receipt, actor=finance["cashier"].user, paper="thermal")
    )
    assert "重印" in again and "REPRINT" in again
    receipt.refresh_from_db()
    assert receipt.prints == 2


def test_the_site_layout_sets_name_seal_and_columns(receipt, finance, site_a):
    ReceiptLayout.objects.create(site=site_a, company_name="翠湖苑物业", seal_text="财务专用章",
                                 columns=["item", "amount"], footer="请妥善保管")  # fmt: skip
    text = text_of(
        receipts.print_receipt(receipt=receipt, actor=finance["cashier"].user, paper="a4")
    )
    assert "翠湖苑物业" in text and "财务专用章" in text and "请妥善保管" in text
    assert "所属期间" not in text


def test_an_unknown_paper_is_a_field_error(receipt, finance):
    with pytest.raises(ValidationError):
        receipts.print_receipt(receipt=receipt, actor=finance["cashier"].user, paper="letter")


def test_a_deposits_receipt_says_what_it_holds(finance, estate, fee_item):
    from wuye.billing import deposits

    item = fee_item("reno", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False,
                    name="装修押金")  # fmt: skip
    unit = estate["units"][0]
    deposit = deposits.take_deposit(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                    fee_item=item, amount="2000", method="transfer")  # fmt: skip
    text = text_of(receipts.print_receipt(receipt=deposit.payment.receipt, actor=finance["cashier"].user))  # fmt: skip
    assert "装修押金（押金）" in text and "2,000.00" in text


def test_a_receipts_amounts_have_separators_and_line_up_on_the_right(fee_item, finance, estate):
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    item = fee_item("mgmt", FeeItem.Method.FLOOR_AREA, name="物业管理费")
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="2.85",
                      valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=item.site, actor=finance["sup"].user, month=datetime.date(2026, 11, 1))
    unit = estate["units"][0]  # 89.50 m² × 2.85 = 255.08 billed; the rest, 1,044.92, to credit
    payment = payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit, method="cash",
                                    amount="1300", tendered="1500", take_rest_as_credit=True)  # fmt: skip
    pdf = receipts.print_receipt(receipt=payment.receipt, actor=finance["cashier"].user, paper="a5")
    text = text_of(pdf)
    for expected in ("1,044.92", "合计：¥1,300.00", "实收现金：¥1,500.00", "找零：¥200.00"):
        assert expected in text, expected
    # Every cell of the amount column (the last) ends at the right margin, whatever its width.
    ends = {}

    def visit(shown, cm, tm, font, size):
        if shown.strip() in ("金额（元）", "255.08", "1,044.92"):
            ends[shown.strip()] = tm[4] + stringWidth(shown.strip(), receipts.FONT, size)

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert set(ends) == {"金额（元）", "255.08", "1,044.92"}
    assert all(abs(end - (A5[0] - 15 * mm)) < 0.01 for end in ends.values()), ends
