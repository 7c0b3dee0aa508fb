"""A gateway's notification of an online payment (docs/collections.md, Online payment —
Notifications): verified by its signature, taken once, and paid through billing like a payment at
the counter — with its receipt."""

import json
from decimal import Decimal as D

import pytest
from django.db import connection

from tests.concurrency import at_once, postgres_only
from wuye.billing import payments
from wuye.billing.models import CreditEntry, Payment
from wuye.ledger.models import Allocation, BillLine
from wuye.onlinepay import services
from wuye.onlinepay.models import GatewayNotification, OnlineOrder, SimulatedTransaction
from wuye.onlinepay.simulator import SIGNATURE_HEADER, SimulatorGateway

pytestmark = pytest.mark.django_db
Outcome = GatewayNotification.Outcome


def signed(body: bytes) -> dict:
    return SimulatorGateway.signed_headers(body)


def body_of(order, *, amount=None, txn="T-1", status="paid", paid_at="2026-11-20T10:00:00+08:00"):
    return json.dumps({"out_trade_no": order.number, "transaction_id": txn, "status": status,
                       "amount": str(amount or order.amount), "paid_at": paid_at}).encode()  # fmt: skip


def test_an_order_is_for_what_is_open_on_the_chosen_lines(order_for, owed):
    order = order_for(count=2)
    assert order.state == OnlineOrder.State.CREATED and order.amount == D("200.00")
    assert order.number == f"OP-A-{order.created_at.year}-000001" and order.gateway == "simulator"
    assert sorted(line.amount for line in order.lines.all()) == [D("100.00"), D("100.00")]


def test_a_signed_notification_pays_exactly_the_chosen_lines_and_issues_a_receipt(
    order_for, owed, paid_by_simulator
):
    september, october, november = payments.open_lines(owed)
    order = order_for(count=2)
    txn = paid_by_simulator(order)
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.PAID and order.gateway_txn_id == txn.txn_id
    payment = order.payment
    assert (payment.method, payment.amount, payment.reference) == ("qr", D("200.00"), txn.txn_id)
    assert payment.idempotency_key == order.number
    # The online channel's money: no cashier, not a system user posing as one.
    assert (payment.channel, payment.cashier) == (Payment.Channel.ONLINE, None)
    assert payment.receipt.number.startswith("RC-A-")
    assert {a.bill_line_id: a.amount for a in Allocation.objects.filter(payment=payment)} == {
        september.pk: D("100.00"), october.pk: D("100.00")}  # fmt: skip
    assert [line.pk for line in payments.open_lines(owed)] == [november.pk]
    assert payments.ledger(owed).balance == D("100.00")
    [notice] = GatewayNotification.objects.all()
    assert (notice.outcome, notice.signature_ok, notice.order, notice.site_id) == (
        Outcome.APPLIED, True, order, owed.site_id)  # fmt: skip
    assert notice.message == payment.receipt.number


def test_the_resident_may_choose_lines_out_of_order(payer, owed, paid_by_simulator):
    september, october, november = payments.open_lines(owed)
    order = services.create_order(actor=payer, unit=owed, line_ids=[str(november.pk)])
    paid_by_simulator(order)
    order.refresh_from_db()
    assert [a.bill_line_id for a in order.payment.allocations.all()] == [november.pk]
    assert [line.pk for line in payments.open_lines(owed)] == [september.pk, october.pk]


def test_a_bad_signature_is_logged_and_nothing_is_paid(order_for, simulator):
    order = order_for()
    body = body_of(order)
    handled = services.handle_notification(simulator, body, {SIGNATURE_HEADER: "0" * 64})
    assert handled.outcome == Outcome.BAD_SIGNATURE
    notice = GatewayNotification.objects.get()
    assert (notice.signature_ok, notice.outcome, notice.order, notice.out_trade_no) == (
        False, Outcome.BAD_SIGNATURE, None, order.number)  # fmt: skip
    assert notice.site_id == order.site_id  # filed under the site it claims, for finance to see
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.CREATED
    # Signed with another secret, or not signed at all: the same.
    services.handle_notification(simulator, body, {})
    assert GatewayNotification.objects.filter(outcome=Outcome.BAD_SIGNATURE).count() == 2
    assert not Payment.objects.exists()


def test_a_notification_of_an_unknown_order_is_logged(simulator, order_for):
    order_for()
    body = json.dumps({"out_trade_no": "OP-A-2026-999999", "transaction_id": "T-9", "status": "paid",
                       "amount": "10.00", "paid_at": "2026-11-20T10:00:00+08:00"}).encode()  # fmt: skip
    handled = services.handle_notification(simulator, body, signed(body))
    assert handled.outcome == Outcome.UNKNOWN_ORDER
    notice = handled.notification
    assert (notice.site_id, notice.out_trade_no, notice.amount) == (
        None,
        "OP-A-2026-999999",
        D("10.00"),
    )
    assert simulator.acknowledge(handled.outcome, "")[0] == 404
    assert not Payment.objects.exists()


def test_a_duplicate_notification_makes_one_payment(order_for, simulator, paid_by_simulator, django_capture_on_commit_callbacks):  # fmt: skip
    order = order_for()
    txn = paid_by_simulator(order)
    with django_capture_on_commit_callbacks(execute=True):
        simulator.notify(SimulatedTransaction.objects.get(pk=txn.pk))
    assert Payment.objects.count() == 1
    assert list(GatewayNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        Outcome.APPLIED, Outcome.DUPLICATE]  # fmt: skip
    assert SimulatedTransaction.objects.get(pk=txn.pk).notified == 2


def test_a_paid_order_notified_with_another_transaction_is_not_paid_twice(order_for, simulator, paid_by_simulator):  # fmt: skip
    order = order_for()
    first = paid_by_simulator(order)
    body = body_of(order, txn="OTHER-1")
    handled = services.handle_notification(simulator, body, signed(body))
    # The log names the transaction that paid it first (in the staff's language).
    assert handled.outcome == Outcome.ERROR and first.txn_id in handled.notification.message
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_notifications_at_once_make_exactly_one_payment(order_for, simulator):
    postgres_only()
    order = order_for()
    body = body_of(order, txn="T-AT-ONCE")
    outcomes = at_once(
        4, lambda i: services.handle_notification(simulator, body, signed(body)).outcome
    )
    assert sorted(outcomes) == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 3, outcomes
    assert Payment.objects.count() == 1
    assert Allocation.objects.filter(payment__online_order=order).count() == 2
    assert connection.vendor == "postgresql"


def test_an_amount_other_than_the_order_s_is_logged_and_not_applied(order_for, paid_by_simulator):
    order = order_for()
    paid_by_simulator(order, amount="199.99")
    notice = GatewayNotification.objects.get()
    assert notice.outcome == Outcome.AMOUNT_MISMATCH and notice.amount == D("199.99")
    assert "¥199.99" in notice.message and "¥200.00" in notice.message
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.CREATED and not Payment.objects.exists()


def test_a_line_paid_at_the_counter_meanwhile_leaves_the_rest_as_credit(order_for, owed, finance, paid_by_simulator):  # fmt: skip
    order = order_for(count=2)  # September and October, ¥200
    payments.take_payment(site=owed.site, actor=finance["cashier"].user, unit=owed, method="cash", amount="100")  # fmt: skip
    paid_by_simulator(order)
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.PAID and order.payment.amount == D("200.00")
    assert sum(a.amount for a in order.payment.allocations.all()) == D("100.00")  # October only
    assert CreditEntry.objects.get(payment=order.payment).amount == D("100.00")
    assert payments.ledger(owed).balance == D("100.00")  # November
    assert payments.credit_balance(owed) == D("100.00")


def test_a_cancelled_line_is_left_out_and_its_share_held_as_credit(order_for, owed, finance, paid_by_simulator):  # fmt: skip
    order = order_for(count=2)
    september, october = (BillLine.objects.get(pk=line.bill_line_id)
                           for line in order.lines.order_by("bill_line__period_start"))  # fmt: skip
    from wuye.billing import services as billing

    billing.cancel_bill_line(line=october, actor=finance["sup"].user, reason="重复")
    paid_by_simulator(order)
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.PAID
    assert {a.bill_line_id: a.amount for a in order.payment.allocations.all()} == {september.pk: D("100.00")}  # fmt: skip
    assert CreditEntry.objects.get(payment=order.payment).amount == D("100.00")


def test_the_gateway_closing_the_trade_cancels_a_waiting_order(order_for, simulator, django_capture_on_commit_callbacks):  # fmt: skip
    order = order_for()
    with django_capture_on_commit_callbacks(execute=True):
        simulator.cancel(order)
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.CANCELLED and order.closed_at is not None
    assert GatewayNotification.objects.get().outcome == Outcome.APPLIED
    assert not Payment.objects.exists()


def test_a_late_payment_of_an_expired_order_still_counts(order_for, paid_by_simulator):
    import datetime

    from django.utils import timezone

    order = order_for()
    assert services.expire_orders(timezone.now() + datetime.timedelta(minutes=31)) == 1
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.EXPIRED
    paid_by_simulator(order)  # the money is at the gateway: it is taken, not lost
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.PAID and order.payment.amount == D("200.00")


def test_ordering_refuses_lines_not_open_on_the_unit(payer, owed, estate, order_for):
    from django.core.exceptions import ValidationError

    from tests.errors import codes

    other = estate["units"][1]
    foreign = payments.open_lines(other)[0]
    with pytest.raises(ValidationError) as refused:
        services.create_order(actor=payer, unit=owed, line_ids=[foreign.pk])
    assert codes(refused.value) == {"not_open"}
    with pytest.raises(ValidationError) as refused:
        services.create_order(actor=payer, unit=owed, line_ids=[])
    assert codes(refused.value) == {"required"}
    with pytest.raises(ValidationError) as refused:
        services.create_order(actor=payer, unit=owed, line_ids=["x"])
    assert codes(refused.value) == {"invalid"}
    assert not OnlineOrder.objects.exists()


def test_nothing_to_pay_is_refused(payer, owed, finance):
    from django.core.exceptions import ValidationError

    from tests.errors import codes

    payments.take_payment(site=owed.site, actor=finance["cashier"].user, unit=owed, method="cash", amount="300")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.create_order(actor=payer, unit=owed, line_ids=[1])
    assert codes(refused.value) == {"nothing_to_pay"}
