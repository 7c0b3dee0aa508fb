"""The collections benchmark runs end to end on a small company: it builds the ledger by the
models' rules, and the report from the figures agrees with the recount from the ledger."""

import datetime

import pytest

from wuye.billing import collection_bench, figures, payments
from wuye.billing.models import CollectionFigure, LateFee, Payment, Refund
from wuye.core.models import Site
from wuye.estate.models import Building, Unit
from wuye.ledger.models import Allocation, BillLine

KEYS = {"sites", "units", "report_ms", "recount_ms", "figures_equal", "aging_ms", "late_fee_job_s"}


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_times_the_report_the_recount_aging_and_late_fees():
    messages = []
    result = collection_bench.bench(scale=0.002, report=messages.append)
    assert set(result) >= KEYS
    assert result["figures_equal"] is True
    assert result["sites"] == 2 and result["units"] == 2000
    assert result["late_fees"] > 0  # the daily job had overdue lines to accrue on
    for key in ("report_ms", "recount_ms", "aging_ms", "late_fee_job_s", "rebuild_s"):
        assert isinstance(result[key], float) and result[key] > 0, key
    # The figures the report read are the ledger's, cell by cell, on every site.
    assert CollectionFigure.objects.exists()
    for site in Site.objects.all():
        assert figures.differences(site) == []
    assert any("sites: 2/2" in m for m in messages)


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_ledger_has_what_a_real_one_has():
    collection_bench.run(sites=2, units=1000)
    assert Building.objects.count() == 4  # 500 units a site, in buildings of 250
    # Two fee items a site for 24 months, and parking on the first site (a space per ten units).
    lines = BillLine.objects.filter(unit__isnull=False)
    assert lines.count() == 1000 * 2 * 24
    assert BillLine.objects.filter(parking_space__isnull=False).count() == 50 * 24
    line = lines.filter(fee_item__code="mgmt").order_by("pk").first()
    assert line.target == f"unit:{line.unit_id}"
    assert line.due_date == (line.period_end + datetime.timedelta(days=1)).replace(day=15)
    # Paid, partly paid, never paid; voided payments undone; line refunds; no money after today.
    assert Payment.objects.filter(voided_at__isnull=False).exists()
    voided = Allocation.objects.filter(payment__voided_at__isnull=False)
    assert voided.exists() and not voided.filter(undone=False).exists()
    assert Refund.objects.filter(source=Refund.Source.LINE, bill_line__isnull=False).exists()
    assert not Allocation.objects.filter(collected_on__gte=collection_bench.TODAY).exists()
    never = Unit.objects.filter(pk__in=[pk for pk in Unit.objects.values_list("pk", flat=True) if pk % 100 == 0]).first()  # fmt: skip
    assert len(payments.open_lines(never)) == 48
    late_payer = Unit.objects.filter(pk__in=[pk for pk in Unit.objects.values_list("pk", flat=True) if pk % 100 == 10]).first()  # fmt: skip
    assert {line.period_start for line in payments.open_lines(late_payer)} == {
        datetime.date(2026, 10, 1),
        datetime.date(2026, 11, 1),
    }
    # The daily late-fee job ran: overdue management-fee lines carry a late fee.
    assert LateFee.objects.filter(bill_line__fee_item__code="mgmt", accrued__gt=0).exists()
    assert not LateFee.objects.exclude(bill_line__fee_item__code="mgmt").exists()
