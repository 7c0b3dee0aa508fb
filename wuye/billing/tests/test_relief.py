"""Relief (docs/collections.md, Relief): discounts, fixed reductions, gift months and vacant-unit
relief, each a rule with its window, applied in bill runs or at payment and recorded as its own
ledger entry; relief lowers what is owed everywhere and what is due in the collection rate
(R-FEE-05)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.clients import signed_in
from tests.errors import codes
from tests.staffing import staff_member
from wuye.approvals.authority import BeyondAuthority
from wuye.billing import (
    arrears,
    bill_runs,
    collection_rate,
    figures,
    late_fees,
    payments,
    queries,
    relief,
    services,
)  # fmt: skip
from wuye.billing.collection_rate import Period
from wuye.billing.models import (
    FeeItem,
    LateFee,
    Payment,
    ReliefEntry,
    ReliefRule,
    VacancyApplication,
)
from wuye.ledger.models import BillLine
from wuye.staff.models import Post

pytestmark = pytest.mark.django_db
Kind = ReliefRule.Kind
SEP, OCT, NOV, DEC = (datetime.date(2026, m, 1) for m in (9, 10, 11, 12))


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 9, 20, 10, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def item(fee_item, finance, estate, now):
    """¥100.05 a month per unit: percentages land on half a fen."""
    made = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费", due_day=15)
    services.set_rate(fee_item=made, actor=finance["sup"].user, amount="100.05", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    return made


def rule(site, finance, item, kind, **fields):
    fields.setdefault("valid_from", SEP)
    return relief.save_rule(site=site, actor=finance["sup"].user, name=fields.pop("name", f"{kind}"), kind=kind, fee_item=item, **fields)  # fmt: skip


def run(site, finance, month):
    return bill_runs.run_bills(site=site, actor=finance["sup"].user, month=month)


def line_of(unit, month, item=None):
    lines = BillLine.objects.filter(unit=unit, period_start=month, reversed=False)
    return lines.get(fee_item=item) if item else lines.get()


def live(line):
    return list(ReliefEntry.objects.filter(bill_line=line, cancelled_at__isnull=True).values_list("kind", "amount"))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Rules


def test_a_discount_takes_its_percent_off_each_line_half_up_in_the_bill_run(site_a, finance, estate, item):  # fmt: skip
    rule(site_a, finance, item, Kind.DISCOUNT, percent="10")
    made = run(site_a, finance, SEP)
    unit = estate["units"][0]
    assert live(line_of(unit, SEP)) == [("discount", D("10.01"))]  # 10.005 half up
    assert ReliefEntry.objects.filter(bill_line__run=made).count() == made.lines == 8
    [line] = payments.open_lines(unit)
    assert (line.amount, line.paid, line.relief, line.outstanding) == (D("100.05"), D("0.00"), D("10.01"), D("90.04"))  # fmt: skip


def test_a_reduction_takes_a_fixed_sum_off_each_line_never_more_than_the_line(site_a, finance, estate, item):  # fmt: skip
    rule(site_a, finance, item, Kind.REDUCTION, amount="20")
    small = rule(site_a, finance, item, Kind.REDUCTION, amount="500", building=estate["b2"], name="2栋减免")  # fmt: skip
    run(site_a, finance, SEP)
    assert live(line_of(estate["units"][0], SEP)) == [("reduction", D("20.00"))]
    # A building's rule comes before the site's: one reduction per line, capped at the line.
    assert live(line_of(estate["units"][6], SEP)) == [("reduction", D("100.05"))]
    assert ReliefEntry.objects.get(bill_line=line_of(estate["units"][6], SEP)).rule == small
    assert not payments.open_lines(estate["units"][6])


def test_a_discount_and_a_reduction_on_one_line_are_capped_by_what_is_left(site_a, finance, estate, item):  # fmt: skip
    rule(site_a, finance, item, Kind.DISCOUNT, percent="50")
    rule(site_a, finance, item, Kind.REDUCTION, amount="80")
    run(site_a, finance, SEP)
    line = line_of(estate["units"][0], SEP)
    assert sorted(live(line)) == [("discount", D("50.03")), ("reduction", D("50.02"))]
    assert payments.line_outstanding(line) == D("0.00")


def test_a_window_ending_before_it_starts_is_a_field_error_and_nothing_is_written(site_a, finance, item):  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        rule(site_a, finance, item, Kind.DISCOUNT, percent="10", valid_from=OCT, valid_to=SEP)
    assert "valid_to" in caught.value.error_dict and codes(caught.value) == {"order"}
    assert not ReliefRule.objects.exists()


@pytest.mark.parametrize(
    ("kind", "fields", "field", "code"),
    [
        (Kind.DISCOUNT, {"percent": "0"}, "percent", "range"),
        (Kind.DISCOUNT, {"percent": "100.5"}, "percent", "range"),
        (Kind.VACANCY, {}, "percent", "required"),
        (Kind.REDUCTION, {"amount": "-5"}, "amount", "not_positive"),
        (Kind.GIFT_MONTHS, {"months_ahead": 12}, "gift_months", "required"),
        ("bogus", {}, "kind", "invalid_choice"),
    ],
)
def test_a_rule_without_what_its_kind_needs_is_refused(site_a, finance, item, kind, fields, field, code):  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        rule(site_a, finance, item, kind, **fields)
    assert field in caught.value.error_dict and codes(caught.value) == {code}
    assert not ReliefRule.objects.exists()


def test_overlapping_rules_of_one_kind_and_scope_are_refused_until_one_ends(site_a, finance, item):
    first = rule(site_a, finance, item, Kind.DISCOUNT, percent="10")
    with pytest.raises(ValidationError) as caught:
        rule(site_a, finance, item, Kind.DISCOUNT, percent="5", valid_from=DEC)
    assert codes(caught.value) == {"overlap"}
    relief.end_rule(rule=first, actor=finance["sup"].user, ends_on=datetime.date(2026, 11, 30))
    assert rule(site_a, finance, item, Kind.DISCOUNT, percent="5", valid_from=DEC).percent == D("5.00")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        relief.end_rule(rule=first, actor=finance["sup"].user, ends_on=datetime.date(2026, 8, 1))
    assert codes(caught.value) == {"order"}


def test_a_line_outside_the_window_gets_none(site_a, finance, estate, item):
    rule(site_a, finance, item, Kind.DISCOUNT, percent="10", valid_from=OCT, valid_to=datetime.date(2026, 10, 31))  # fmt: skip
    for month in (SEP, OCT, NOV):
        run(site_a, finance, month)
    unit = estate["units"][0]
    assert live(line_of(unit, SEP)) == [] and live(line_of(unit, NOV)) == []
    assert live(line_of(unit, OCT)) == [("discount", D("10.01"))]
    # A window that starts mid-month does not cover that month's line.
    rule(site_a, finance, item, Kind.REDUCTION, amount="5", valid_from=datetime.date(2026, 12, 2))
    run(site_a, finance, DEC)
    assert live(line_of(unit, DEC)) == []


def test_relief_is_granted_once_per_run_and_undone_with_the_run(site_a, finance, estate, item):
    rule(site_a, finance, item, Kind.DISCOUNT, percent="10")
    first = run(site_a, finance, SEP)
    again = run(site_a, finance, SEP)
    assert again.lines == 0 and ReliefEntry.objects.count() == 8
    bill_runs.reverse_run(run=first, actor=finance["sup"].user, reason="费率错")
    assert not ReliefEntry.objects.filter(cancelled_at__isnull=True).exists()
    assert ReliefEntry.objects.filter(cancel_reason="费率错").count() == 8
    assert figures.differences(site_a) == []
    run(site_a, finance, SEP)
    assert ReliefEntry.objects.filter(cancelled_at__isnull=True).count() == 8
    assert figures.differences(site_a) == []


def test_prepaid_credit_pays_what_is_left_after_relief(site_a, finance, estate, item):
    unit = estate["units"][0]
    payments.take_payment(site=site_a, actor=finance["cashier"].user, unit=unit, method="cash", amount="200", take_rest_as_credit=True)  # fmt: skip
    rule(site_a, finance, item, Kind.REDUCTION, amount="20")
    run(site_a, finance, SEP)
    assert payments.line_paid(line_of(unit, SEP)) == D("80.05")
    assert payments.credit_balance(unit) == D("119.95")


# ---------------------------------------------------------------------------------------------
# Relief everywhere: outstanding, arrears, late fees, the statement, the collection rate


def test_relief_lowers_arrears_the_late_fee_base_and_the_statement(site_a, finance, estate, item, time_machine):  # fmt: skip
    late_fees.save_late_fee_rule(fee_item=item, actor=finance["sup"].user, basis="daily", rate_percent="0.1", grace_days=0, cap_percent="100")  # fmt: skip
    rule(site_a, finance, item, Kind.REDUCTION, amount="20.05")
    run(site_a, finance, SEP)  # due 2026-10-15
    unit = estate["units"][0]
    today = datetime.date(2026, 10, 25)
    [row] = [r for r in arrears.by_unit(site_a, today) if r["unit"] == unit.pk]
    assert row["total"] == D("80.00")
    time_machine.move_to(datetime.datetime(2026, 10, 16, 10, tzinfo=datetime.UTC), tick=False)
    late_fees.accrue_late_fees(today=datetime.date(2026, 10, 16))
    time_machine.move_to(datetime.datetime(2026, 10, 26, 10, tzinfo=datetime.UTC), tick=False)
    late_fees.accrue_late_fees(today=datetime.date(2026, 10, 26))
    fee = LateFee.objects.get(bill_line=line_of(unit, SEP))
    assert fee.accrued == D("0.8800")  # ¥80.00 × 0.1% × 11 days from the due date, not on ¥100.05
    entries = queries.statement(unit)
    assert [(e.debit, e.credit) for e in entries] == [(D("100.05"), D("0")), (D("0"), D("20.05"))]
    assert entries[-1].balance == payments.ledger(unit).balance == D("80.00")  # fmt: skip


def test_the_collection_rate_counts_relief_off_what_is_due_r_fee_05(site_a, finance, estate, item):
    rule(site_a, finance, item, Kind.DISCOUNT, percent="10")
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    payments.take_payment(site=site_a, actor=finance["cashier"].user, unit=unit, method="cash", amount="90.04")  # fmt: skip
    period = Period.parse("month", "2026-09")
    report = collection_rate.report(sites=[site_a], period=period)
    # due = 8 × (100.05 − 10.01); collected = one line paid in full
    assert (report.total.due, report.total.collected) == (D("720.32"), D("90.04"))
    assert report.total.rate == D("12.50")
    assert collection_rate.compare(sites=[site_a], period=period) == {}
    assert figures.differences(site_a) == []


def test_figures_equal_the_recount_after_relief_writes_and_cancels(site_a, finance, estate, item):
    rule(site_a, finance, item, Kind.DISCOUNT, percent="10")
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    entry = ReliefEntry.objects.get(bill_line=line_of(unit, SEP))
    relief.cancel_relief(entry=entry, actor=finance["sup"].user, reason="不符合条件")
    assert figures.differences(site_a) == []
    assert payments.line_outstanding(line_of(unit, SEP)) == D("100.05")
    with pytest.raises(ValidationError) as caught:
        relief.cancel_relief(entry=entry, actor=finance["sup"].user, reason="again")
    assert codes(caught.value) == {"cancelled"}
    # A line cancelled with its relief still live leaves nothing behind.
    other = line_of(estate["units"][1], SEP)
    services.cancel_bill_line(line=other, actor=finance["sup"].user, reason="错账")
    assert figures.differences(site_a) == []
    assert queries.statement(estate["units"][1])[-1].balance == payments.ledger(estate["units"][1]).balance == D("0.00")  # fmt: skip
    figures.rebuild_figures(site=site_a)
    assert figures.differences(site_a) == []
    period = Period.parse("month", "2026-09")
    assert collection_rate.report(sites=[site_a], period=period).total.due == D("100.05") + 6 * D("90.04")  # fmt: skip


def test_relief_is_cancelled_like_a_line_within_the_authority_matrix_r_adm_02(site_a, finance, estate, item):  # fmt: skip
    rule(site_a, finance, item, Kind.REDUCTION, amount="100.05")
    run(site_a, finance, SEP)
    entry = ReliefEntry.objects.filter(bill_line__unit=estate["units"][0]).get()
    with pytest.raises(PermissionDenied):  # a cashier's role cancels nothing
        relief.cancel_relief(entry=entry, actor=finance["cashier"].user, reason="x")
    with pytest.raises(ValidationError) as caught:
        relief.cancel_relief(entry=entry, actor=finance["sup"].user, reason=" ")
    assert codes(caught.value) == {"required"}
    assert ReliefEntry.objects.get(pk=entry.pk).cancelled_at is None
    relief.cancel_relief(entry=entry, actor=finance["sup"].user, reason="误减")  # ¥100.05 ≤ ¥500
    assert payments.line_outstanding(entry.bill_line) == D("100.05")


# ---------------------------------------------------------------------------------------------
# Paying ahead


def test_paying_twelve_months_ahead_gets_the_discount_on_each_month(site_a, finance, estate, item):  # fmt: skip
    offer = rule(site_a, finance, item, Kind.DISCOUNT, percent="5", months_ahead=12, name="预交一年95折")  # fmt: skip
    unit = estate["units"][0]
    run(site_a, finance, SEP)
    payments.take_payment(site=site_a, actor=finance["cashier"].user, unit=unit, method="cash", amount="100.05")  # fmt: skip
    done = relief.pay_ahead(site=site_a, actor=finance["cashier"].user, unit=unit, rule=offer, method="cash", tendered="1200")  # fmt: skip
    assert [line.period_start for line in done.lines] == [datetime.date(2026 + (9 + i) // 12, (9 + i) % 12 + 1, 1) for i in range(12)]  # fmt: skip
    assert {e.amount for e in done.entries} == {D("5.00")}  # 5.0025 half up
    assert done.to_pay == 12 * D("95.05") == done.payment.amount == D("1140.60")
    assert done.payment.change == D("59.40") and not payments.open_lines(unit)
    # The bill run of a month paid ahead skips the unit, and no discount rule applies twice.
    october = run(site_a, finance, OCT)
    assert october.lines == 7
    assert BillLine.objects.filter(unit=unit, period_start=OCT).count() == 1
    assert figures.differences(site_a) == []


def test_gift_months_are_posted_and_relieved_in_full(site_a, finance, estate, item):
    offer = rule(site_a, finance, item, Kind.GIFT_MONTHS, months_ahead=3, gift_months=1, name="交三送一")  # fmt: skip
    unit = estate["units"][0]
    done = relief.pay_ahead(site=site_a, actor=finance["cashier"].user, unit=unit, rule=offer, method="qr")  # fmt: skip
    assert [line.period_start for line in done.lines] == [SEP, OCT, NOV, DEC]
    assert [(e.bill_line.period_start, e.kind, e.amount) for e in done.entries] == [(DEC, "gift_months", D("100.05"))]  # fmt: skip
    assert done.payment.amount == D("300.15") and not payments.open_lines(unit)
    report = collection_rate.report(sites=[site_a], period=Period.parse("month", "2026-12"))
    assert report.total.due == D("0.00")  # the gift month makes nothing due
    assert figures.differences(site_a) == []


def test_paying_ahead_is_refused_with_something_open_or_outside_the_offer(site_a, finance, estate, item, time_machine):  # fmt: skip
    offer = rule(site_a, finance, item, Kind.DISCOUNT, percent="5", months_ahead=6, valid_to=datetime.date(2026, 9, 30))  # fmt: skip
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    with pytest.raises(ValidationError) as caught:
        relief.pay_ahead(site=site_a, actor=finance["cashier"].user, unit=unit, rule=offer, method="cash")  # fmt: skip
    assert codes(caught.value) == {"open_lines"}
    payments.take_payment(site=site_a, actor=finance["cashier"].user, unit=unit, method="cash", amount="100.05")  # fmt: skip
    time_machine.move_to(datetime.datetime(2026, 10, 2, 10, tzinfo=datetime.UTC), tick=False)
    with pytest.raises(ValidationError) as caught:
        relief.pay_ahead(site=site_a, actor=finance["cashier"].user, unit=unit, rule=offer, method="cash")  # fmt: skip
    assert codes(caught.value) == {"outside_window"}
    assert BillLine.objects.filter(unit=unit).count() == 1 and Payment.objects.count() == 1


def test_paying_ahead_twice_with_one_key_pays_once(site_a, finance, estate, item):
    offer = rule(site_a, finance, item, Kind.DISCOUNT, percent="10", months_ahead=2)
    unit = estate["units"][0]
    args = {"site": site_a, "actor": finance["cashier"].user, "unit": unit, "rule": offer, "method": "transfer", "idempotency_key": "k1"}  # fmt: skip
    first, second = relief.pay_ahead(**args), relief.pay_ahead(**args)
    assert first.payment == second.payment and first.payment.amount == D("180.08")
    assert BillLine.objects.filter(unit=unit).count() == 2


# ---------------------------------------------------------------------------------------------
# Vacant units


@pytest.fixture
def vacancy(site_a, finance, item):
    return rule(site_a, finance, item, Kind.VACANCY, percent="70", name="空置七折减免")


@pytest.fixture
def clerk(site_a, company):
    post = Post.objects.filter(department__company=company, role__name="cs_clerk").first()
    return staff_member(site_a, "C001", "孙客服", post, None, "cs_clerk").user


@pytest.fixture
def engineer(site_a, company):
    post = Post.objects.filter(department__company=company, role__name="engineer").first()
    return staff_member(site_a, "E001", "周工程", post, None, "engineer").user


def apply(site, clerk, unit, start, end, **kw):
    return relief.apply_for_vacancy(site=site, actor=clerk, unit=unit, starts_on=start, ends_on=end, reason=kw.pop("reason", "业主出国"), **kw)  # fmt: skip


def test_vacancy_relief_flows_from_application_through_inspection_to_approval(site_a, finance, estate, item, vacancy, clerk, engineer):  # fmt: skip
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    application = apply(site_a, clerk, unit, SEP, datetime.date(2026, 11, 30))
    with pytest.raises(ValidationError) as caught:  # not inspected yet
        relief.decide_vacancy(application=application, actor=finance["head"].user, approve=True)
    assert codes(caught.value) == {"not_inspected"}
    relief.record_inspection(application=application, actor=engineer, found_vacant=True, note="水电表未动")  # fmt: skip
    with pytest.raises(PermissionDenied):  # a cashier's role decides nothing
        relief.decide_vacancy(application=application, actor=finance["cashier"].user, approve=True)  # fmt: skip
    assert relief.estimated_relief(application) == 3 * D("70.04")
    done = relief.decide_vacancy(application=application, actor=finance["head"].user, approve=True, note="同意")  # fmt: skip
    assert done.state == VacancyApplication.State.APPROVED
    assert live(line_of(unit, SEP)) == [("vacancy", D("70.04"))]  # 70.035 half up
    run(site_a, finance, OCT)
    run(site_a, finance, NOV)
    run(site_a, finance, DEC)
    assert live(line_of(unit, OCT)) == live(line_of(unit, NOV)) == [("vacancy", D("70.04"))]
    assert live(line_of(unit, DEC)) == []  # after the window
    assert live(line_of(estate["units"][1], OCT)) == []  # another unit
    assert figures.differences(site_a) == []


def test_approving_beyond_authority_names_who_may_r_adm_02(site_a, finance, estate, item, vacancy, clerk):  # fmt: skip
    unit = estate["units"][0]
    application = apply(site_a, clerk, unit, SEP, datetime.date(2027, 8, 31))  # 12 months: ¥840.48
    relief.record_inspection(application=application, actor=clerk, found_vacant=True)
    assert relief.estimated_relief(application) == 12 * D("70.04")
    with pytest.raises(BeyondAuthority) as caught:  # the finance supervisor approves up to ¥500
        relief.decide_vacancy(application=application, actor=finance["sup"].user, approve=True)
    assert caught.value.approver == finance["head"]
    assert VacancyApplication.objects.get(pk=application.pk).state == "inspected"
    relief.decide_vacancy(application=application, actor=finance["head"].user, approve=True)


def test_a_rejected_or_occupied_application_brings_no_relief(site_a, finance, estate, item, vacancy, clerk, engineer):  # fmt: skip
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    application = apply(site_a, clerk, unit, SEP, datetime.date(2026, 10, 31))
    with pytest.raises(ValidationError) as caught:
        relief.record_inspection(application=application, actor=engineer, found_vacant=False)
    assert codes(caught.value) == {"required"}
    relief.record_inspection(application=application, actor=engineer, found_vacant=False, note="有人居住")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        relief.decide_vacancy(application=application, actor=finance["head"].user, approve=True)
    assert codes(caught.value) == {"not_vacant"}
    with pytest.raises(ValidationError) as caught:
        relief.decide_vacancy(application=application, actor=finance["head"].user, approve=False)
    assert "note" in caught.value.error_dict
    relief.decide_vacancy(application=application, actor=finance["head"].user, approve=False, note="有人居住")  # fmt: skip
    run(site_a, finance, OCT)
    assert not ReliefEntry.objects.exists()
    # Rejected, the window is free for a new application.
    assert apply(site_a, clerk, unit, OCT, datetime.date(2026, 10, 31)).state == "applied"


def test_a_vacancy_application_is_checked_before_anything_is_written(site_a, finance, estate, item, vacancy, clerk, engineer):  # fmt: skip
    unit = estate["units"][0]
    with pytest.raises(ValidationError) as caught:
        apply(site_a, clerk, unit, OCT, SEP)
    assert "ends_on" in caught.value.error_dict and codes(caught.value) == {"order"}
    apply(site_a, clerk, unit, SEP, datetime.date(2026, 12, 31))
    with pytest.raises(ValidationError) as caught:
        apply(site_a, clerk, unit, NOV, datetime.date(2027, 1, 31))
    assert codes(caught.value) == {"overlap"}
    other = fee_item_without_rule = FeeItem.objects.create(site=site_a, code="water", name="水费", kind="water", method="per_unit")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        apply(site_a, clerk, estate["units"][1], SEP, OCT, fee_item=other)
    assert codes(caught.value) == {"no_rule"} and fee_item_without_rule.pk
    with pytest.raises(PermissionDenied):  # an engineer inspects, but does not apply
        apply(site_a, engineer, estate["units"][1], SEP, OCT)
    assert VacancyApplication.objects.count() == 1


def test_vacancy_relief_on_a_part_paid_line_is_capped_at_what_is_open(site_a, finance, estate, item, vacancy, clerk):  # fmt: skip
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    payments.take_payment(site=site_a, actor=finance["cashier"].user, unit=unit, method="cash", amount="50")  # fmt: skip
    application = apply(site_a, clerk, unit, SEP, datetime.date(2026, 9, 30))
    relief.record_inspection(application=application, actor=clerk, found_vacant=True)
    relief.decide_vacancy(application=application, actor=finance["head"].user, approve=True)
    assert live(line_of(unit, SEP)) == [("vacancy", D("50.05"))]
    assert payments.line_outstanding(line_of(unit, SEP)) == D("0.00")
    assert figures.differences(site_a) == []


# ---------------------------------------------------------------------------------------------
# Sites and the API


def test_site_b_can_neither_see_nor_act_on_site_a_relief(site_a, site_b, finance, finance_b, estate, item, vacancy, clerk):  # fmt: skip
    run(site_a, finance, SEP)
    entry = ReliefEntry.objects.filter(bill_line__site=site_a).first() or None
    application = apply(site_a, clerk, estate["units"][0], SEP, datetime.date(2026, 9, 30))
    with pytest.raises(PermissionDenied):
        relief.save_rule(site=site_a, actor=finance_b, name="x", kind=Kind.DISCOUNT, fee_item=item, percent="5", valid_from=SEP)  # fmt: skip
    with pytest.raises(PermissionDenied):
        relief.decide_vacancy(application=application, actor=finance_b, approve=False, note="no")
    api = signed_in(finance_b)
    assert api.get(f"/api/v1/billing/relief-rules?site={site_a.pk}").status_code == 403
    assert api.post(f"/api/v1/billing/relief-rules/{vacancy.pk}/end", {}, content_type="application/json").status_code == 404  # fmt: skip
    assert api.post(f"/api/v1/billing/vacancy-applications/{application.pk}/inspection", {"found_vacant": True}, content_type="application/json").status_code == 404  # fmt: skip
    assert api.get(f"/api/v1/billing/relief-rules?site={site_b.pk}").json() == []
    pages = signed_in(finance_b)
    assert pages.get("/billing/relief/").status_code == 200
    assert vacancy.name not in pages.get("/billing/relief/").content.decode()
    assert pages.get(f"/billing/relief/vacancy/{application.pk}/").status_code == 404
    assert entry is None  # the vacancy rule grants nothing without an approved application


def test_the_api_creates_and_ends_rules_with_field_errors(site_a, finance, estate, item):
    api = signed_in(finance["sup"].user)
    bad = api.post("/api/v1/billing/relief-rules", {"site": site_a.pk, "name": "九折", "kind": "discount", "fee_item": item.pk, "percent": "10", "valid_from": "2026-10-01", "valid_to": "2026-09-30"}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["fields"][0]["field"] == "valid_to"
    assert not ReliefRule.objects.exists()
    made = api.post("/api/v1/billing/relief-rules", {"site": site_a.pk, "name": "九折", "kind": "discount", "fee_item": item.pk, "percent": "10", "valid_from": "2026-09-01"}, content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["percent"] == "10.00"
    rule_id = made.json()["id"]
    ended = api.post(f"/api/v1/billing/relief-rules/{rule_id}/end", {"ends_on": "2026-08-01"}, content_type="application/json")  # fmt: skip
    assert ended.status_code == 400 and ended.json()["fields"][0]["field"] == "ends_on"
    ended = api.post(f"/api/v1/billing/relief-rules/{rule_id}/end", {"ends_on": "2026-12-31"}, content_type="application/json")  # fmt: skip
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2026-12-31"
    run(site_a, finance, SEP)
    entries = api.get(f"/api/v1/billing/relief-entries?site={site_a.pk}&unit={estate['units'][0].pk}").json()  # fmt: skip
    assert [(e["kind"], e["amount"], e["period"]) for e in entries] == [("discount", "10.01", "2026-09")]  # fmt: skip
    cashier = signed_in(finance["cashier"].user)
    cancelled = cashier.post(f"/api/v1/billing/relief-entries/{entries[0]['id']}/cancel", {"reason": "x"}, content_type="application/json")  # fmt: skip
    assert cancelled.status_code == 403


def test_the_api_takes_a_vacancy_application_through_its_steps(site_a, finance, estate, item, vacancy, clerk):  # fmt: skip
    unit = estate["units"][0]
    run(site_a, finance, SEP)
    api = signed_in(clerk)
    bad = api.post("/api/v1/billing/vacancy-applications", {"unit": unit.pk, "starts_on": "2026-10-01", "ends_on": "2026-09-01", "reason": "空置"}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["fields"][0]["field"] == "ends_on"
    made = api.post("/api/v1/billing/vacancy-applications", {"unit": unit.pk, "starts_on": "2026-09-01", "ends_on": "2026-09-30", "reason": "空置"}, content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["state"] == "applied"
    pk = made.json()["id"]
    assert api.post(f"/api/v1/billing/vacancy-applications/{pk}/decision", {"approve": True}, content_type="application/json").status_code == 403  # fmt: skip
    inspected = api.post(f"/api/v1/billing/vacancy-applications/{pk}/inspection", {"found_vacant": True, "note": "空置"}, content_type="application/json")  # fmt: skip
    assert inspected.status_code == 200 and inspected.json()["state"] == "inspected"
    head = signed_in(finance["head"].user)
    decided = head.post(f"/api/v1/billing/vacancy-applications/{pk}/decision", {"approve": True}, content_type="application/json")  # fmt: skip
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    assert decided.json()["relief"] == "70.04"
    listed = head.get(
        f"/api/v1/billing/vacancy-applications?site={site_a.pk}&state=approved"
    ).json()
    assert [a["id"] for a in listed] == [pk]


# ---------------------------------------------------------------------------------------------
# Pages


def test_finance_makes_a_rule_on_the_relief_page_and_a_bad_window_stays_on_the_form(site_a, finance, item):  # fmt: skip
    page = signed_in(finance["sup"].user)
    form = {"name": "九五折", "kind": "discount", "fee_item": item.pk, "percent": "5", "valid_from": "2026-10-01"}  # fmt: skip
    bad = page.post("/billing/relief/", {**form, "valid_to": "2026-09-30"})
    assert bad.status_code == 400 and "valid_to" in bad.context["form"].errors
    assert not ReliefRule.objects.exists()
    assert page.post("/billing/relief/", form).status_code == 302
    listed = page.get("/billing/relief/")
    assert listed.status_code == 200 and "九五折" in listed.content.decode()
    made = ReliefRule.objects.get()
    assert (
        page.post(f"/billing/relief/{made.pk}/end/", {"ends_on": "2026-12-31"}).status_code == 302
    )
    assert ReliefRule.objects.get().valid_to == datetime.date(2026, 12, 31)
    # A cashier sees the rules but gets no form.
    assert signed_in(finance["cashier"].user).get("/billing/relief/").context["form"] is None


def test_the_vacancy_pages_take_an_application_through_its_steps(site_a, finance, estate, item, vacancy, clerk, engineer):  # fmt: skip
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    made = signed_in(clerk).post("/billing/relief/vacancy/", {"unit": unit.code, "starts_on": "2026-09-01", "ends_on": "2027-08-31", "reason": "业主出国"})  # fmt: skip
    application = VacancyApplication.objects.get()
    assert made.status_code == 302 and made.url == f"/billing/relief/vacancy/{application.pk}/"
    url = made.url
    assert signed_in(clerk).post("/billing/relief/vacancy/", {"unit": "9-9999", "starts_on": "2026-09-01", "ends_on": "2026-09-30", "reason": "x"}).status_code == 400  # fmt: skip
    inspected = signed_in(engineer).post(url, {"step": "inspect", "inspect-found_vacant": "yes", "inspect-note": "无人居住"})  # fmt: skip
    assert inspected.status_code == 302
    beyond = signed_in(finance["sup"].user).post(
        url, {"step": "decide", "decide-approve": "approve"}
    )
    assert beyond.status_code == 403 and "李主任" in beyond.content.decode()
    approved = signed_in(finance["head"].user).post(url, {"step": "decide", "decide-approve": "approve"})  # fmt: skip
    assert approved.status_code == 302
    assert VacancyApplication.objects.get().state == "approved"
    listed = signed_in(clerk).get("/billing/relief/vacancy/?state=approved")
    assert listed.status_code == 200 and unit.code in listed.content.decode()
    detail = signed_in(clerk).get(url)
    assert detail.context["inspection"] is None and detail.context["decision"] is None
    assert [e.amount for e in detail.context["entries"]] == [D("70.04")]


def test_the_unit_account_shows_relief_apart_and_pays_ahead(site_a, finance, estate, item):
    offer = rule(site_a, finance, item, Kind.GIFT_MONTHS, months_ahead=2, gift_months=1, name="交二送一")  # fmt: skip
    rule(site_a, finance, item, Kind.REDUCTION, amount="10")
    unit = estate["units"][1]
    cashier = signed_in(finance["cashier"].user)
    offers = cashier.get(f"/billing/units/{unit.pk}/pay-ahead/")
    [(shown, quote, problem)] = offers.context["quotes"]
    assert shown == offer and problem is None and (quote.relief, quote.to_pay) == (D("100.05"), D("200.10"))  # fmt: skip
    paid = cashier.post(f"/billing/units/{unit.pk}/pay-ahead/", {"rule": offer.pk, "method": "cash", "tendered": "300", "idempotency_key": "pa-1"})  # fmt: skip
    assert paid.status_code == 302
    assert Payment.objects.get().amount == D("200.10")
    account = cashier.get(f"/billing/units/{unit.pk}/")
    assert [e.amount for e in account.context["reliefs"]] == [D("100.05")]
    assert 'id="unit-relief"' in account.content.decode()
    assert cashier.get(f"/billing/units/{unit.pk}/statement.pdf").content.startswith(b"%PDF")
    entry = ReliefEntry.objects.get()
    assert cashier.get(f"/billing/relief/entries/{entry.pk}/cancel/").status_code == 403
    finance_page = signed_in(finance["sup"].user)
    assert finance_page.post(f"/billing/relief/entries/{entry.pk}/cancel/", {"reason": "活动取消"}).status_code == 302  # fmt: skip
    assert payments.line_outstanding(entry.bill_line) == D("100.05")
    assert figures.differences(site_a) == []


@pytest.mark.django_db(transaction=True)
def test_two_cashiers_paying_ahead_at_once_are_served_one_after_the_other_on_postgresql(fee_item, finance, estate, site_a):  # fmt: skip
    """The unit is locked for a pay-ahead: the second cashier waits, then pays the months after
    the first's — never the same months twice (no unique-key clash, no double relief)."""
    from tests.concurrency import at_once, postgres_only

    postgres_only()
    made = fee_item("mgmt", FeeItem.Method.PER_UNIT, name="物业管理费")
    services.set_rate(fee_item=made, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    today = figures.local_day(site_a)
    offer = relief.save_rule(site=site_a, actor=finance["sup"].user, name="交三送一", kind=Kind.GIFT_MONTHS, fee_item=made, months_ahead=3, gift_months=1, valid_from=today)  # fmt: skip
    unit = estate["units"][0]

    def pay(i):
        return relief.pay_ahead(site=site_a, actor=finance["cashier"].user, unit=unit, rule=offer, method="cash")  # fmt: skip

    outcomes = at_once(2, pay)
    done = [o for o in outcomes if isinstance(o, relief.PaidAhead)]
    assert len(done) == 2 and len({o.lines[0].period_start for o in done}) == 2, outcomes
    assert BillLine.objects.filter(unit=unit).count() == 8
    assert ReliefEntry.objects.filter(unit=unit).count() == 2
    assert Payment.objects.filter(unit=unit).count() == 2
    assert figures.differences(site_a) == []


def fields_of(caught) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in caught.value.error_dict.items()}


def test_a_relief_rule_reports_every_bad_field_at_once(site_a, finance, item, estate):
    deposit = FeeItem.objects.create(site=site_a, code="dep", name="押金", kind=FeeItem.Kind.DEPOSIT,
                                     method=FeeItem.Method.PER_UNIT, is_cyclic=False)  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        relief.save_rule(site=site_a, actor=finance["sup"].user, name=" ", kind=Kind.DISCOUNT, fee_item=deposit,
                         valid_from="2026-10-01", valid_to="2026-09-01", percent="150", months_ahead="200")  # fmt: skip
    assert fields_of(caught) == {
        "name": ["required"], "valid_to": ["order"], "fee_item": ["not_relieved"],
        "percent": ["range"], "months_ahead": ["range"],
    }  # fmt: skip
    assert not ReliefRule.objects.filter(name=" ").exists()


def test_a_vacancy_application_reports_every_bad_field_at_once(site_a, finance, estate, item, vacancy, clerk):  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        relief.apply_for_vacancy(site=site_a, actor=clerk, unit=estate["units"][0], starts_on="2026-10-01",
                                 ends_on="2026-09-01", reason=" ")  # fmt: skip
    assert fields_of(caught) == {"ends_on": ["order"], "reason": ["required"]}
    assert not VacancyApplication.objects.exists()


def test_an_inspection_without_a_note_in_the_future_reports_both_at_once(site_a, finance, estate, item, vacancy, clerk, engineer):  # fmt: skip
    application = apply(site_a, clerk, estate["units"][0], SEP, datetime.date(2026, 10, 31))
    with pytest.raises(ValidationError) as caught:
        relief.record_inspection(application=application, actor=engineer, found_vacant=False,
                                 inspected_on="2030-01-01")  # fmt: skip
    assert fields_of(caught) == {"note": ["required"], "inspected_on": ["future"]}
    assert VacancyApplication.objects.get(pk=application.pk).state == "applied"
