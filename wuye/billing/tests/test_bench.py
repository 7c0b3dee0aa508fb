"""The billing benchmark runs end to end on a small site: the bill run and its baseline, a
payment for every unit but one, and the statement of that one with its long history."""

import pytest

from wuye.billing import bench, payments
from wuye.billing.models import CreditEntry, Payment
from wuye.estate.models import Unit
from wuye.ledger.models import Allocation, BillLine


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_bills_a_month_and_times_the_baseline():
    result = bench.run(units=300)
    assert result["units"] == 300 and result["lines"] == 900
    assert result["bill_run_s"] > 0 and result["baseline_s"] > 0 and result["ratio"] > 0
    # The run's month and the baseline's month: the same rows twice, and 24 months of history.
    assert BillLine.objects.filter(period_start__month=11, period_start__year=2026).count() == 900
    assert BillLine.objects.filter(period_start__year=2026, period_start__month=12).count() == 900
    assert BillLine.objects.count() == 1800 + 24 * 3


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_times_payments_and_a_long_statement():
    result = bench.run(units=120)
    for key in ("payments_10k_s", "statement_ms"):
        assert isinstance(result[key], float) and result[key] > 0, key
    # Every unit but the last paid all it owed, in cash, by the cashier role.
    assert result["payments"] == 119
    cash = Payment.objects.filter(method="cash")
    assert cash.count() == 119 and cash.values("unit").distinct().count() == 119
    assert {p.cashier.username for p in cash} == {"bench-cashier"}
    history = Unit.objects.order_by("-pk").first()
    for unit in Unit.objects.order_by("pk")[:119]:
        assert payments.open_lines(unit) == []
    # The last unit: 24 months billed and paid, ¥100 of credit drawn, November and December open.
    assert Payment.objects.filter(unit=history).count() == 24
    assert Allocation.objects.filter(bill_line__unit=history, from_credit=True).exists()
    assert sum(c.amount for c in CreditEntry.objects.filter(unit=history)) == 0
    assert {line.period_start.month for line in payments.open_lines(history)} == {11, 12}
    assert result["statement_entries"] == 24 * 3 + 6 + 24 + 1
