"""A paid online order is the online channel's money: a payment with no cashier, its own line
(在线支付) in income by cashier and in the daily close, never a person; its audit entries name
the order and the gateway; the figures equal their recount. The migration that moved the
payments once taken by billing's system user keeps them and their figures."""

import importlib
from decimal import Decimal as D
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from wuye.billing import figures, payments
from wuye.billing.collection_rate import Period, compare, report
from wuye.billing.daily_close import cashier_days, close_day
from wuye.billing.jobs import system_actor
from wuye.billing.models import IncomeFigure, Payment
from wuye.core.models import AuditEntry

pytestmark = pytest.mark.django_db
ONLINE = Payment.Channel.ONLINE


@pytest.fixture
def online_and_counter(order_for, owed, paid_by_simulator, finance):
    """¥200 paid online for `owed`, ¥100 taken in cash at the counter by the cashier."""
    order = order_for(count=2)
    paid_by_simulator(order)
    order.refresh_from_db()
    cash = payments.take_payment(
        site=owed.site, actor=finance["cashier"].user, unit=owed, method="cash", amount="100"
    )
    return order, cash


def _month(site):
    return Period.containing("month", figures.local_day(site))


def test_an_online_payment_has_no_cashier_and_the_online_channel(online_and_counter):
    order, cash = online_and_counter
    assert (order.payment.channel, order.payment.cashier_id) == (ONLINE, None)
    assert (cash.channel, cash.cashier_id) == (Payment.Channel.COUNTER, cash.cashier.pk)


def test_income_by_cashier_shows_online_money_as_its_own_line_not_a_person(
    online_and_counter, owed, finance
):
    site = owed.site
    rows = report(sites=[site], period=_month(site)).income_by_cashier
    assert [(row.key, row.label, row.received) for row in rows] == [
        (finance["cashier"].user.pk, finance["cashier"].user.get_full_name() or finance["cashier"].user.username, D("100.00")),
        (ONLINE, "在线支付", D("200.00")),
    ]  # fmt: skip
    assert IncomeFigure.objects.get(site=site, cashier__isnull=True).received == D("200.00")


def test_the_figures_with_online_money_equal_their_recount(online_and_counter, owed):
    site = owed.site
    assert compare(sites=[site], period=_month(site)) == {}
    assert figures.differences(site) == []
    assert figures.check_figures()["rebuilt"] == []
    out = StringIO()
    call_command("recount_collections", stdout=out)
    assert "figures agree with the ledger" in out.getvalue() and "differ" not in out.getvalue()
    # A rebuild from the ledger gives the same rows back: one for the online channel.
    figures.rebuild_figures(site=site)
    assert IncomeFigure.objects.get(site=site, cashier__isnull=True).received == D("200.00")
    assert figures.differences(site) == []


def test_a_second_online_payment_adds_to_the_online_row(order_for, owed, paid_by_simulator):
    paid_by_simulator(order_for(count=1))
    paid_by_simulator(order_for(count=1))
    [row] = IncomeFigure.objects.filter(site=owed.site, cashier__isnull=True)
    assert row.received == D("200.00") and figures.differences(owed.site) == []


def test_the_daily_close_lists_online_money_apart_and_it_is_not_closed_by_a_cashier(
    online_and_counter, owed, finance, client_of
):
    site, day = owed.site, figures.local_day(owed.site)
    people, online = cashier_days(site, day)
    assert (people.cashier, people.total) == (finance["cashier"].user, D("100.00"))
    assert (online.online, online.cashier, online.name) == (True, None, "在线支付")
    assert online.by_method == {"qr": D("200.00")} and online.matches
    assert online.receipts == [online_and_counter[0].payment.receipt.number]
    html = client_of(finance["cashier"].user).get(reverse("billing:daily_close"), {"day": day.isoformat()}).content.decode()  # fmt: skip
    assert "<h2>在线支付</h2>" in html  # the page speaks the site's Chinese
    assert html.count('name="cashier"') == 1  # a close for the cashier's day only
    close_day(site=site, actor=finance["sup"].user, cashier_id=finance["cashier"].user.pk, day=day)


def test_the_online_payments_audit_entries_name_the_order_and_gateway_not_a_person(
    online_and_counter,
):
    order, _cash = online_and_counter
    made = AuditEntry.objects.get(object_id=str(order.payment.pk), action=AuditEntry.Action.CREATE,
                                  content_type__model="payment")  # fmt: skip
    assert made.actor is None and order.number in made.verb and order.gateway in made.verb
    paid = AuditEntry.objects.get(object_id=str(order.pk), action=AuditEntry.Action.ACTION,
                                  content_type__model="onlineorder")  # fmt: skip
    assert paid.actor is None and order.gateway in paid.verb


def test_the_migration_moves_system_user_payments_to_the_online_channel_with_their_figures(
    online_and_counter, owed
):
    """As before the channel: the order's payment taken by billing's system user as cashier."""
    order, _cash = online_and_counter
    site = owed.site
    system = system_actor(site)
    payment = order.payment
    Payment.objects.filter(pk=payment.pk).update(channel=Payment.Channel.COUNTER, cashier=system)
    figures.rebuild_figures(site=site)  # its income on the system user's row, as it was kept
    assert IncomeFigure.objects.get(site=site, cashier=system).received == D("200.00")
    migration = importlib.import_module("wuye.onlinepay.migrations.0002_online_payments_channel")
    migration.forwards(apps, None)
    payment.refresh_from_db()
    assert (payment.channel, payment.cashier_id, payment.amount) == (ONLINE, None, D("200.00"))
    assert IncomeFigure.objects.get(site=site, cashier=system).received == D("0.00")
    assert IncomeFigure.objects.get(site=site, cashier__isnull=True).received == D("200.00")
    assert figures.differences(site) == []
    migration.backwards(apps, None)
    payment.refresh_from_db()
    assert (payment.channel, payment.cashier_id) == (Payment.Channel.COUNTER, system.pk)
    assert figures.differences(site) == []
