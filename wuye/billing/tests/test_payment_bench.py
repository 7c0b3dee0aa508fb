"""The payments benchmark runs end to end on a small site: payments one after another, one
through the API, and — on PostgreSQL — eight cashiers at once and twenty payments of one line,
of which exactly one succeeds (docs/billing.md, Payments at once)."""

import pytest
from django.db import connection

from wuye.billing import payment_bench
from wuye.billing.models import Payment, Receipt


@pytest.mark.django_db(transaction=True)
def test_the_payments_benchmark_counts_queries_and_pays_each_line_once():
    result = payment_bench.run(count=16)
    assert result["payments"] == 16
    # 16 on PostgreSQL today (its lock timeout and the figures' advisory lock are statements
    # of their own), the first payment of a receipt year one more; a query more is a regression.
    assert 0 < result["queries_per_payment"] <= 17 and result["payments_per_s"] > 0
    assert 0 < result["queries_per_payment_api"] <= 30
    if connection.vendor != "postgresql":
        assert result["concurrency"] == "concurrency needs PostgreSQL"
        assert Payment.objects.count() == 16 + 1
        return
    assert result["concurrent_payments_per_s"] > 0 and result["concurrent_speedup"] > 0
    assert result["concurrent_one_line_successes"] == 1
    assert result["concurrent_one_line_refusals"] == {"nothing_open": 19}
    assert Payment.objects.count() == Receipt.objects.count() == 16 * 2 + 1 + 1
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
