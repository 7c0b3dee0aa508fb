"""A resident reads their unit's fees in a real browser, on a phone and on a desktop, and
downloads the statement PDF (docs/billing.md, Pages — Residents)."""

import pytest

from wuye.people.tests.conftest import li, vacant_units, zhang  # noqa: F401 (fixtures)
from wuye.portal.tests.conftest import other_unit, owned_unit, resident_of  # noqa: F401 (fixtures)
from wuye.portal.tests.test_accounts import PASSWORD
from wuye.portal.tests.test_statement import billed, zhang_resident  # noqa: F401 (fixtures)

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page) -> None:
    page.goto(page.base + "/portal/login/")
    page.fill("#id_username", "138 1234 5678")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(page.base + "/portal/")


@pytest.mark.usefixtures("zhang_resident", "billed")
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_resident_reads_the_fees_and_downloads_the_pdf(request, device, owned_unit):  # noqa: F811
    page = request.getfixturevalue(device)
    sign_in(page)
    page.goto(f"{page.base}/portal/units/{owned_unit.pk}/")
    page.click("#unit-statement")
    page.wait_for_selector("#statement")
    assert page.inner_text("#open-total") == "¥150.00"
    assert page.locator("#open-lines tbody tr").count() == 2
    assert page.locator("#statement tbody tr").count() == 4
    # Nothing is wider than the screen: the page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"{device}-portal-statement")
    pdf = page.request.get(page.base + page.locator("#statement-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
