"""Deposits held apart, refunds with a reason and authority, and approval requests for what is
beyond one's authority (R-ADM-02)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.errors import codes
from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.billing import bill_runs, deposits, payments, refunds, services
from wuye.billing.models import FeeItem, Refund
from wuye.billing.payments import ledger, open_lines
from wuye.billing.queries import statement
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def unit(fee_item, finance, estate):
    """1-0101 billed ¥800 for November."""
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT)
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="800", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    bill_runs.run_bills(site=estate["b1"].site, actor=finance["sup"].user, month=NOV)
    return estate["units"][0]


@pytest.fixture
def renovation(fee_item):
    return fee_item("reno", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False)


def take(unit, finance, item, amount="2000"):
    return deposits.take_deposit(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                 fee_item=item, amount=amount, method="cash", tendered="2000")  # fmt: skip


def test_a_deposit_is_receipted_and_held_apart_from_the_bills(unit, finance, renovation):
    before = ledger(unit).balance
    deposit = take(unit, finance, renovation)
    assert deposit.payment.receipt.number.startswith("RC-")
    assert ledger(unit).balance == before == D("800.00")
    assert deposits.held(deposit) == D("2000.00")
    assert "¥2,000.00" in statement(unit)[-1].what


def test_a_deposit_is_applied_to_open_lines_and_the_rest_refunded(unit, finance, renovation):
    deposit = take(unit, finance, renovation)
    assert deposits.apply_deposit(deposit=deposit, actor=finance["cashier"].user) == D("800.00")
    assert ledger(unit).balance == D("0.00") and deposits.held(deposit) == D("1200.00")
    with pytest.raises(ValidationError) as exc:  # more than is held
        refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit, source="deposit",
                       deposit=deposit, amount="1200.01", method="cash", reason="装修完毕")  # fmt: skip
    assert codes(exc.value) == {"more_than_available"}
    refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit, source="deposit",
                   deposit=deposit, amount="1200", method="cash", reason="装修完毕验收合格")  # fmt: skip
    assert deposits.held(deposit) == D("0.00") and ledger(unit).balance == D("0.00")
    with pytest.raises(ValidationError) as exc:  # used: its payment can no longer be voided
        payments.void_payment(payment=deposit.payment, actor=finance["head"].user, reason="x")
    assert codes(exc.value) == {"deposit_used"}


def test_a_refund_of_a_paid_line_opens_it_again_and_counts_in_the_ledger(unit, finance):
    payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                          method="transfer", amount="800")  # fmt: skip
    line = BillLine.objects.get(unit=unit)
    refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit, source="line",
                   bill_line=line, amount="300", method="transfer", reason="面积计错")  # fmt: skip
    book = ledger(unit)
    assert (book.paid, book.refunded, book.balance) == (D("800.00"), D("300.00"), D("300.00"))
    assert [line.outstanding for line in open_lines(unit)] == [D("300.00")]
    assert statement(unit)[-1].balance == D("300.00")
    with pytest.raises(ValidationError) as exc:
        refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit, source="line",
                       bill_line=line, amount="500.01", method="cash", reason="x")  # fmt: skip
    assert codes(exc.value) == {"more_than_available"}


def test_refunds_need_a_reason_and_a_positive_amount_and_write_nothing_otherwise(unit, finance):
    payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                          method="cash", amount="900", take_rest_as_credit=True)  # fmt: skip
    for amount, reason, code in (("100", " ", "required"), ("0", "x", "not_positive"), ("-5", "x", "not_positive"), ("101", "x", "more_than_available")):  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit,
                           source="credit", amount=amount, method="cash", reason=reason)  # fmt: skip
        assert codes(exc.value) == {code}
    assert not Refund.objects.exists()
    refunds.refund(site=unit.site, actor=finance["head"].user, unit=unit, source="credit",
                   amount="100", method="cash", reason="业主要求退回预存")  # fmt: skip
    assert payments.credit_balance(unit) == D("0.00")


def test_a_cashier_cannot_refund(unit, finance):
    with pytest.raises(PermissionDenied):
        refunds.refund(site=unit.site, actor=finance["cashier"].user, unit=unit, source="credit",
                       amount="1", method="cash", reason="x")  # fmt: skip


def test_r_adm_02_a_refund_beyond_authority_waits_for_approval_and_is_carried_out_once_approved(
    unit, finance
):
    payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                          method="transfer", amount="800")  # fmt: skip
    line = BillLine.objects.get(unit=unit)
    with pytest.raises(BeyondAuthority) as exc:  # the finance supervisor may refund ≤ ¥500
        refunds.refund(site=unit.site, actor=finance["sup"].user, unit=unit, source="line",
                       bill_line=line, amount="800", method="transfer", reason="重复收费")  # fmt: skip
    assert exc.value.approver.name == "李主任"
    params = {"unit": unit.pk, "source": "line", "bill_line": line.pk, "amount": "800", "method": "transfer"}  # fmt: skip
    asked = approvals.request_approval(site=unit.site, actor=finance["sup"].user,
                                       action="refund", params=params, reason="重复收费")  # fmt: skip
    assert asked.approver_name == "李主任" and asked.amount == D("800.00")
    with pytest.raises(ValidationError) as dup:
        approvals.request_approval(site=unit.site, actor=finance["sup"].user, action="refund",
                                   params=params, reason="again")  # fmt: skip
    assert codes(dup.value) == {"pending"}
    with pytest.raises(PermissionDenied):  # nobody decides their own request
        approvals.decide(request=asked, actor=finance["sup"].user, approve=True)
    approvals.decide(request=asked, actor=finance["head"].user, approve=True, note="同意")
    made = Refund.objects.get()
    assert (made.amount, made.approval, made.refunded_by) == (D("800.00"), asked, finance["head"].user)  # fmt: skip
    assert ledger(unit).balance == D("800.00")
    with pytest.raises(ValidationError) as exc:
        approvals.decide(request=asked, actor=finance["pm"].user, approve=True)
    assert codes(exc.value) == {"decided"}


def test_a_rejected_request_needs_a_note_and_changes_nothing(unit, finance):
    line = BillLine.objects.get(unit=unit)
    with pytest.raises(BeyondAuthority):  # the finance supervisor may cancel ≤ ¥500
        services.cancel_bill_line(line=line, actor=finance["sup"].user, reason="面积错误")
    asked = approvals.request_approval(site=unit.site, actor=finance["sup"].user,
                                       action="cancel_bill_line", params={"bill_line": line.pk},
                                       reason="面积错误")  # fmt: skip
    with pytest.raises(ValidationError):
        approvals.decide(request=asked, actor=finance["head"].user, approve=False)
    approvals.decide(request=asked, actor=finance["head"].user, approve=False, note="面积无误")
    line.refresh_from_db()
    asked.refresh_from_db()
    assert line.cancelled_at is None and asked.state == ApprovalRequest.State.REJECTED
    # asked again and approved, the line is cancelled in the approver's name
    again = approvals.request_approval(site=unit.site, actor=finance["sup"].user,
                                       action="cancel_bill_line", params={"bill_line": line.pk},
                                       reason="复核后确认面积错误")  # fmt: skip
    approvals.decide(request=again, actor=finance["head"].user, approve=True)
    line.refresh_from_db()
    assert line.cancelled_by == finance["head"].user and line.cancel_reason == "复核后确认面积错误"


def test_approval_requests_name_only_this_sites_records(unit, finance, site_b):
    from wuye.estate.models import Building, Unit

    building = Building.objects.create(site=site_b, code="9", name="9栋")
    elsewhere = Unit.objects.create(site=site_b, building=building, floor=1, number="0101",
                                    code="9-0101", floor_area=D("80"))  # fmt: skip
    params = {"unit": elsewhere.pk, "source": "credit", "amount": "1", "method": "cash"}
    with pytest.raises(ValidationError) as exc:
        approvals.request_approval(site=unit.site, actor=finance["sup"].user, action="refund",
                                   params=params, reason="x")  # fmt: skip
    assert codes(exc.value) == {"not_found"}
    assert not ApprovalRequest.objects.exists()


def test_a_refund_request_is_checked_when_asked_not_only_when_approved(unit, finance):
    line = BillLine.objects.get(unit=unit)  # billed ¥800, nothing paid
    params = {"unit": unit.pk, "source": "line", "bill_line": line.pk, "amount": "800", "method": "cash"}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        approvals.request_approval(site=unit.site, actor=finance["sup"].user, action="refund",
                                   params=params, reason="x")  # fmt: skip
    assert codes(exc.value) == {"more_than_available"}
    with pytest.raises(ValidationError) as exc:
        approvals.request_approval(site=unit.site, actor=finance["sup"].user, action="refund",
                                   params={**params, "bill_line": 999999}, reason="x")  # fmt: skip
    assert codes(exc.value) == {"not_found"}
    assert not ApprovalRequest.objects.exists()
