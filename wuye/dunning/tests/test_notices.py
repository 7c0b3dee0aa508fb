"""Fee and dunning notices (R-FEE-03): what a notice lists and its totals to the fen, dunning
refused when nothing is overdue, numbers gap-free per site, kind and year, a building's notices
in one batch and one PDF, reprints drawn from the snapshot, and the layout's placeholders."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from tests.errors import codes
from wuye.billing import bill_runs, payments
from wuye.billing import services as billing_services
from wuye.billing.models import FeeItem, ReliefEntry
from wuye.core.models import DocumentSequence, Job
from wuye.dunning import jobs, layouts, pdf, services
from wuye.dunning.models import Notice, NoticeBatch, NoticeLayout
from wuye.ledger import services as receivables
from wuye.ledger.models import BillLine

from .conftest import at

pytestmark = pytest.mark.django_db


def pay(finance, unit, amount):
    return payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                 method="cash", amount=amount)  # fmt: skip


def text_of(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_R_FEE_03_a_dunning_notice_lists_only_the_overdue_lines_to_the_fen(owed, owners, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 11, 20))
    pay(finance, owed, "130")  # September in full, ¥30 of October
    notice = services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="dunning")
    shot = notice.snapshot
    # October (due 15 November) is 5 days overdue; November (due 15 December) is not due yet.
    assert [(r["period"], r["amount"], r["paid"], r["owed"], r["days_overdue"]) for r in shot["lines"]] == [
        ("2026-10", "100.00", "30.00", "70.00", 5)
    ]  # fmt: skip
    assert notice.total == D("70.00") and shot["total"] == "70.00"
    assert shot["aging"] == {"d0_30": "70.00", "d31_90": "0.00", "d91_180": "0.00", "d181": "0.00"}
    assert shot["owner"] == "张三" and shot["pay_by"] == "2026-12-05" and shot["earliest_due"] == "2026-11-15"  # fmt: skip
    assert notice.number == "DN-A-2026-000001" and notice.issued_by == clerk
    pages, text = text_of(pdf.render([notice], title=notice.number))
    assert pages == 1
    for expected in ("催费通知书", "1-0101", "张三", "70.00", "2026-12-05", "逾期天数", "DN-A-2026-000001"):  # fmt: skip
        assert expected in text


def test_R_FEE_03_a_fee_notice_lists_what_is_not_due_yet_and_what_is_overdue(owed, owners, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 11, 20))
    pay(finance, owed, "130")
    notice = services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="fee")
    assert [(r["period"], r["owed"], r["days_overdue"]) for r in notice.snapshot["lines"]] == [
        ("2026-10", "70.00", 5), ("2026-11", "100.00", 0)
    ]  # fmt: skip
    assert notice.total == D("170.00") and notice.snapshot["overdue_total"] == "70.00"
    assert notice.number == "FN-A-2026-000001"
    _pages, text = text_of(pdf.render([notice], title=notice.number))
    assert "费用通知单" in text and "170.00" in text and "其中已逾期" in text


def test_R_FEE_03_relief_on_a_line_lowers_what_the_notice_says_is_owed(owed, owners, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 11, 20))
    october = BillLine.objects.get(unit=owed, period_start=datetime.date(2026, 10, 1))
    # Written straight to the ledger: the relief services are proven in billing's tests.
    entry = ReliefEntry.objects.create(site=owed.site, unit=owed, bill_line=october, kind="reduction",
                                       amount=D("25.00"), granted_by=finance["sup"].user,
                                       granted_on=datetime.date(2026, 11, 1), reason="空置减免")  # fmt: skip
    receivables.relief_granted(entries=[entry.pk])
    notice = services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="dunning")
    october_row = next(r for r in notice.snapshot["lines"] if r["period"] == "2026-10")
    assert (october_row["paid"], october_row["relief"], october_row["owed"]) == ("0.00", "25.00", "75.00")  # fmt: skip
    _pages, text = text_of(pdf.render([notice], title=notice.number))
    assert "减免" in text and "25.00" in text.replace("\n", "")


def test_R_FEE_03_a_notice_writes_its_amounts_with_thousands_separators(fee_item, estate, owners, finance, clerk, time_machine):  # fmt: skip
    item = fee_item("rent", FeeItem.Method.PER_UNIT, name="商铺租金")
    billing_services.set_rate(fee_item=item, actor=finance["sup"].user, amount="1234567.80",
                              valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=item.site, actor=finance["sup"].user, month=datetime.date(2026, 9, 1))
    time_machine.move_to(at(2026, 11, 20))
    unit = estate["units"][0]
    notice = services.issue_notice(site=unit.site, actor=clerk, unit=unit, kind="dunning")
    assert notice.total == D("1234567.80")
    _pages, text = text_of(pdf.render([notice], title=notice.number))
    # The body, the line (amount and owed), the sum row and the aging, in 元; the total with its ¥.
    assert text.count("1,234,567.80") == 6 and "合计应缴：¥1,234,567.80" in text
    assert "1234567.80" not in text
    assert "应缴合计¥1,234,567.80，" in services.message_text(notice)  # the SMS / app message


@pytest.mark.parametrize("kind", ["fee", "dunning"])
def test_a_million_fits_every_money_column_of_the_notice_s_table(kind):
    amount = "1234567.80"
    line = {"fee_item": "商铺租金", "period": "2026-09", "due_date": "2026-10-15", "amount": amount,
            "paid": amount, "owed": amount, "days_overdue": 36}  # fmt: skip
    table = pdf._lines_table({"kind": kind, "lines": [line], "total": amount})
    padding = 2 * 6  # reportlab's cell padding either side, in points
    for column in (3, 4, 5):  # 应收, 已缴, 欠缴 at 10 pt; the sum row at 11 pt only in 欠缴
        size = pdf.SIZE + (1 if column == 5 else 0)
        assert stringWidth("1,234,567.80", pdf.FONT, size) <= table._colWidths[column] - padding


def test_R_FEE_03_dunning_is_refused_when_nothing_is_overdue_and_takes_no_number(owed, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 11, 20))
    pay(finance, owed, "200")  # September and October: only November is open, due 15 December
    with pytest.raises(ValidationError) as refused:
        services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="dunning")
    assert codes(refused.value) == {"nothing_owed"}
    assert "1-0101" in refused.value.messages[0]
    assert not Notice.objects.exists() and not DocumentSequence.objects.filter(kind="dunning_notice").exists()  # fmt: skip
    assert services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="fee").total == D("100.00")  # fmt: skip
    with pytest.raises(ValidationError) as unknown:
        services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="reminder")
    assert codes(unknown.value) == {"invalid_choice"}


def test_R_FEE_03_numbers_are_gap_free_per_site_kind_and_year(owed, estate, finance, finance_b, site_b, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    units = estate["units"]
    first = services.issue_notice(site=owed.site, actor=clerk, unit=units[0], kind="dunning")
    pay(finance, units[1], "300")
    with pytest.raises(ValidationError):  # refused: takes no number
        services.issue_notice(site=owed.site, actor=clerk, unit=units[1], kind="dunning")
    second = services.issue_notice(site=owed.site, actor=clerk, unit=units[2], kind="dunning")
    fee = services.issue_notice(site=owed.site, actor=clerk, unit=units[2], kind="fee")
    assert (first.number, second.number, fee.number) == ("DN-A-2026-000001", "DN-A-2026-000002", "FN-A-2026-000001")  # fmt: skip
    # Site B counts on its own.
    from wuye.estate.models import Building, Unit

    building = Building.objects.create(site=site_b, code="9", name="9栋")
    unit_b = Unit.objects.create(site=site_b, building=building, floor=1, number="0101", code="9-0101",
                                 floor_area=D("80"), state=Unit.State.OCCUPIED)  # fmt: skip
    item = billing_services.save_fee_item(site=site_b, actor=finance_b, code="mgmt", name="物业费",
                                          kind=FeeItem.Kind.MANAGEMENT, method=FeeItem.Method.PER_UNIT)  # fmt: skip
    billing_services.set_rate(fee_item=item, actor=finance_b, amount="80", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=site_b, actor=finance_b, month=datetime.date(2026, 10, 1))
    other = services.issue_notice(site=site_b, actor=finance_b, unit=unit_b, kind="dunning")
    assert other.number == "DN-B-2026-000001" and other.total == D("80.00")
    # A new year starts again at 1.
    time_machine.move_to(at(2027, 1, 2))
    assert services.issue_notice(site=owed.site, actor=clerk, unit=units[0], kind="dunning").number == "DN-A-2027-000001"  # fmt: skip
    assert list(Notice.objects.filter(site=owed.site, kind="dunning", year=2026).order_by("sequence").values_list("sequence", flat=True)) == [1, 2]  # fmt: skip


def test_R_FEE_03_a_reprint_reads_as_the_first_print_whatever_happened_since(owed, owners, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    notice = services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="dunning")
    _pages, first = text_of(pdf.render([notice], title="x"))
    pay(finance, owed, "300")
    layouts.save_layout(site=owed.site, actor=finance["sup"].user, dunning_title="欠费提醒",
                        dunning_body="{owner}请缴费", fee_title="费用通知单", fee_body="{owner}")  # fmt: skip
    time_machine.move_to(at(2027, 2, 1))
    reprint = Notice.objects.get(pk=notice.pk)
    _pages, again = text_of(pdf.render([reprint], title="x"))
    assert again == first and "催费通知书" in again and "300.00" in again


def test_R_FEE_03_the_layout_fills_placeholders_and_refuses_unknown_ones(owed, owners, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    sup = finance["sup"].user
    with pytest.raises(ValidationError) as unknown:
        layouts.save_layout(site=owed.site, actor=sup, dunning_body="{owner}：请缴纳{amount}元")
    assert (
        codes(unknown.value) == {"unknown_placeholder"} and "{amount}" in unknown.value.messages[0]
    )
    with pytest.raises(ValidationError) as days:
        layouts.save_layout(site=owed.site, actor=sup, pay_by_days=0)
    assert codes(days.value) == {"out_of_range"}
    assert not NoticeLayout.objects.exists()
    layouts.save_layout(
        site=owed.site, actor=sup, company_name="宜居物业翠湖苑", pay_by_days=10, contact_phone="0755-1234567",
        dunning_body="{owner}（{unit}）欠{total}元，最早{due_date}到期，请于{pay_by}前缴清。{unit.__class__} {0}",
        payment_instructions="工行 6222 0000；备注房号{unit}", footer="编号{number}", seal_text="财务专用章",
    )  # fmt: skip
    notice = services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="dunning")
    layout = notice.snapshot["layout"]
    # Placeholders by name only: a format string's attribute access stays plain text.
    assert (
        layout["body"]
        == "张三（1-0101）欠300.00元，最早2026-10-15到期，请于2026-12-30前缴清。{unit.__class__} {0}"
    )
    assert layout["payment_instructions"] == "工行 6222 0000；备注房号1-0101"
    assert layout["footer"] == f"编号{notice.number}" and layout["company"] == "宜居物业翠湖苑"
    _pages, text = text_of(pdf.render([notice], title="x"))
    assert "宜居物业翠湖苑" in text and "0755-1234567" in text


def test_R_FEE_03_a_buildings_notices_are_one_batch_and_one_pdf_a_page_each(owed, owners, estate, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    units = estate["units"]
    pay(finance, units[2], "200")  # 1-0201: only November (5 days) overdue
    pay(finance, units[3], "300")  # 1-0202: nothing overdue
    job = jobs.start_building_notices(site=owed.site, actor=clerk, building=estate["b1"], kind="dunning")  # fmt: skip
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.done == job.total == 5
    batch = NoticeBatch.objects.get(pk=job.result["batch"])
    notices = list(batch.notices.order_by("unit__code"))
    assert [n.unit.code for n in notices] == ["1-0101", "1-0102", "1-01S1", "1-0201", "1-0301"]
    assert batch.notices_count == 5 and batch.total == D("1300.00")  # 4 × 300 + 100
    assert sorted(n.sequence for n in notices) == [1, 2, 3, 4, 5] and batch.issued_by == clerk
    pages, text = text_of(pdf.render(batch.notices.order_by("unit__code"), title="b"))
    assert pages == 5 and text.count("催费通知书") == 5 and "张三" in text and "李四" in text
    # Only units with something overdue over 30 days: 1-0201's November is 5 days overdue.
    older = services.issue_building_notices(site=owed.site, actor=clerk, building=estate["b1"],
                                            kind="dunning", only_overdue_over_days=30)  # fmt: skip
    assert older.notices_count == 4 and "1-0201" not in {n.unit.code for n in older.notices.all()}


def test_R_FEE_03_a_building_where_nobody_qualifies_is_refused_before_queueing(owed, estate, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    for unit in estate["units"][6:]:
        pay(finance, unit, "300")
    with pytest.raises(ValidationError) as refused:
        jobs.start_building_notices(site=owed.site, actor=clerk, building=estate["b2"], kind="dunning")  # fmt: skip
    assert codes(refused.value) == {"nothing_owed"}
    with pytest.raises(ValidationError) as bad_days:
        jobs.start_building_notices(site=owed.site, actor=clerk, building=estate["b1"], kind="dunning",
                                    only_overdue_over_days=-3)  # fmt: skip
    assert codes(bad_days.value) == {"out_of_range"}
    assert not Job.objects.filter(kind=jobs.JOB_KIND).exists() and not NoticeBatch.objects.exists()
