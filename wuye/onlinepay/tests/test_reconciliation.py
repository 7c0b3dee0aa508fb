"""The daily reconciliation of online payments (docs/collections.md, Online payment —
Reconciliation): our paid orders of a day against the gateway's own record of that day; each
difference listed by kind; run again, the day's record is replaced, not doubled."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from wuye.core.schedule import SCHEDULE
from wuye.onlinepay import services
from wuye.onlinepay.models import OnlineOrder, Reconciliation, ReconciliationMismatch
from wuye.onlinepay.tasks import daily_reconciliation_task

pytestmark = pytest.mark.django_db
Kind = ReconciliationMismatch.Kind


def today(site):
    return timezone.localdate()


def kinds(run):
    return sorted(
        (m.kind, m.out_trade_no, m.our_amount, m.gateway_amount) for m in run.mismatches.all()
    )


def test_a_day_where_everything_matches(order_for, paid_by_simulator, site_a, finance):
    order = order_for()
    paid_by_simulator(order)
    run = services.reconcile(site=site_a, day=today(site_a), actor=finance["sup"].user)
    assert run.state == Reconciliation.State.MATCHED and run.mismatches_count == 0
    assert (run.orders_count, run.orders_total, run.gateway_count, run.gateway_total) == (1, D("200.00"), 1, D("200.00"))  # fmt: skip
    assert run.run_by == finance["sup"].user


def test_reconciliation_finds_each_kind_of_mismatch(order_for, paid_by_simulator, estate, site_a):
    units = estate["units"]
    matched = order_for(units[0])
    paid_by_simulator(matched)
    lost = order_for(units[1])
    paid_by_simulator(lost, notify=False)  # the gateway took it; its notification never came
    unlisted = order_for(units[2])
    paid_by_simulator(unlisted, record=False)  # paid here; the gateway's statement leaves it out
    differs = order_for(units[6])
    paid_by_simulator(differs, amount="150.00")  # the gateway took another amount
    run = services.reconcile(site=site_a, day=today(site_a))
    assert run.state == Reconciliation.State.MISMATCHED and run.mismatches_count == 3
    assert kinds(run) == sorted([
        (Kind.GATEWAY_ONLY, lost.number, D("200.00"), D("200.00")),
        (Kind.OURS_ONLY, unlisted.number, D("200.00"), None),
        (Kind.AMOUNT_DIFFERS, differs.number, D("200.00"), D("150.00")),
    ])  # fmt: skip
    assert (run.orders_count, run.orders_total) == (2, D("400.00"))  # matched and unlisted
    assert (run.gateway_count, run.gateway_total) == (3, D("550.00"))  # matched, lost, differs
    assert OnlineOrder.objects.get(pk=lost.pk).state == OnlineOrder.State.CREATED


def test_a_paid_order_the_gateway_reports_with_another_amount(order_for, paid_by_simulator, site_a):
    from wuye.onlinepay.models import SimulatedTransaction

    order = order_for()
    txn = paid_by_simulator(order)
    SimulatedTransaction.objects.filter(pk=txn.pk).update(
        amount=D("199.00")
    )  # its statement says so
    [mismatch] = services.reconcile(site=site_a, day=today(site_a)).mismatches.all()
    assert (mismatch.kind, mismatch.order, mismatch.our_amount, mismatch.gateway_amount) == (
        Kind.AMOUNT_DIFFERS, order, D("200.00"), D("199.00"))  # fmt: skip


def test_reconciling_twice_keeps_one_record_and_replaces_its_mismatches(order_for, paid_by_simulator, site_a, django_capture_on_commit_callbacks, simulator):  # fmt: skip
    from wuye.onlinepay.models import SimulatedTransaction

    order = order_for()
    paid_by_simulator(order, notify=False)
    first = services.reconcile(site=site_a, day=today(site_a))
    assert first.mismatches_count == 1
    # The notification arrives after all (the gateway sent it again): now everything matches.
    with django_capture_on_commit_callbacks(execute=True):
        simulator.notify(SimulatedTransaction.objects.get(out_trade_no=order.number))
    again = services.reconcile(site=site_a, day=today(site_a))
    assert again.pk == first.pk and Reconciliation.objects.count() == 1
    assert (
        again.state == Reconciliation.State.MATCHED and not ReconciliationMismatch.objects.exists()
    )


def test_another_day_or_site_is_not_mixed_in(order_for, paid_by_simulator, site_a, site_b):
    paid_by_simulator(order_for())
    yesterday = services.reconcile(site=site_a, day=today(site_a) - datetime.timedelta(days=1))
    assert (yesterday.orders_count, yesterday.gateway_count, yesterday.mismatches_count) == (
        0,
        0,
        0,
    )
    other = services.reconcile(site=site_b, day=today(site_a))
    assert (other.orders_count, other.gateway_count) == (0, 0)


def test_a_cashier_may_not_reconcile(site_a, finance):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.reconcile(site=site_a, day=today(site_a), actor=finance["cashier"].user)
    assert not Reconciliation.objects.exists()


def test_the_daily_task_reconciles_each_site_s_yesterday_once(order_for, paid_by_simulator, site_a, site_b):  # fmt: skip
    assert any(e.task == "wuye.onlinepay.tasks.daily_reconciliation_task" for e in SCHEDULE)
    order = order_for()
    paid_by_simulator(order, notify=False)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    result = services.reconcile_yesterday(tomorrow)
    assert sorted(r["site"] for r in result["reconciled"]) == ["a", "b"]
    run = Reconciliation.objects.get(site=site_a)
    assert run.day == today(site_a) and run.mismatches_count == 1 and run.run_by is None
    again = services.reconcile_yesterday(tomorrow)
    assert again["reconciled"] == [] and Reconciliation.objects.count() == 2
    earlier = daily_reconciliation_task.run()["reconciled"]  # the real yesterday: nothing paid
    assert [(r["site"], r["mismatches"]) for r in earlier] == [("a", 0), ("b", 0)]


def test_the_daily_task_expires_orders_left_waiting(order_for):
    order = order_for()
    result = services.reconcile_yesterday(timezone.now() + datetime.timedelta(hours=1))
    assert result["expired"] == 1
    order.refresh_from_db()
    assert order.state == OnlineOrder.State.EXPIRED and order.closed_at is not None
