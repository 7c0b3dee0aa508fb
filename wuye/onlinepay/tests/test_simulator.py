"""The built-in gateway: its checkout page, its signature, and its statement by the site's
calendar day."""

import datetime
import json
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.clients import signed_in
from tests.errors import codes
from wuye.billing.models import Payment
from wuye.onlinepay import services
from wuye.onlinepay.gateways import BadSignature, gateway_for
from wuye.onlinepay.models import OnlineOrder, SimulatedTransaction
from wuye.onlinepay.simulator import SIGNATURE_HEADER, SimulatorGateway

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_simulator_is_the_default_gateway_and_signs_what_it_verifies(simulator, site_a):
    assert gateway_for(site_a).name == "simulator"
    body = SimulatorGateway.notice_body(out_trade_no="OP-A-2026-000001", txn_id="T", amount=D("1.50"),
                                        status="paid", paid_at=timezone.now())  # fmt: skip
    notice = simulator.verify(body, SimulatorGateway.signed_headers(body))
    assert (notice.out_trade_no, notice.amount, notice.status) == (
        "OP-A-2026-000001",
        D("1.50"),
        "paid",
    )
    with pytest.raises(BadSignature):
        simulator.verify(body + b" ", SimulatorGateway.signed_headers(body))
    unsigned_zone = json.dumps({"out_trade_no": "X", "transaction_id": "T", "amount": "1.00",
                                "status": "paid", "paid_at": "2026-11-20T10:00:00"}).encode()  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        simulator.verify(unsigned_zone, {SIGNATURE_HEADER: SimulatorGateway.signed_headers(unsigned_zone)[SIGNATURE_HEADER]})  # fmt: skip
    assert codes(refused.value) == {"invalid"}


def test_only_the_resident_who_ordered_opens_the_checkout(order_for, payer, django_user_model):
    order = order_for()
    page = signed_in(payer).get(f"/pay/simulator/{order.number}/")
    assert page.status_code == 200 and 'id="simulator-pay"' in page.content.decode()
    stranger = django_user_model.objects.create_user(username="stranger", password="pass-Word-123")
    assert (
        signed_in(stranger).post(f"/pay/simulator/{order.number}/", {"do": "pay"}).status_code
        == 404
    )
    assert not SimulatedTransaction.objects.exists()


def test_an_expired_order_can_t_be_paid_at_the_checkout(order_for, payer):
    order = order_for()
    OnlineOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))  # fmt: skip
    page = signed_in(payer).post(f"/pay/simulator/{order.number}/", {"do": "pay"})
    assert page.status_code == 200 and 'id="simulator-closed"' in page.content.decode()
    assert not SimulatedTransaction.objects.exists() and not Payment.objects.exists()


def test_the_statement_of_a_day_follows_the_site_s_calendar(order_for, paid_by_simulator, simulator, site_a):  # fmt: skip
    late = datetime.datetime(2026, 11, 20, 23, 59, tzinfo=SHANGHAI)  # 15:59 UTC
    order = order_for()
    paid_by_simulator(order, at=late)
    assert [t.out_trade_no for t in simulator.transactions_on(datetime.date(2026, 11, 20), site_a)] == [order.number]  # fmt: skip
    assert simulator.transactions_on(datetime.date(2026, 11, 21), site_a) == []
    order.refresh_from_db()
    assert order.paid_at == late  # the gateway's time of payment, so both sides count the same day
    run = services.reconcile(site=site_a, day=datetime.date(2026, 11, 20))
    assert (run.orders_count, run.gateway_count, run.mismatches_count) == (1, 1, 0)
