"""Finance's view of online payment (docs/collections.md, Online payment): the orders, the
notification log with the refused ones highlighted, the reconciliations with "reconcile now", and
the site's payment QR code — on the pages and through the API, scoped by site and role; the
gateway's notify endpoint over HTTP, with a bad signature or a malformed body answered 400."""

import datetime
import json
from decimal import Decimal as D

import pytest
import segno
from django.utils import timezone

from tests.clients import signed_in
from wuye.billing.models import Payment
from wuye.billing.tests.conftest import finance_b  # noqa: F401 (fixture)
from wuye.onlinepay.models import GatewayNotification, OnlineOrder, Reconciliation
from wuye.onlinepay.simulator import SIGNATURE_HEADER, SimulatorGateway

pytestmark = pytest.mark.django_db
API = "/api/v1/onlinepay"
JSON = "application/json"


def notice(order, *, amount=None, txn="T-1"):
    return json.dumps({"out_trade_no": order.number, "transaction_id": txn, "status": "paid",
                       "amount": str(amount or order.amount), "paid_at": timezone.now().isoformat()}).encode()  # fmt: skip


def signature(body):
    return {"HTTP_X_WUYE_SIGNATURE": SimulatorGateway.signed_headers(body)[SIGNATURE_HEADER]}


# ---------------------------------------------------------------------------------------------
# The notify endpoint


def test_the_http_notify_endpoint_pays_a_signed_notification(client, order_for):
    order = order_for()
    body = notice(order)
    answer = client.post("/pay/notify/simulator/", body, content_type=JSON, **signature(body))
    assert answer.status_code == 200 and answer.json()["code"] == "applied"
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.PAID and order.payment.receipt.number.startswith(
        "RC-A-"
    )
    again = client.post("/pay/notify/simulator/", body, content_type=JSON, **signature(body))
    assert again.status_code == 200 and again.json()["code"] == "duplicate"
    assert Payment.objects.count() == 1


def test_the_http_notify_endpoint_refuses_a_bad_signature_and_logs_it(client, order_for):
    order = order_for()
    body = notice(order)
    answer = client.post(
        "/pay/notify/simulator/", body, content_type=JSON, HTTP_X_WUYE_SIGNATURE="abc"
    )
    assert answer.status_code == 400 and answer.json()["code"] == "bad_signature"
    logged = GatewayNotification.objects.get()
    assert logged.outcome == "bad_signature" and logged.body == body.decode()
    assert not Payment.objects.exists()
    assert client.post("/pay/notify/nosuch/", body, content_type=JSON).status_code == 404


def test_the_api_notify_endpoint_answers_in_the_one_error_shape(client, order_for):
    order = order_for()
    bad = client.post(
        f"{API}/notify/simulator", notice(order), content_type=JSON, HTTP_X_WUYE_SIGNATURE="0"
    )
    assert bad.status_code == 400 and bad.json() == {
        "message": bad.json()["message"], "code": "bad_signature", "fields": []}  # fmt: skip
    malformed = json.dumps({"out_trade_no": order.number, "transaction_id": "T", "status": "paid",
                            "amount": "lots", "paid_at": timezone.now().isoformat()}).encode()  # fmt: skip
    answer = client.post(
        f"{API}/notify/simulator", malformed, content_type=JSON, **signature(malformed)
    )
    assert answer.status_code == 400
    assert [(f["field"], f["code"]) for f in answer.json()["fields"]] == [("amount", "invalid")]
    not_json = b"not json"
    answer = client.post(
        f"{API}/notify/simulator", not_json, content_type=JSON, **signature(not_json)
    )
    assert answer.status_code == 400 and answer.json()["fields"][0]["code"] == "not_json"
    unknown = json.dumps({"out_trade_no": "OP-A-2026-424242", "transaction_id": "T", "status": "paid",
                          "amount": "1.00", "paid_at": timezone.now().isoformat()}).encode()  # fmt: skip
    assert (
        client.post(
            f"{API}/notify/simulator", unknown, content_type=JSON, **signature(unknown)
        ).status_code
        == 404
    )
    mismatch = notice(order, amount="1.00")
    assert (
        client.post(
            f"{API}/notify/simulator", mismatch, content_type=JSON, **signature(mismatch)
        ).status_code
        == 409
    )
    good = notice(order)
    assert (
        client.post(f"{API}/notify/simulator", good, content_type=JSON, **signature(good)).json()[
            "code"
        ]
        == "applied"
    )
    assert list(GatewayNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        "bad_signature", "error", "error", "unknown_order", "amount_mismatch", "applied"]  # fmt: skip
    assert Payment.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Finance's pages


def test_finance_lists_the_site_s_orders_with_their_receipts(finance, order_for, paid_by_simulator):
    paid = order_for()
    paid_by_simulator(paid)
    waiting = order_for(count=1)
    page = signed_in(finance["sup"].user).get("/pay/orders/")
    assert page.status_code == 200
    html = page.content.decode()
    paid.refresh_from_db()
    assert paid.number in html and waiting.number in html and paid.payment.receipt.number in html
    only_paid = signed_in(finance["cashier"].user).get("/pay/orders/?state=paid").content.decode()
    assert paid.number in only_paid and waiting.number not in only_paid
    found = (
        signed_in(finance["cashier"].user).get(f"/pay/orders/?q={waiting.number}").content.decode()
    )
    assert waiting.number in found and paid.number not in found


def test_the_notification_log_shows_amounts_with_thousands_separators(finance, order_for, paid_by_simulator):  # fmt: skip
    order = order_for()  # ¥200.00
    paid_by_simulator(order, amount="1234567.80")
    html = signed_in(finance["sup"].user).get("/pay/notifications/").content.decode()
    # The amount column and the refusal's sentence both say it as finance reads it (the raw
    # body the gateway sent is shown as it came).
    assert '<td class="num">¥1,234,567.80</td>' in html
    assert html.count("¥1,234,567.80") == 2 and "¥200.00" in html


def test_the_notification_log_highlights_the_refused_ones(finance, order_for, client):
    order = order_for()
    body = notice(order)
    client.post("/pay/notify/simulator/", body, content_type=JSON, HTTP_X_WUYE_SIGNATURE="forged")
    client.post("/pay/notify/simulator/", body, content_type=JSON, **signature(body))
    html = signed_in(finance["cashier"].user).get("/pay/notifications/").content.decode()
    assert html.count('class="bad-row"') == 1 and 'data-outcome="bad_signature"' in html
    assert 'data-outcome="applied"' in html
    bad_only = signed_in(finance["cashier"].user).get("/pay/notifications/?bad=1").content.decode()
    assert 'data-outcome="applied"' not in bad_only and 'data-outcome="bad_signature"' in bad_only


def test_finance_reconciles_now_and_the_cashier_only_reads(finance, order_for, paid_by_simulator):
    paid_by_simulator(order_for(), notify=False)
    day = timezone.localdate().isoformat()
    cashier = signed_in(finance["cashier"].user)
    assert cashier.get("/pay/reconciliations/").status_code == 200
    assert cashier.post("/pay/reconciliations/", {"day": day}).status_code == 403
    sup = signed_in(finance["sup"].user)
    done = sup.post("/pay/reconciliations/", {"day": day})
    run = Reconciliation.objects.get()
    assert done.status_code == 302 and done.url == f"/pay/reconciliations/{run.pk}/"
    detail = sup.get(done.url).content.decode()
    assert 'data-kind="gateway_only"' in detail
    assert sup.post("/pay/reconciliations/", {"day": "soon"}).status_code == 400
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    assert sup.post("/pay/reconciliations/", {"day": future}).status_code == 400
    assert Reconciliation.objects.count() == 1


def test_another_site_s_staff_see_nothing_of_site_a(finance, finance_b, clerk_b, order_for, paid_by_simulator):  # noqa: F811  # fmt: skip
    order = order_for()
    paid_by_simulator(order)
    run = Reconciliation.objects.create(site=order.site, day=timezone.localdate(), gateway="simulator",
                                        state="matched", run_at=timezone.now())  # fmt: skip
    other = signed_in(finance_b)
    assert order.number not in other.get("/pay/orders/").content.decode()
    assert order.number not in other.get("/pay/notifications/").content.decode()
    assert other.get(f"/pay/reconciliations/{run.pk}/").status_code == 404
    assert signed_in(clerk_b).get("/pay/orders/").status_code == 403
    assert other.get(f"{API}/orders?site={order.site_id}").status_code == 403
    assert other.get(f"{API}/orders").json() == {"items": [], "count": 0}


def test_the_site_payment_qr_code_encodes_the_site_s_pay_address(finance, site_a):
    page = signed_in(finance["cashier"].user).get("/pay/sites/qr/")
    assert page.status_code == 200
    url = "http://testserver/pay/s/a/"
    html = page.content.decode()
    assert url in html
    # The drawn code is exactly the code of that address (decoding it is not needed to know).
    assert segno.make(url, error="m").svg_inline(scale=8, dark="#111827") in html
    png = signed_in(finance["cashier"].user).get("/pay/sites/qr/?format=png")
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    expected = __import__("io").BytesIO()
    segno.make(url, error="m").save(expected, kind="png", scale=12, border=4, dark="#111827")
    assert png.content == expected.getvalue()
    svg = signed_in(finance["cashier"].user).get("/pay/sites/qr/?format=svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_the_qr_page_needs_the_right_to_see_online_orders(clerk_b):
    assert signed_in(clerk_b).get("/pay/sites/qr/").status_code == 403


# ---------------------------------------------------------------------------------------------
# Finance's API


def test_the_api_lists_orders_notifications_and_reconciliations(finance, order_for, paid_by_simulator):  # fmt: skip
    order = order_for()
    paid_by_simulator(order)
    cashier = signed_in(finance["cashier"].user)
    [listed] = cashier.get(f"{API}/orders?state=paid").json()["items"]
    order.refresh_from_db()
    assert (listed["number"], listed["amount"], listed["receipt"]) == (order.number, "200.00", order.payment.receipt.number)  # fmt: skip
    assert cashier.get(f"{API}/orders?state=nonsense").json()["fields"][0]["field"] == "state"
    [logged] = cashier.get(f"{API}/notifications").json()["items"]
    assert (logged["outcome"], logged["signature_ok"], logged["amount"]) == (
        "applied",
        True,
        "200.00",
    )
    assert cashier.get(f"{API}/notifications?bad=true").json()["count"] == 0
    assert cashier.post(f"{API}/reconciliations", {"day": timezone.localdate().isoformat()}, content_type=JSON).status_code == 403  # fmt: skip
    sup = signed_in(finance["sup"].user)
    made = sup.post(f"{API}/reconciliations", {"day": timezone.localdate().isoformat()}, content_type=JSON)  # fmt: skip
    assert made.status_code == 201 and made.json()["state"] == "matched"
    assert made.json()["gateway_total"] == "200.00"
    bad = sup.post(f"{API}/reconciliations", {"day": "someday"}, content_type=JSON)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "day"
    [run] = cashier.get(f"{API}/reconciliations").json()["items"]
    assert run["id"] == made.json()["id"] and run["mismatches"] == []
    assert Reconciliation.objects.get().orders_total == D("200.00")
