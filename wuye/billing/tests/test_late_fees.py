"""滞纳金 (R-FEE-04): a fee item's late-fee rule, the daily accrual on what is
outstanding (per day or per whole month, after grace days, never past the cap), idempotent per
day; posting once the principal is settled; waivers under the authority matrix (R-ADM-02)."""

import datetime
import io
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tests.clients import signed_in
from tests.errors import codes
from wuye.approvals import queries as approval_queries
from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.billing import late_fees, payments, refunds, services
from wuye.billing.models import ApprovalRequest, FeeItem, LateFee, LateFeeRule, LateFeeWaiver
from wuye.core.models import AuditEntry
from wuye.core.money import YUAN_FORMAT
from wuye.ledger.models import BillLine
from wuye.staff.models import AuthorityRule

pytestmark = pytest.mark.django_db
day = datetime.date
SEP = day(2026, 9, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
RULE_SET_ON = day(2026, 10, 1)  # before September's lines fall due
BASE = "/api/v1/billing"
JSON = "application/json"


def rule(finance, item, basis="daily", rate="0.05", grace=0, cap="100", set_on=RULE_SET_ON, **kwargs):  # fmt: skip
    """The item's rule, set by the finance supervisor on `set_on` (before September's due date,
    unless a test says otherwise: a rule charges nothing for the days before it was set)."""
    with time_machine.travel(datetime.datetime.combine(set_on, datetime.time(10), tzinfo=SHANGHAI)):
        return late_fees.save_late_fee_rule(
            fee_item=item, actor=finance["sup"].user, basis=basis, rate_percent=rate,
            grace_days=grace, cap_percent=cap, **kwargs,
        )  # fmt: skip


def september(unit) -> BillLine:
    """The unit's ¥100 for September 2026, due 15 October (postpaid)."""
    return BillLine.objects.get(unit=unit, period_start=SEP)


def fee_of(unit, period=SEP) -> LateFee:
    return LateFee.objects.get(bill_line__unit=unit, bill_line__period_start=period)


def pay(finance, unit, amount, **kwargs):
    return payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                 method="cash", amount=amount, **kwargs)  # fmt: skip


@pytest.fixture
def mgmt(owed):
    return FeeItem.objects.get(code="mgmt")


# ---------------------------------------------------------------------------------------------
# Formulas


def test_R_FEE_04_daily_late_fee_is_outstanding_times_rate_times_days_after_grace(finance, owed, mgmt):  # fmt: skip
    rule(finance, mgmt, rate="0.05", grace=5)  # S = 20 October for September's line
    assert late_fees.accrue_late_fees(today=day(2026, 10, 20)) == 0  # still within grace
    assert not LateFee.objects.exists()
    late_fees.accrue_late_fees(today=day(2026, 10, 21))
    assert fee_of(owed).accrued == D("0.0500")  # ¥100 × 0.05% × 1 day
    assert fee_of(owed).accrued_through == day(2026, 10, 21)
    late_fees.accrue_late_fees(today=day(2026, 10, 30))
    assert fee_of(owed).accrued == D("0.5000")  # 10 days
    # October's line (due 15 November) is not overdue yet; all 8 units' Septembers are.
    assert LateFee.objects.count() == 8


def test_R_FEE_04_each_run_keeps_a_hundredth_of_a_fen_rounded_half_up(finance, owed, mgmt):
    rule(finance, mgmt, rate="0.0333")
    pay(finance, owed, "66.67")  # ¥33.33 of September left
    late_fees.accrue_late_fees(today=day(2026, 10, 16))
    # 33.33 × 0.0333% = 0.01109889 → 0.0111
    assert fee_of(owed).accrued == D("0.0111")
    late_fees.accrue_late_fees(today=day(2026, 10, 19))  # 3 days at once: 0.03329667 → 0.0333
    assert fee_of(owed).accrued == D("0.0444")


def test_R_FEE_04_monthly_late_fee_charges_each_whole_month_once_it_ends(finance, owed, mgmt):
    rule(finance, mgmt, basis="monthly", rate="1", grace=0)  # S = 15 October
    late_fees.accrue_late_fees(today=day(2026, 11, 14))
    assert fee_of(owed).accrued == D("0")  # no month complete yet
    late_fees.accrue_late_fees(today=day(2026, 11, 15))
    assert fee_of(owed).accrued == D("1.0000")  # 15 Oct – 15 Nov: ¥100 × 1%
    late_fees.accrue_late_fees(today=day(2026, 12, 20))
    assert fee_of(owed).accrued == D("2.0000")
    late_fees.accrue_late_fees(today=day(2027, 1, 14))
    assert fee_of(owed).accrued == D("2.0000")
    late_fees.accrue_late_fees(today=day(2027, 3, 15))  # January and February caught up
    assert fee_of(owed).accrued == D("5.0000")


def test_R_FEE_04_a_month_after_the_31st_completes_on_the_1st_when_the_month_is_short(finance, owed, mgmt):  # fmt: skip
    rule(finance, mgmt, basis="monthly", rate="2", grace=16)  # S = 31 October
    late_fees.accrue_late_fees(today=day(2026, 11, 30))
    assert fee_of(owed).accrued == D("0")
    late_fees.accrue_late_fees(today=day(2026, 12, 1))
    assert fee_of(owed).accrued == D("2.0000")


def test_R_FEE_04_the_cap_stops_accrual_exactly_at_its_share_of_the_principal(finance, owed, mgmt):
    rule(finance, mgmt, rate="1", cap="5.5")
    late_fees.accrue_late_fees(today=day(2026, 10, 20))
    assert fee_of(owed).accrued == D("5.0000")  # 5 days × ¥1
    late_fees.accrue_late_fees(today=day(2026, 10, 21))
    assert fee_of(owed).accrued == D("5.5000")  # not 6: the cap is 5.5% of ¥100
    late_fees.accrue_late_fees(today=day(2027, 6, 1))
    assert fee_of(owed).accrued == D("5.5000")


def test_R_FEE_04_a_partial_payment_lowers_the_base_from_the_next_run(finance, owed, mgmt):
    rule(finance, mgmt, rate="0.1")
    late_fees.accrue_late_fees(today=day(2026, 10, 20))  # 5 days on ¥100: 0.50
    pay(finance, owed, "60")  # September first: ¥40 left
    late_fees.accrue_late_fees(today=day(2026, 10, 25))  # 5 days on ¥40: 0.20
    assert fee_of(owed).accrued == D("0.7000")


def test_R_FEE_04_running_twice_the_same_day_changes_nothing(finance, owed, mgmt):
    rule(finance, mgmt, rate="0.05")
    assert late_fees.accrue_late_fees(today=day(2026, 10, 20)) == 8
    before = list(LateFee.objects.order_by("pk").values_list("accrued", "accrued_through", "updated_at"))  # fmt: skip
    assert late_fees.accrue_late_fees(today=day(2026, 10, 20)) == 0
    after = list(LateFee.objects.order_by("pk").values_list("accrued", "accrued_through", "updated_at"))  # fmt: skip
    assert after == before
    assert fee_of(owed).accrued == D("0.2500")


def test_R_FEE_04_a_run_after_missed_days_catches_up_as_if_run_every_day(finance, owed, mgmt, estate):  # fmt: skip
    rule(finance, mgmt, rate="0.05")
    other = estate["units"][1]
    for n in range(16, 26):
        late_fees.accrue_late_fees(today=day(2026, 10, n), site=owed.site)
    assert fee_of(owed).accrued == D("0.5000")
    # the job missed a week: one run catches up on it
    late_fees.accrue_late_fees(today=day(2026, 11, 1))
    assert fee_of(owed).accrued == fee_of(other).accrued == D("0.8500")


def test_R_FEE_04_cancelled_and_paid_lines_and_inactive_rules_accrue_nothing(finance, owed, mgmt, estate):  # fmt: skip
    rule(finance, mgmt, rate="1")
    services.cancel_bill_line(line=september(estate["units"][1]), actor=finance["sup"].user, reason="未交房")  # fmt: skip
    pay(finance, estate["units"][2], "100")  # September paid before it fell due
    late_fees.accrue_late_fees(today=day(2026, 10, 17))
    assert not LateFee.objects.filter(bill_line__unit__in=estate["units"][1:3]).exists()
    assert fee_of(owed).accrued == D("2.0000")
    rule(finance, mgmt, rate="1", is_active=False)
    late_fees.accrue_late_fees(today=day(2026, 10, 27))
    assert fee_of(owed).accrued == D("2.0000")  # out of use: it stands still …
    rule(finance, mgmt, rate="1")
    late_fees.accrue_late_fees(today=day(2026, 10, 28))
    assert fee_of(owed).accrued == D("3.0000")  # … and the days out of use are not charged


def test_R_FEE_04_a_new_rule_charges_nothing_for_the_days_before_it_was_set(finance, owed, mgmt):
    rule(finance, mgmt, rate="0.05", set_on=day(2026, 11, 1))  # September's was due 15 October
    late_fees.accrue_late_fees(today=day(2026, 11, 5))
    assert fee_of(owed).accrued == D("0.2000")  # 2 to 5 November, not from 16 October


def test_R_FEE_04_a_line_open_again_after_a_refund_is_charged_from_the_day_it_is_found(finance, owed, mgmt, estate):  # fmt: skip
    rule(finance, mgmt, rate="0.05")
    paid = estate["units"][2]
    pay(finance, paid, "100")  # September paid in time
    for n in range(16, 21):
        late_fees.accrue_late_fees(today=day(2026, 10, n))
    assert not LateFee.objects.filter(bill_line__unit=paid).exists()
    refunds.refund(site=paid.site, actor=finance["head"].user, unit=paid, source="line",
                   bill_line=september(paid), amount="100", method="cash", reason="收错户")  # fmt: skip
    late_fees.accrue_late_fees(today=day(2026, 10, 23))  # the job missed two days
    assert fee_of(paid).accrued == D("0.1500")  # 21 to 23 October: not back to 16 October
    assert fee_of(owed).accrued == D("0.4000")  # 16 to 23 October


# ---------------------------------------------------------------------------------------------
# Posting


def test_R_FEE_04_a_settled_principals_late_fee_is_posted_once_as_its_own_line(finance, owed, mgmt):  # fmt: skip
    rule(finance, mgmt, rate="0.05")
    late_fees.accrue_late_fees(today=day(2026, 10, 25))  # 10 days: 0.50
    assert late_fees.post_late_fees(today=day(2026, 10, 25)) == 0  # nothing settled
    pay(finance, owed, "100")
    late_fees.accrue_late_fees(today=day(2026, 10, 26))  # settled: nothing more
    assert late_fees.post_late_fees(today=day(2026, 10, 26)) == 1
    assert late_fees.post_late_fees(today=day(2026, 10, 27)) == 0
    late_fee = fee_of(owed)
    line = late_fee.charge_line
    assert line.amount == D("0.50") and line.unit == owed and line.fee_item.kind == FeeItem.Kind.LATE_FEE  # fmt: skip
    assert (line.fee_item.code, line.fee_item.name, line.fee_item.is_cyclic) == ("late_fee", "滞纳金", False)  # fmt: skip
    assert BillLine.objects.filter(fee_item__kind=FeeItem.Kind.LATE_FEE).count() == 1
    # the principal stays as it was; the late fee is a line of its own
    assert september(owed).amount == D("100.00")
    assert [line.pk] == [x.pk for x in payments.open_lines(owed) if x.fee_item.kind == "late_fee"]


def test_R_FEE_04_post_now_accrues_through_today_and_freezes_the_late_fee(finance, owed, mgmt):
    rule(finance, mgmt, rate="0.5")
    late_fees.accrue_late_fees(today=day(2026, 10, 18))  # 3 days: 1.50
    line = late_fees.post_late_fee(late_fee=fee_of(owed), actor=finance["cashier"].user, today=day(2026, 10, 20))  # fmt: skip
    assert line.amount == D("2.50")  # accrued through the 20th first
    late_fees.accrue_late_fees(today=day(2026, 10, 30))
    assert fee_of(owed).accrued == D("2.5000")
    with pytest.raises(ValidationError) as refused:
        late_fees.post_late_fee(late_fee=fee_of(owed), actor=finance["cashier"].user)
    assert codes(refused.value) == {"posted"}
    pay(finance, owed, "102.50", lines=[september(owed).pk, line.pk])
    assert not [x for x in payments.open_lines(owed) if x.period_start == SEP or x.pk == line.pk]


# ---------------------------------------------------------------------------------------------
# Waivers


@pytest.fixture
def accruing(finance, owed, mgmt):
    """1-0101's September late fee: ¥150.00 accrued (daily 5% for 30 days, cap 100%)."""
    rule(finance, mgmt, rate="5")
    late_fees.accrue_late_fees(today=day(2026, 11, 14))
    late_fee = fee_of(owed)
    assert late_fee.accrued == D("100.0000")  # capped at the principal
    return late_fee


def test_R_FEE_04_a_waiver_within_authority_is_taken_off_what_is_posted(finance, owed, accruing):  # fmt: skip
    waiver = late_fees.waive_late_fee(late_fee=accruing, actor=finance["sup"].user, amount="80", reason="老人困难")  # fmt: skip
    assert (waiver.amount, waiver.waived_by, waiver.approval) == (D("80.00"), finance["sup"].user, None)  # fmt: skip
    assert fee_of(owed).waived == D("80.00")
    assert AuditEntry.objects.filter(object_id=str(waiver.pk), action="create").exists()
    pay(finance, owed, "100", lines=[september(owed).pk])
    late_fees.post_late_fees(today=day(2026, 11, 15))
    assert fee_of(owed).charge_line.amount == D("20.00")


def test_R_FEE_04_a_cashier_is_refused_naming_the_approver_who_then_carries_it_out(finance, owed, accruing):  # fmt: skip
    cashier, sup = finance["cashier"].user, finance["sup"].user
    with pytest.raises(BeyondAuthority) as refused:
        late_fees.waive_late_fee(late_fee=accruing, actor=cashier, amount="30", reason="物业服务有瑕疵")  # fmt: skip
    assert refused.value.approver == finance["sup"] and "赵会计" in str(refused.value)
    assert not LateFeeWaiver.objects.exists() and fee_of(owed).waived == 0
    asked = approvals.request_approval(site=owed.site, actor=cashier, action="waive_late_fee",
                                       params={"late_fee": accruing.pk, "amount": "30"}, reason="物业服务有瑕疵")  # fmt: skip
    assert (asked.amount, asked.approver_name, asked.params) == (D("30.00"), "赵会计", {"late_fee": accruing.pk, "amount": "30.00"})  # fmt: skip
    [described] = approval_queries.describe(owed.site, [asked])
    assert described.unit == owed and "物业管理费 2026-09" in described.what
    approvals.decide(request=asked, actor=sup, approve=True)
    [waiver] = LateFeeWaiver.objects.all()
    assert (waiver.amount, waiver.waived_by, waiver.approval, waiver.reason) == (D("30.00"), sup, asked, "物业服务有瑕疵")  # fmt: skip
    assert fee_of(owed).waived == D("30.00")


def test_R_FEE_04_beyond_the_supervisors_limit_goes_up_to_the_centre_head(finance, owed, accruing, company):  # fmt: skip
    # The site lets its finance supervisor waive up to ¥50 (the company's default is ¥100).
    AuthorityRule.objects.create(company=company, site=owed.site, post=finance["sup"].post,
                                 action=AuthorityRule.Action.WAIVE_LATE_FEE, max_amount=D("50"))  # fmt: skip
    with pytest.raises(BeyondAuthority) as refused:
        late_fees.waive_late_fee(late_fee=accruing, actor=finance["sup"].user, amount="50.01", reason="x")  # fmt: skip
    assert refused.value.approver == finance["head"] and "李主任" in str(refused.value)
    assert not LateFeeWaiver.objects.exists()
    late_fees.waive_late_fee(late_fee=accruing, actor=finance["head"].user, amount="100.00", reason="x")  # fmt: skip
    assert fee_of(owed).waived == D("100.00")


def test_R_FEE_04_a_waiver_beyond_what_is_left_or_of_a_posted_fee_is_refused(finance, owed, accruing):  # fmt: skip
    sup = finance["sup"].user
    late_fees.waive_late_fee(late_fee=accruing, actor=sup, amount="60", reason="x")
    for amount, code in (("40.01", "more_than_available"), ("0", "not_positive"), ("abc", "invalid"), ("1.234", "invalid")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            late_fees.waive_late_fee(late_fee=fee_of(owed), actor=sup, amount=amount, reason="x")
        assert codes(refused.value) == {code}
    with pytest.raises(ValidationError) as refused:
        late_fees.waive_late_fee(late_fee=fee_of(owed), actor=sup, amount="1", reason=" ")
    assert codes(refused.value) == {"required"}
    assert LateFeeWaiver.objects.count() == 1 and fee_of(owed).waived == D("60.00")
    late_fees.post_late_fee(late_fee=fee_of(owed), actor=finance["cashier"].user, today=day(2026, 11, 14))  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        late_fees.waive_late_fee(late_fee=fee_of(owed), actor=sup, amount="1", reason="x")
    assert codes(refused.value) == {"posted"}
    with pytest.raises(ValidationError) as refused:  # nor can it be asked for
        approvals.request_approval(site=owed.site, actor=finance["cashier"].user, action="waive_late_fee",
                                   params={"late_fee": accruing.pk, "amount": "1"}, reason="x")  # fmt: skip
    assert codes(refused.value) == {"posted"}
    assert not ApprovalRequest.objects.exists()


def test_R_FEE_04_waiving_all_leaves_nothing_to_post(finance, owed, mgmt):
    rule(finance, mgmt, rate="0.0333")
    late_fees.accrue_late_fees(today=day(2026, 10, 18))  # 3 × ¥0.0333 = 0.0999
    late_fee = fee_of(owed)
    assert (late_fees.waivable(late_fee), late_fees.to_post(late_fee)) == (D("0.09"), D("0.10"))
    late_fees.waive_late_fee(late_fee=late_fee, actor=finance["sup"].user, amount="0.09", reason="x")  # fmt: skip
    assert late_fees.to_post(fee_of(owed)) == D("0")
    pay(finance, owed, "100", lines=[september(owed).pk])
    assert late_fees.post_late_fees(today=day(2026, 10, 19)) == 0


# ---------------------------------------------------------------------------------------------
# The rule


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"cap": None}, "cap_percent", "required"),
        ({"cap": "100.01"}, "cap_percent", "range"),
        ({"cap": "0"}, "cap_percent", "range"),
        ({"cap": "-5"}, "cap_percent", "range"),
        ({"rate": "0"}, "rate_percent", "not_positive"),
        ({"rate": "x"}, "rate_percent", "invalid"),
        ({"grace": -1}, "grace_days", "negative"),
        ({"basis": "weekly"}, "basis", "invalid_choice"),
    ],
)
def test_R_FEE_04_a_bad_rule_is_refused_and_nothing_is_written(finance, mgmt, change, field, code):
    with pytest.raises(ValidationError) as refused:
        rule(finance, mgmt, **change)
    assert refused.value.error_dict.keys() == {field} and codes(refused.value) == {code}
    assert not LateFeeRule.objects.exists()


def test_R_FEE_04_late_fee_and_deposit_items_carry_no_rule_and_only_finance_sets_one(finance, fee_item, mgmt):  # fmt: skip
    deposit = fee_item("reno", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False)
    with pytest.raises(ValidationError) as refused:
        rule(finance, deposit)
    assert codes(refused.value) == {"not_chargeable"}
    with pytest.raises(ValidationError):
        rule(finance, late_fees.late_fee_item(mgmt.site))
    with pytest.raises(PermissionDenied):
        late_fees.save_late_fee_rule(fee_item=mgmt, actor=finance["cashier"].user, basis="daily",
                                     rate_percent="0.05", grace_days=0, cap_percent="10")  # fmt: skip
    made = rule(finance, mgmt, rate="0.05", cap="10")
    changed = rule(finance, mgmt, basis="monthly", rate="1.5", grace=10, cap="20")
    assert made.pk == changed.pk and LateFeeRule.objects.get().basis == "monthly"
    assert AuditEntry.objects.filter(object_id=str(made.pk), action="update").exists()


# ---------------------------------------------------------------------------------------------
# The daily job


def test_R_FEE_04_the_daily_job_runs_each_site_once_a_local_day_and_posts_the_settled(finance, owed, mgmt):  # fmt: skip
    from wuye.billing import tasks

    rule(finance, mgmt, rate="0.05")
    with time_machine.travel(datetime.datetime(2026, 10, 25, 1, 0, tzinfo=datetime.UTC)):
        assert tasks.late_fees_task.run() == {"sites": [owed.site.code]}
        assert tasks.late_fees_task.run() == {"sites": []}
    assert fee_of(owed).accrued == D("0.5000")  # 25 October in Shanghai: 10 days
    pay(finance, owed, "100", lines=[september(owed).pk])
    with time_machine.travel(datetime.datetime(2026, 10, 25, 18, 0, tzinfo=datetime.UTC)):
        assert tasks.late_fees_task.run() == {"sites": [owed.site.code]}  # the 26th there
    late_fee = fee_of(owed)
    assert late_fee.charge_line.amount == D("0.50") and late_fee.accrued_through == day(
        2026, 10, 26
    )


# ---------------------------------------------------------------------------------------------
# API and pages


def post(client, path, body):
    return client.post(f"{BASE}{path}", body, content_type=JSON)


def test_R_FEE_04_the_api_sets_the_rule_with_field_errors_and_nothing_written(finance, mgmt):
    sup = signed_in(finance["sup"].user)
    path = f"{BASE}/fee-items/{mgmt.pk}/late-fee-rule"
    assert sup.get(path).status_code == 404
    bad = sup.put(path, {"basis": "daily", "rate_percent": "0.05", "grace_days": 3, "cap_percent": "150"}, content_type=JSON)  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["fields"] == [{"field": "cap_percent", "message": bad.json()["message"], "code": "range"}]  # fmt: skip
    missing = sup.put(path, {"basis": "daily", "rate_percent": "0.05", "grace_days": 3}, content_type=JSON)  # fmt: skip
    assert missing.status_code == 400 and missing.json()["fields"][0]["field"] == "cap_percent"
    assert not LateFeeRule.objects.exists()
    made = sup.put(path, {"basis": "daily", "rate_percent": "0.05", "grace_days": 3, "cap_percent": "10"}, content_type=JSON)  # fmt: skip
    assert made.status_code == 200
    assert made.json() == {"fee_item": mgmt.pk, "basis": "daily", "rate_percent": "0.0500", "grace_days": 3, "cap_percent": "10.00", "is_active": True}  # fmt: skip
    assert sup.get(path).json()["rate_percent"] == "0.0500"
    cashier = signed_in(finance["cashier"].user)
    assert cashier.put(path, {"basis": "daily", "rate_percent": "1", "grace_days": 0, "cap_percent": "10"}, content_type=JSON).status_code == 403  # fmt: skip


def test_R_FEE_04_the_api_lists_waives_asks_and_posts(finance, owed, accruing):
    cashier, sup = signed_in(finance["cashier"].user), signed_in(finance["sup"].user)
    listed = cashier.get(f"{BASE}/late-fees", {"state": "accruing", "unit": owed.code})
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["id"], row["unit"], row["accrued"], row["to_post"], row["state"]) == (accruing.pk, owed.code, "100.0000", "100.00", "accruing")  # fmt: skip
    assert row["principal"]["amount"] == "100.00" and row["principal"]["outstanding"] == "100.00"
    assert (row["accrued_through"], row["days_overdue"]) == ("2026-11-14", 30)
    assert len(cashier.get(f"{BASE}/late-fees").json()) == 8
    refused = post(cashier, f"/late-fees/{accruing.pk}/waive", {"amount": "30", "reason": "x"})
    assert refused.status_code == 403
    assert (refused.json()["code"], refused.json()["approver"]) == ("beyond_authority", "赵会计")
    bad = post(sup, f"/late-fees/{accruing.pk}/waive", {"amount": "500", "reason": "x"})
    assert bad.status_code == 400 and bad.json()["fields"][0] == {"field": "amount", "message": bad.json()["message"], "code": "more_than_available"}  # fmt: skip
    asked = post(cashier, f"/late-fees/{accruing.pk}/approval-requests", {"amount": "30", "reason": "x"})  # fmt: skip
    assert asked.status_code == 201 and asked.json()["approver_name"] == "赵会计"
    done = post(sup, f"/late-fees/{accruing.pk}/waive", {"amount": "20", "reason": "x"})
    assert done.status_code == 200 and done.json()["waived"] == "20.00"
    posted = post(cashier, f"/late-fees/{accruing.pk}/post", {})
    assert posted.status_code == 200 and posted.json()["state"] == "posted"
    assert posted.json()["charge_line"]["amount"] == "80.00"
    again = post(cashier, f"/late-fees/{accruing.pk}/post", {})
    assert again.status_code == 400 and again.json()["fields"][0]["code"] == "posted"


def test_R_FEE_04_site_b_can_neither_see_nor_waive_site_as_late_fees(finance, owed, accruing, finance_b):  # fmt: skip
    other = signed_in(finance_b)
    assert other.get(f"{BASE}/late-fees").json() == []
    assert post(other, f"/late-fees/{accruing.pk}/waive", {"amount": "1", "reason": "x"}).status_code == 404  # fmt: skip
    assert post(other, f"/late-fees/{accruing.pk}/post", {}).status_code == 404
    assert other.get(f"{BASE}/fee-items/{accruing.bill_line.fee_item_id}/late-fee-rule").status_code == 404  # fmt: skip
    assert other.get(f"/billing/late-fees/{accruing.pk}/waive/").status_code == 404
    assert not LateFeeWaiver.objects.exists()


def test_R_FEE_04_the_late_fees_page_lists_filters_exports_and_waives(finance, owed, accruing):
    cashier, sup = signed_in(finance["cashier"].user), signed_in(finance["sup"].user)
    page = cashier.get("/billing/late-fees/", {"state": "accruing"})
    assert page.status_code == 200 and owed.code in page.content.decode()
    export = cashier.get("/billing/late-fees/", {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    row = openpyxl.load_workbook(io.BytesIO(export.content)).active[2]
    # Principal, outstanding, accrued, waived and to post are money; days overdue is not; not
    # posted yet, the posted column is blank.
    money, plain = YUAN_FORMAT, "General"
    assert [c.number_format for c in row[5:12]] == [money, money, plain, money, money, money, plain]
    assert row[5].value == 100 and row[5].data_type == "n" and row[11].value is None
    waive = f"/billing/late-fees/{accruing.pk}/waive/"
    refused = cashier.post(waive, {"amount": "30", "reason": "物业服务有瑕疵"})
    assert refused.status_code == 403 and "赵会计" in refused.content.decode()
    asked = cashier.post(waive, {"amount": "30", "reason": "物业服务有瑕疵", "ask": "1"})
    assert asked.status_code == 302
    assert ApprovalRequest.objects.get().params == {"late_fee": accruing.pk, "amount": "30.00"}
    bad = sup.post(waive, {"amount": "500", "reason": "x"})
    assert bad.status_code == 400 and not LateFeeWaiver.objects.exists()
    assert sup.post(waive, {"amount": "10", "reason": "x"}).status_code == 302
    assert fee_of(owed).waived == D("10.00")
    account = cashier.get(f"/billing/units/{owed.pk}/")
    assert 'id="late-fees"' in account.content.decode()


def test_R_FEE_04_the_rule_is_set_on_the_fee_items_page(finance, mgmt):
    sup = signed_in(finance["sup"].user)
    path = f"/billing/fee-items/{mgmt.pk}/late-fee-rule/"
    bad = sup.post(path, {"basis": "daily", "rate_percent": "0.05", "grace_days": "5", "cap_percent": ""})  # fmt: skip
    assert bad.status_code == 400 and not LateFeeRule.objects.exists()
    done = sup.post(path, {"basis": "daily", "rate_percent": "0.05", "grace_days": "5", "cap_percent": "10", "is_active": "on"})  # fmt: skip
    assert done.status_code == 302
    assert LateFeeRule.objects.get().cap_percent == D("10")
    assert "0.05" in sup.get(f"/billing/fee-items/{mgmt.pk}/").content.decode()
    assert signed_in(finance["cashier"].user).get(path).status_code == 403


# ---------------------------------------------------------------------------------------------
# Two workers at once (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_R_FEE_04_two_workers_accruing_and_posting_at_once_do_it_once(finance, owed, mgmt):
    from tests.concurrency import at_once, postgres_only

    postgres_only()
    rule(finance, mgmt, rate="0.05")
    outcomes = at_once(2, lambda i: late_fees.accrue_late_fees(today=day(2026, 10, 20)))
    assert sorted(outcomes) == [0, 8], outcomes
    assert LateFee.objects.count() == 8
    assert set(LateFee.objects.values_list("accrued", flat=True)) == {D("0.2500")}
    late_fee = fee_of(owed)
    posted = at_once(2, lambda i: late_fees.post_late_fee(late_fee=late_fee, actor=finance["cashier"].user, today=day(2026, 10, 20)))  # fmt: skip
    assert sum(isinstance(o, BillLine) for o in posted) == 1, posted
    assert BillLine.objects.filter(fee_item__kind=FeeItem.Kind.LATE_FEE).count() == 1


def test_a_late_fee_rule_reports_every_bad_value_at_once(finance, mgmt):
    with pytest.raises(ValidationError) as caught:
        late_fees.save_late_fee_rule(fee_item=mgmt, actor=finance["sup"].user, basis="weekly",
                                     rate_percent="0", grace_days="-3", cap_percent="")  # fmt: skip
    assert {f: [e.code for e in es] for f, es in caught.value.error_dict.items()} == {
        "basis": ["invalid_choice"], "rate_percent": ["not_positive"],
        "cap_percent": ["required"], "grace_days": ["negative"],
    }  # fmt: skip
    assert not LateFeeRule.objects.exists()


def test_a_waiver_without_a_reason_and_of_nothing_reports_both_at_once(finance, accruing):
    with pytest.raises(ValidationError) as caught:
        late_fees.waive_late_fee(
            late_fee=accruing, actor=finance["sup"].user, amount="0", reason=" "
        )
    assert {f: [e.code for e in es] for f, es in caught.value.error_dict.items()} == {
        "reason": ["required"], "amount": ["not_positive"],
    }  # fmt: skip
    assert not accruing.waivers.exists()
