"""A resident sees their own unit's fees (docs/billing.md, Pages — Residents): what is open and when
it is due, the credit held, the statement with its running balance and its PDF — on the page and
through the API. Another household's unit answers 404 on every route, and the cashier's pages refuse
residents."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from wuye.billing import bill_runs, payments, services
from wuye.billing.models import FeeItem
from wuye.billing.tests.conftest import fee_item, finance  # noqa: F401 (fixtures)
from wuye.portal import services as portal
from wuye.portal.tests.test_accounts import PASSWORD, bearer

pytestmark = pytest.mark.django_db

BASE = "/api/v1/portal"


@pytest.fixture
def billed(owned_unit, other_unit, fee_item, finance):  # noqa: F811 (fixtures)
    """Both flats billed ¥100 a month for September to November 2026; 1-0801 paid ¥150 by QR
    (its receipt number is returned), so ¥150 is still open."""
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费")
    sup = finance["sup"].user
    services.set_rate(fee_item=item, actor=sup, amount="100", valid_from=datetime.date(2026, 1, 1))
    for month in (9, 10, 11):
        bill_runs.run_bills(site=owned_unit.site, actor=sup, month=datetime.date(2026, month, 1))
    payment = payments.take_payment(site=owned_unit.site, actor=finance["cashier"].user,
                                    unit=owned_unit, method="qr", amount="150")  # fmt: skip
    return payment.receipt.number


@pytest.fixture
def zhang_resident(owned_unit, resident_of):
    """张三, approved as the owner of 1-0801."""
    return resident_of(owned_unit, "13812345678", "张三")


@pytest.fixture
def li_resident(other_unit, resident_of):
    """李四, approved as the owner of 1-0802."""
    return resident_of(other_unit, "13998765432", "李四")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_unit_page_links_to_the_statement(client, zhang_resident, owned_unit, billed):
    client.force_login(zhang_resident.user)
    page = client.get(f"/portal/units/{owned_unit.pk}/").content.decode()
    assert f"/portal/units/{owned_unit.pk}/statement/" in page


def test_a_resident_sees_what_is_open_the_credit_and_the_running_balance(
    client, zhang_resident, owned_unit, billed
):
    client.force_login(zhang_resident.user)
    response = client.get(f"/portal/units/{owned_unit.pk}/statement/")
    assert response.status_code == 200
    account = response.context["account"]
    # ¥150 paid oldest first: September in full, October half; November untouched.
    assert [(line.period_start.month, line.outstanding) for line in account.open_lines] == [
        (10, Decimal("50.00")),
        (11, Decimal("100.00")),
    ]
    assert (account.open_total, account.credit_held, account.balance) == (
        Decimal("150.00"),
        Decimal("0.00"),
        Decimal("150.00"),
    )
    assert [e.balance for e in account.entries] == [
        Decimal(x) for x in ("100", "200", "300", "150")
    ]
    html = response.content.decode()
    for expected in ("¥150.00", "物业管理费", "2026-11-15", "2026-12-15", billed, "−¥150.00",
                     f"/portal/units/{owned_unit.pk}/statement.pdf"):  # fmt: skip
        assert expected in html, expected


def test_a_resident_downloads_the_statement_pdf(client, zhang_resident, owned_unit, billed):
    client.force_login(zhang_resident.user)
    response = client.get(f"/portal/units/{owned_unit.pk}/statement.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("对账单", "1-0801", "张三", billed, "300.00", "150.00"):
        assert expected in text, expected


def test_the_api_gives_entries_balance_and_open_lines(client, zhang_resident, owned_unit, billed):
    body = client.get(f"{BASE}/units/{owned_unit.pk}/statement", **bearer(zhang_resident)).json()
    assert (body["unit"], body["unit_code"]) == (owned_unit.pk, "1-0801")
    assert (body["balance"], body["open_total"], body["credit_held"]) == (
        "150.00",
        "150.00",
        "0.00",
    )
    assert [(x["period_start"], x["due_date"], x["outstanding"]) for x in body["open_lines"]] == [
        ("2026-10-01", "2026-11-15", "50.00"),
        ("2026-11-01", "2026-12-15", "100.00"),
    ]
    assert [e["balance"] for e in body["entries"]] == ["100.00", "200.00", "300.00", "150.00"]
    assert body["entries"][-1]["reference"] == billed
    pdf = client.get(f"{BASE}/units/{owned_unit.pk}/statement/pdf", **bearer(zhang_resident))
    assert pdf.status_code == 200 and "150.00" in pdf_text(pdf.content)


def test_another_households_unit_is_not_found_on_any_route(
    client, zhang_resident, li_resident, other_unit, billed
):
    client.force_login(zhang_resident.user)
    for path in (f"/portal/units/{other_unit.pk}/statement/",
                 f"/portal/units/{other_unit.pk}/statement.pdf"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    for path in (f"{BASE}/units/{other_unit.pk}/statement",
                 f"{BASE}/units/{other_unit.pk}/statement/pdf"):  # fmt: skip
        assert client.get(path, **bearer(zhang_resident)).status_code == 404, path
    # and a unit id that does not exist answers the same
    assert client.get(f"{BASE}/units/999999/statement", **bearer(zhang_resident)).status_code == 404
    # 李四 sees his own
    assert (
        client.get(f"{BASE}/units/{other_unit.pk}/statement", **bearer(li_resident)).status_code
        == 200
    )


def test_a_pending_link_shows_no_statement(client, owned_unit, billed):
    account = portal.sign_up_resident(phone="13700001111", name="王五", password=PASSWORD)
    portal.request_link(account=account, unit=owned_unit, role="tenant")
    client.force_login(account.user)
    assert client.get(f"/portal/units/{owned_unit.pk}/statement/").status_code == 404
    assert client.get(f"/portal/units/{owned_unit.pk}/statement.pdf").status_code == 404
    assert client.get(f"{BASE}/units/{owned_unit.pk}/statement", **bearer(account)).status_code == 404  # fmt: skip


def test_the_cashiers_pages_and_api_refuse_a_resident_even_for_their_own_unit(
    client, zhang_resident, owned_unit, billed
):
    client.force_login(zhang_resident.user)
    for path in (f"/billing/units/{owned_unit.pk}/", f"/billing/units/{owned_unit.pk}/statement.pdf",
                 f"/billing/units/{owned_unit.pk}/statement.xlsx", "/billing/"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    for path in (f"/api/v1/billing/units/{owned_unit.pk}/statement",
                 f"/api/v1/billing/units/{owned_unit.pk}/open-lines"):  # fmt: skip
        assert client.get(path, **bearer(zhang_resident)).status_code == 404, path


def test_a_staff_member_is_not_a_resident(client_of, clerk_a, owned_unit, billed):
    client = client_of(clerk_a)
    assert client.get(f"/portal/units/{owned_unit.pk}/statement/").status_code == 403
    assert client.get(f"{BASE}/units/{owned_unit.pk}/statement").status_code == 403


def test_the_page_reads_as_many_queries_however_long_the_history(
    client,
    zhang_resident,
    owned_unit,
    billed,
    finance,  # noqa: F811 (fixtures)
):
    client.force_login(zhang_resident.user)
    url = f"/portal/units/{owned_unit.pk}/statement/"
    with CaptureQueriesContext(connection) as short:
        assert client.get(url).status_code == 200
    for _ in range(3):
        payments.take_payment(site=owned_unit.site, actor=finance["cashier"].user,
                              unit=owned_unit, method="cash", amount="10")  # fmt: skip
    with CaptureQueriesContext(connection) as longer:
        page = client.get(url)
    assert len(page.context["account"].entries) == 7
    assert len(longer.captured_queries) == len(short.captured_queries)


def test_a_resident_reads_money_with_separators_and_the_api_keeps_plain_decimals(client, zhang_resident, owned_unit, fee_item, finance):  # noqa: F811 (fixtures)  # fmt: skip
    item = fee_item("rent", FeeItem.Method.PER_UNIT, name="商铺租金")
    sup = finance["sup"].user
    services.set_rate(fee_item=item, actor=sup, amount="1234567.80", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=owned_unit.site, actor=sup, month=datetime.date(2026, 9, 1))
    client.force_login(zhang_resident.user)
    for url in (f"/portal/units/{owned_unit.pk}/statement/", f"/portal/units/{owned_unit.pk}/pay/"):
        page = client.get(url).content.decode()
        assert "¥1,234,567.80" in page, url
    pdf = client.get(f"/portal/units/{owned_unit.pk}/statement.pdf")
    assert "1,234,567.80" in pdf_text(pdf.content)
    body = client.get(f"{BASE}/units/{owned_unit.pk}/statement", **bearer(zhang_resident)).json()
    assert body["open_total"] == "1234567.80"  # the API: a plain decimal string, for programs
