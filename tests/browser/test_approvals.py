"""The approvals inbox in a real browser (docs/approvals.md): a void the cashier may only ask
for waits in the finance supervisor's inbox, on a desktop and on a phone, and approving it
voids the payment."""

import datetime

import pytest

from wuye.approvals import services as approvals
from wuye.approvals.models import ApprovalRequest
from wuye.billing import bill_runs, payments, services
from wuye.billing.models import FeeItem, Payment

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asked(finance, estate, fee_item):
    unit = estate["units"][0]
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费")
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="300", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=unit.site, actor=finance["sup"].user, month=datetime.date(2026, 11, 1))
    paid = payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit, method="transfer", amount="300")  # fmt: skip
    return approvals.request_approval(
        site=unit.site, actor=finance["cashier"].user, action=ApprovalRequest.Action.VOID_PAYMENT,
        params={"payment": paid.pk}, reason="收错户，应为1-0102",
    )  # fmt: skip


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_r_adm_02_the_approver_finds_the_void_in_the_inbox_and_approves_it(device, request, finance, asked):  # fmt: skip
    page = request.getfixturevalue(device)
    sign_in(page, finance["sup"].user.username)
    page.goto(page.base + "/approvals/?for_me=1")
    row = page.locator(f"section#approval-{asked.pk}")
    assert "收错户" in row.inner_text() and "¥300.00" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, f"approvals-inbox-{device}")
    row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert page.locator(f"section#approval-{asked.pk}").count() == 0  # no longer waiting
    assert "已通过" in page.locator(f"tr#approval-{asked.pk}").inner_text()  # among the decided
    assert Payment.objects.get(pk=asked.params["payment"]).voided_at is not None
    screenshot(page, f"approvals-decided-{device}")
