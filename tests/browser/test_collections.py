"""Collections end to end in a real browser (R-FEE-03, R-FEE-05; docs/collections.md): a clerk
prints the dunning notices of a building and marks them delivered; a resident pays two of this
month's lines online through the gateway simulator; the site's collection rate for the month rises
by exactly their amount over the amount due."""

import datetime
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from wuye.billing import bill_runs, payments, services
from wuye.billing.models import FeeItem
from wuye.ledger.models import BillLine
from wuye.people.tests.conftest import li, vacant_units, zhang  # noqa: F401 (fixtures)
from wuye.portal.tests.conftest import other_unit, owned_unit, resident_of  # noqa: F401 (fixtures)
from wuye.portal.tests.test_statement import zhang_resident  # noqa: F401 (fixtures)

from .conftest import screenshot, sign_in
from .test_portal_statement import sign_in as resident_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def months_back(day: datetime.date, count: int) -> datetime.date:
    month = day.replace(day=1)
    for _ in range(count):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


@pytest.fixture
def billed_three_months(owned_unit, other_unit, fee_item, finance):  # noqa: F811 (fixtures)
    """Every flat of the 8th floor billed a ¥100 management fee and a ¥20 sanitation fee, paid
    in advance and due on the 1st, for this month and the two before; 1-0801 paid the oldest
    month at the counter. Returns this month."""
    sup = finance["sup"].user
    this_month = timezone.localdate().replace(day=1)
    for code, name, amount in (("mgmt", "物业管理费", "100"), ("clean", "卫生费", "20")):
        item = fee_item(code, FeeItem.Method.PER_UNIT, name=name, is_prepaid=True, due_day=1)
        services.set_rate(fee_item=item, actor=sup, amount=amount, valid_from=months_back(this_month, 3))  # fmt: skip
    for back in (2, 1, 0):
        bill_runs.run_bills(site=owned_unit.site, actor=sup, month=months_back(this_month, back))
    payments.take_payment(site=owned_unit.site, actor=finance["cashier"].user, unit=owned_unit,
                          method="cash", amount="120")  # fmt: skip
    return this_month


def money(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", "").strip())


def rate(page) -> tuple[Decimal, Decimal, str]:
    return money(page.inner_text("#due")), money(page.inner_text("#collected")), page.inner_text("#rate")  # fmt: skip


@pytest.mark.usefixtures("zhang_resident")
def test_notices_printed_then_two_lines_paid_online_raise_the_rate_by_their_amount(
    desktop,
    phone,
    clerk_a,
    finance,
    owned_unit,  # noqa: F811 (a fixture)
    building_a,
    billed_three_months,
):
    this_month = billed_three_months
    # The clerk prints the building's dunning notices and marks them delivered.
    sign_in(desktop, clerk_a.username)
    desktop.goto(desktop.base + "/dunning/buildings/")
    desktop.select_option("#id_building", str(building_a.pk))
    desktop.select_option("#id_kind", "dunning")
    desktop.click("#issue-building-notices")
    desktop.wait_for_selector("#batch-pdf", timeout=30_000)
    screenshot(desktop, "desktop-dunning-batch")
    pdf = desktop.request.get(desktop.base + desktop.get_attribute("#batch-pdf", "href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf.body())).pages
    assert len(pages) == 5  # every flat of the floor owes something overdue
    assert "催费通知书" in pages[0].extract_text()
    desktop.click("#mark-delivered")
    desktop.wait_for_selector("#batch-delivered")

    # Finance reads the month's rate before.
    desktop.context.clear_cookies()
    sign_in(desktop, finance["sup"].user.username)
    report_url = f"{desktop.base}/billing/collection-rate/?kind=month&period={this_month:%Y-%m}"
    desktop.goto(report_url)
    due, collected, shown = rate(desktop)
    assert due == Decimal("600.00") and collected == Decimal("0.00")

    # The resident pays this month's two lines online, on a phone, through the simulator.
    chosen = BillLine.objects.filter(unit=owned_unit, period_start=this_month)
    assert sum(line.amount for line in chosen) == Decimal("120.00")
    resident_sign_in(phone)
    phone.goto(f"{phone.base}/portal/units/{owned_unit.pk}/pay/")
    boxes = phone.locator("input[name=lines]")
    for i in range(boxes.count()):  # all open lines start chosen; keep this month's two
        boxes.nth(i).uncheck()
    for line in chosen:
        phone.check(f"input[name=lines][value='{line.pk}']")
    assert phone.inner_text("#pay-total") == "¥120.00"
    screenshot(phone, "phone-portal-pay")
    phone.click("#pay-online")
    phone.wait_for_selector("#simulator-pay")
    assert phone.inner_text("#simulator-amount") == "¥120.00"
    phone.click("#simulator-pay")
    phone.wait_for_selector("#pay-result[data-state=paid]", timeout=30_000)
    assert phone.inner_text("#receipt-number").strip()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "phone-portal-paid")

    # The month's rate rose by exactly ¥120 over the ¥600 due.
    desktop.goto(report_url)
    due_after, collected_after, shown_after = rate(desktop)
    assert due_after == due and collected_after == collected + Decimal("120.00")
    expected = (collected_after * 100 / due).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert shown_after == f"{expected}%" and expected - Decimal(shown.rstrip("%") if shown != "—" else 0) == Decimal("20.00")  # fmt: skip
    screenshot(desktop, "desktop-collection-rate")
