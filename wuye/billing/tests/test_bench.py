"""The billing benchmark runs end to end on a small site."""

import pytest

from wuye.billing import bench
from wuye.billing.models import BillLine


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_bills_a_month_and_times_the_baseline():
    result = bench.run(units=300)
    assert result["units"] == 300 and result["lines"] == 900
    assert result["bill_run_s"] > 0 and result["baseline_s"] > 0 and result["ratio"] > 0
    # The run's month and the baseline's month: the same rows twice.
    assert BillLine.objects.count() == 1800
    assert BillLine.objects.filter(period_start__month=11).count() == 900
