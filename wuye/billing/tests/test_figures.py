"""The collection figures (R-FEE-05): kept by the ledger's own writes, they
agree to the fen with a recount from the ledger after any mix of payments, voids, refunds,
credit, deposits, cancellations, run reversals and lease terminations; a rebuild writes the
same figures; two payments landing on one figure at once both count."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from wuye.billing import collection_rate, figures, payments
from wuye.billing.collection_rate import Period
from wuye.billing.models import CollectionFigure, FeeItem, IncomeFigure
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine

from .collections_history import DEC, JAN, NOV, OCT, SEP, make_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(time_machine, owed, estate, finance, fee_item, deposit_item):
    return make_history(time_machine=time_machine, owed=owed, estate=estate, finance=finance,
                        fee_item=fee_item, deposit_item=deposit_item)  # fmt: skip


def cells(site):
    return sorted(
        CollectionFigure.objects.filter(site=site)
        .exclude(due=0, collected=0)
        .values_list("building", "fee_item", "charge_month", "collected_month", "due", "collected")
    )


def income_cells(site):
    return sorted(
        IncomeFigure.objects.filter(site=site)
        .exclude(received=0, refunded=0)
        .values_list("building", "month", "method", "cashier", "received", "refunded")
    )


def test_figures_equal_the_recount_after_a_mixed_history_r_fee_05(history, site_a):
    assert figures.differences(site_a) == []
    periods = [Period.containing("month", m) for m in (SEP, OCT, NOV, DEC, JAN)] + [
        Period.containing("quarter", SEP), Period.containing("quarter", DEC),
        Period.containing("year", DEC), Period.containing("year", JAN),
    ]  # fmt: skip
    for period in periods:
        assert collection_rate.compare(sites=[site_a], period=period) == {}, period
        ours = collection_rate.report(sites=[site_a], period=period)
        assert ours.numbers() == collection_rate.recount(sites=[site_a], period=period).numbers()


def test_a_rebuild_writes_the_same_figures_the_writes_kept(history, site_a):
    kept, kept_income = cells(site_a), income_cells(site_a)
    assert kept and kept_income
    CollectionFigure.objects.filter(site=site_a).update(collected=D("999"))  # spoiled
    assert figures.differences(site_a)
    figures.rebuild_figures(site=site_a)
    assert cells(site_a) == kept and income_cells(site_a) == kept_income
    assert figures.differences(site_a) == []
    # Rebuilding some months only leaves the others as they were.
    IncomeFigure.objects.filter(site=site_a, month=OCT).delete()
    CollectionFigure.objects.filter(site=site_a, charge_month=OCT).delete()
    figures.rebuild_figures(site=site_a, months=[datetime.date(2026, 10, 17)])
    assert cells(site_a) == kept and income_cells(site_a) == kept_income
    # An import rebuilds the months it billed: the income of the months those lines were paid
    # and refunded in (September's: October, November, December) is rebuilt with them.
    IncomeFigure.objects.filter(site=site_a).exclude(month=SEP).delete()
    figures.rebuild_figures(site=site_a, months=[SEP])
    assert income_cells(site_a) == kept_income


def test_a_payment_spanning_two_months_counts_once_per_line(history, site_a, estate):
    spanning = history["spanning"]  # ¥200 on 1 October, Beijing time: September's and October's
    made = Allocation.objects.filter(payment=spanning).order_by("bill_line__period_start")
    assert [(a.bill_line.period_start, a.amount, a.collected_on) for a in made] == [
        (SEP, D("100.00"), datetime.date(2026, 10, 1)), (OCT, D("100.00"), datetime.date(2026, 10, 1)),
    ]  # fmt: skip
    mgmt = FeeItem.objects.get(site=site_a, code="mgmt")
    b1 = estate["b1"]
    sep = CollectionFigure.objects.get(fee_item=mgmt, building=b1, charge_month=SEP, collected_month=OCT)  # fmt: skip
    # September's lines of building 1 collected in October: 1-0102 100, 1-0201 100, the shop 100
    assert sep.collected == D("300.00")
    total = sum(
        CollectionFigure.objects.filter(site=site_a).values_list("collected", flat=True), D("0")
    )
    live = sum(
        Allocation.objects.filter(undone=False, bill_line__cancelled_at__isnull=True)
        .exclude(bill_line__fee_item__kind=FeeItem.Kind.LATE_FEE)
        .values_list("amount", flat=True),
        D("0"),
    )
    assert total == live - D("40.00")  # every live allocation once, less the one line refund


def test_a_void_a_cancellation_and_a_reversal_leave_nothing_behind(history, site_a, estate):
    voided_unit = estate["units"][3]  # its ¥100 payment was voided: nothing collected, anywhere
    assert not Allocation.objects.filter(bill_line__unit=voided_unit, undone=False).exists()
    assert payments.line_paid(BillLine.objects.get(unit=voided_unit, period_start=SEP)) == D("0.00")
    mgmt = FeeItem.objects.get(site=site_a, code="mgmt")
    oct_due = CollectionFigure.objects.get(fee_item=mgmt, building=estate["b1"], charge_month=OCT, collected_month=OCT)  # fmt: skip
    assert oct_due.due == D("500.00")  # six flats and the shop less the cancelled line
    rent = FeeItem.objects.get(site=site_a, code="rent")
    # December's rent: posted, reversed, posted again, re-priced for 15 of 31 days: ¥1500 once.
    assert CollectionFigure.objects.get(fee_item=rent, charge_month=DEC, collected_month=DEC).due == D("1500.00")  # fmt: skip
    assert CollectionFigure.objects.get(fee_item=rent, charge_month=JAN, collected_month=JAN).due == D("0.00")  # fmt: skip
    assert CollectionFigure.objects.get(fee_item=mgmt, building=estate["b1"], charge_month=DEC, collected_month=DEC).due == D("600.00")  # fmt: skip


def test_income_figures_count_payments_not_voided_less_refunds(history, site_a, finance, estate):
    cashier, head = finance["cashier"].user, finance["head"].user
    b1, b2 = estate["b1"].pk, estate["b2"].pk
    by_month = {}
    for building, month, method, who, received, back in income_cells(site_a):
        by_month.setdefault(month, []).append((building, method, who, received, back))
    # September: 2-0102's deposit and 1-0101's ¥50, both cash
    assert sorted(by_month[SEP]) == [(b1, "cash", cashier.pk, D("50.00"), D("0.00")),
                                     (b2, "cash", cashier.pk, D("500.00"), D("0.00"))]  # fmt: skip
    october = {}
    for _building, method, _who, received, _back in by_month[OCT]:
        october[method] = october.get(method, D("0")) + received
    # 1-0102's QR payment after midnight on 1 October; 1-0202's voided ¥100 counts nowhere
    assert october == {"qr": D("200.00"), "transfer": D("300.00"), "cash": D("280.00")}
    assert by_month[NOV] == [(b2, "cash", head.pk, D("0.00"), D("40.00"))]


def test_lines_of_late_fee_items_are_left_out_of_the_figures(owed, site_a, fee_item, finance):
    from wuye.billing import services

    late = fee_item("late", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.LATE_FEE, is_cyclic=False)
    services.add_charge(site=site_a, actor=finance["cashier"].user, fee_item=late, unit=owed,
                        period_start=NOV, amount="12.34", key="late-1")  # fmt: skip
    assert not CollectionFigure.objects.filter(fee_item=late).exists()
    assert figures.differences(site_a) == []
    # Made an ordinary item, its lines count from then on: the site's figures are rebuilt.
    services.save_fee_item(site=site_a, actor=finance["sup"].user, item=late, kind=FeeItem.Kind.OTHER)  # fmt: skip
    assert CollectionFigure.objects.get(fee_item=late).due == D("12.34")
    assert figures.differences(site_a) == []


def test_the_recount_command_prints_differences_and_fixes_them(history, site_a, capsys):
    call_command("recount_collections", "--site", "a")
    assert "agree" in capsys.readouterr().out
    CollectionFigure.objects.filter(site=site_a, charge_month=OCT).update(due=D("1"))
    with pytest.raises(SystemExit):
        call_command("recount_collections", "--site", "a")
    out = capsys.readouterr().out
    assert "differ" in out and "2026-10-01" in out
    call_command("recount_collections", "--site", "a", "--fix")
    assert "rebuilt" in capsys.readouterr().out
    assert figures.differences(site_a) == []


def test_the_nightly_check_rebuilds_a_site_whose_figures_differ(history, site_a, site_b):
    from wuye.billing.tasks import check_collection_figures_task

    assert check_collection_figures_task() == {"sites": 2, "rebuilt": [], "recounted": []}
    CollectionFigure.objects.filter(site=site_a).delete()
    assert check_collection_figures_task() == {"sites": 2, "rebuilt": ["a"], "recounted": []}
    assert figures.differences(site_a) == []


def test_the_nightly_check_recounts_a_line_whose_open_amount_drifted(history, site_a, site_b):
    from wuye.billing.tasks import check_collection_figures_task

    line = BillLine.objects.filter(paid_amount__gt=0).select_related("site").order_by("pk").first()
    BillLine.objects.filter(pk=line.pk).update(paid_amount=0)
    assert check_collection_figures_task()["recounted"] == [line.site.code]
    assert receivables.differences(line.site) == [] and figures.differences(line.site) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_payments_at_once_on_one_figure_all_count_on_postgresql(fee_item, finance, estate, site_a):
    """Six cashiers paying six flats of building 1 at the same moment all add to the one figure
    of November's management fee collected in November; a rebuild racing more payments neither
    loses nor doubles one."""
    from tests.concurrency import at_once, postgres_only
    from wuye.billing import bill_runs, services

    postgres_only()
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="100", valid_from=SEP)
    bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    flats = estate["units"][:6]

    def pay(i, amount="60"):
        return payments.take_payment(site=site_a, actor=finance["cashier"].user, unit=flats[i],
                                     method="cash", amount=amount)  # fmt: skip

    outcomes = at_once(6, pay)
    assert all(isinstance(o, payments.Payment) for o in outcomes), outcomes
    today = figures.month_of(figures.local_day(site_a))
    cell = {
        "fee_item": item,
        "building": estate["b1"],
        "charge_month": NOV,
        "collected_month": today,
    }
    assert CollectionFigure.objects.get(**cell).collected == D("360.00")
    assert IncomeFigure.objects.get(building=estate["b1"], month=today).received == D("360.00")

    def pay_or_rebuild(i):
        return figures.rebuild_figures(site=site_a) if i == 0 else pay(i, "40")

    outcomes = at_once(6, pay_or_rebuild)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert CollectionFigure.objects.get(**cell).collected == D("560.00")  # a rebuild writes anew
    assert figures.differences(site_a) == []
