"""在线缴费 (docs/collections.md, Online payment): a resident pays chosen open lines of their own unit
online — from the statement, through the gateway's checkout (the simulator), back to a result page
with the receipt — and through the API. Another household's unit, lines and orders answer 404 or a
field error; the site's payment QR code leads a resident to their units' open lines."""

from decimal import Decimal

import pytest

from wuye.billing import payments
from wuye.billing.models import Payment
from wuye.billing.tests.conftest import fee_item, finance  # noqa: F401 (fixtures)
from wuye.onlinepay.models import GatewayNotification, OnlineOrder
from wuye.portal.tests.test_accounts import bearer
from wuye.portal.tests.test_statement import billed, li_resident, zhang_resident  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/v1/portal"
JSON = "application/json"


def test_a_resident_pays_two_lines_through_the_simulator(client, zhang_resident, owned_unit, billed, django_capture_on_commit_callbacks):  # noqa: F811 (fixtures)  # fmt: skip
    client.force_login(zhang_resident.user)
    statement = client.get(f"/portal/units/{owned_unit.pk}/statement/").content.decode()
    assert f'href="/portal/units/{owned_unit.pk}/pay/"' in statement
    october, november = payments.open_lines(owned_unit)  # ¥50 of October and ¥100 of November
    page = client.get(f"/portal/units/{owned_unit.pk}/pay/").content.decode()
    assert (
        f'name="lines" value="{october.pk}"' in page
        and f'name="lines" value="{november.pk}"' in page
    )
    assert 'id="pay-online"' in page and "¥150.00" in page
    started = client.post(
        f"/portal/units/{owned_unit.pk}/pay/", {"lines": [october.pk, november.pk]}
    )
    order = OnlineOrder.objects.get()
    assert started.status_code == 302 and started.url == f"/pay/simulator/{order.number}/"
    assert order.amount == Decimal("150.00") and order.created_by == zhang_resident.user
    checkout = client.get(started.url).content.decode()
    assert 'id="simulator-pay"' in checkout and "¥150.00" in checkout
    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(started.url, {"do": "pay"})
    assert (
        back.status_code == 302 and back.url == f"/portal/units/{owned_unit.pk}/pay/{order.number}/"
    )
    order.refresh_from_db()
    result = client.get(back.url).content.decode()
    assert 'data-state="paid"' in result and order.payment.receipt.number in result
    assert payments.open_lines(owned_unit) == []
    assert GatewayNotification.objects.get().outcome == "applied"
    # The checkout of a paid order takes nothing more.
    client.post(started.url, {"do": "pay"})
    assert Payment.objects.filter(method="qr", unit=owned_unit).count() == 2  # billed's ¥150 + this


def test_a_resident_who_cancels_at_the_checkout_pays_nothing(client, zhang_resident, owned_unit, billed, django_capture_on_commit_callbacks):  # noqa: F811 (fixtures)  # fmt: skip
    client.force_login(zhang_resident.user)
    october, _november = payments.open_lines(owned_unit)
    started = client.post(f"/portal/units/{owned_unit.pk}/pay/", {"lines": [october.pk]})
    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(started.url, {"do": "cancel"})
    result = client.get(back.url).content.decode()
    assert 'data-state="cancelled"' in result
    assert len(payments.open_lines(owned_unit)) == 2


def test_choosing_nothing_is_refused_on_the_page(client, zhang_resident, owned_unit, billed):  # noqa: F811 (fixtures)  # fmt: skip
    client.force_login(zhang_resident.user)
    refused = client.post(f"/portal/units/{owned_unit.pk}/pay/", {})
    assert refused.status_code == 400 and not OnlineOrder.objects.exists()


def test_a_resident_cannot_pay_another_household_s_lines_on_the_pages(client, zhang_resident, li_resident, owned_unit, other_unit, billed):  # noqa: F811 (fixtures)  # fmt: skip
    client.force_login(li_resident.user)
    assert client.get(f"/portal/units/{owned_unit.pk}/pay/").status_code == 404
    assert client.post(f"/portal/units/{owned_unit.pk}/pay/", {"lines": [1]}).status_code == 404
    zhangs = payments.open_lines(owned_unit)[0]
    refused = client.post(f"/portal/units/{other_unit.pk}/pay/", {"lines": [zhangs.pk]})
    assert refused.status_code == 400 and not OnlineOrder.objects.exists()
    # Nor open or pay someone else's order at the checkout, nor see its result.
    zhang = client.__class__()
    zhang.force_login(zhang_resident.user)
    started = zhang.post(f"/portal/units/{owned_unit.pk}/pay/", {"lines": [zhangs.pk]})
    number = OnlineOrder.objects.get().number
    assert client.get(started.url).status_code == 404
    assert client.post(started.url, {"do": "pay"}).status_code == 404
    assert client.get(f"/portal/units/{owned_unit.pk}/pay/{number}/").status_code == 404
    assert Payment.objects.filter(unit=owned_unit).count() == 1  # only billed's, at the counter


def test_a_resident_pays_through_the_api(client, zhang_resident, li_resident, owned_unit, other_unit, billed, django_capture_on_commit_callbacks):  # noqa: F811 (fixtures)  # fmt: skip
    october, november = payments.open_lines(owned_unit)
    auth = bearer(zhang_resident)
    made = client.post(f"{API}/units/{owned_unit.pk}/pay-orders", {"lines": [november.pk]}, content_type=JSON, **auth)  # fmt: skip
    assert made.status_code == 201
    body = made.json()
    assert (body["amount"], body["state"], body["lines"]) == ("100.00", "created", [november.pk])
    assert body["checkout_url"] == f"http://testserver/pay/simulator/{body['number']}/"
    assert body["qr_payload"] == body["checkout_url"] and body["receipt"] is None
    order = OnlineOrder.objects.get(number=body["number"])
    from wuye.onlinepay.gateways import gateway_named

    with django_capture_on_commit_callbacks(execute=True):
        gateway_named("simulator").pay(order)
    state = client.get(f"{API}/units/{owned_unit.pk}/pay-orders/{order.number}", **auth).json()
    order.refresh_from_db()
    assert (state["state"], state["receipt"]) == ("paid", order.payment.receipt.number)
    # 李四: not his unit, not his order, not his lines.
    other = bearer(li_resident)
    assert client.post(f"{API}/units/{owned_unit.pk}/pay-orders", {"lines": [october.pk]}, content_type=JSON, **other).status_code == 404  # fmt: skip
    assert (
        client.get(f"{API}/units/{owned_unit.pk}/pay-orders/{order.number}", **other).status_code
        == 404
    )
    refused = client.post(f"{API}/units/{other_unit.pk}/pay-orders", {"lines": [october.pk]}, content_type=JSON, **other)  # fmt: skip
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [("lines", "not_open")]
    malformed = client.post(f"{API}/units/{other_unit.pk}/pay-orders", {"lines": "all"}, content_type=JSON, **other)  # fmt: skip
    assert malformed.status_code == 422 and malformed.json()["fields"][0]["field"] == "lines"
    assert OnlineOrder.objects.count() == 1


def test_the_site_qr_code_leads_a_resident_to_their_units_open_lines(client, zhang_resident, owned_unit, billed):  # noqa: F811 (fixtures)  # fmt: skip
    code = owned_unit.site.code
    entry = client.get(f"/pay/s/{code}/")
    assert entry.status_code == 302 and entry.url == f"/portal/pay/{code}/"
    to_sign_in = client.get(entry.url)
    assert to_sign_in.status_code == 302 and to_sign_in.url.startswith(
        "/portal/login/?next=/portal/pay/"
    )
    client.force_login(zhang_resident.user)
    page = client.get(entry.url).content.decode()
    assert (
        f'id="pay-unit-{owned_unit.pk}"' in page and f"/portal/units/{owned_unit.pk}/pay/" in page
    )
    assert "¥150.00" in page
    assert client.get("/pay/s/nosuch/").status_code == 404
