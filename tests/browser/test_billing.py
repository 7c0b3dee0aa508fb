"""The cashier in a real browser (docs/billing.md, Pages): find a unit by pinyin, take a partial
payment, print the receipt, and the statement shows what is still open."""

import datetime

import pytest

from wuye.billing import bill_runs, services
from wuye.billing.models import FeeItem, Payment
from wuye.people import lifecycle
from wuye.people.services import register_person
from wuye.people.tests.conftest import make_id

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cashier_takes_a_partial_payment_and_prints_the_receipt(
    desktop, finance, estate, fee_item, clerk_a
):
    unit = estate["units"][0]
    person, _ = register_person(
        site=unit.site, actor=clerk_a, name="王小明", id_number=make_id(), phone="13700001111"
    )
    lifecycle.register_move_in(unit=unit, actor=clerk_a, moved_in_on=datetime.date(2024, 5, 1),
                               owners=[lifecycle.NewOwner(person)])  # fmt: skip
    item = fee_item(
        "mgmt", FeeItem.Method.FLOOR_AREA, name="物业管理费"
    )  # 89.50 m² × 2.80 = 250.60
    services.set_rate(
        fee_item=item,
        actor=finance["sup"].user,
        amount="2.80",
        valid_from=datetime.date(2026, 1, 1),
    )
    for month in (10, 11):
        bill_runs.run_bills(
            site=unit.site, actor=finance["sup"].user, month=datetime.date(2026, month, 1)
        )

    page = desktop
    sign_in(page, finance["cashier"].user.username)
    page.goto(page.base + "/billing/")
    page.fill("#q", "wxm")
    page.locator("#found a.unit-link", has_text="1-0101").click()
    page.wait_for_url(f"**/billing/units/{unit.pk}/")
    assert page.locator("#open-total").inner_text() == "¥501.20"
    page.select_option("#id_method", "cash")
    page.fill("#id_amount", "300")
    page.fill("#id_tendered", "300")
    screenshot(page, "cashier-take-payment")
    page.locator("#take-payment button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#open-total").inner_text() == "¥201.20"
    assert page.locator("#statement tbody tr").last.locator("td").last.inner_text() == "¥201.20"
    screenshot(page, "cashier-after-payment")

    receipt = Payment.objects.get().receipt
    with page.expect_popup() as popup:
        page.locator("a.print-receipt").first.click()
    pdf = popup.value
    response = pdf.request.get(page.base + f"/billing/receipts/{receipt.pk}.pdf?paper=a5")
    assert response.headers["content-type"] == "application/pdf" and response.body().startswith(
        b"%PDF"
    )
