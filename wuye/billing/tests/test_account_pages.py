"""The unit account's deposits, refunds and corrections, the approvals page and the lease pages:
a deposit issues a receipt and leaves the balance alone until applied; a refund reopens the
line; a correction beyond the actor's authority is asked for and carried out on approval;
one site can't reach another's rows."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.clients import signed_in
from wuye.billing import bill_runs, payments
from wuye.billing.models import (
    ApprovalRequest,
    CreditEntry,
    Deposit,
    FeeItem,
    Lease,
    Payment,
    Refund,
)
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
D = Decimal


def url(name, *args):
    return reverse(f"billing:{name}", args=args)


def pay(unit, actor, amount, **kwargs):
    return payments.take_payment(
        site=unit.site, actor=actor, unit=unit, method="cash", amount=amount, **kwargs
    )


def errors(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def open_total(unit) -> Decimal:
    return sum((line.outstanding for line in payments.open_lines(unit)), D(0))


def oldest_line(unit) -> BillLine:
    return BillLine.objects.filter(unit=unit).order_by("period_start").first()


# ---------------------------------------------------------------------------------------------
# Deposits


def test_a_deposit_issues_a_receipt_and_leaves_the_balance_alone(finance, owed, deposit_item):
    cashier = signed_in(finance["cashier"].user)
    page = cashier.get(url("unit_account", owed.pk)).content.decode()
    assert 'id="take-deposit"' in page and "装修押金" in page
    response = cashier.post(
        url("take_deposit", owed.pk),
        {"deposit-fee_item": deposit_item.pk, "deposit-method": "cash",
         "deposit-amount": "2000", "deposit-tendered": "2000", "deposit-note": "2号门禁卡"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url("unit_account", owed.pk)
    deposit = Deposit.objects.get()
    assert deposit.amount == D("2000.00") and deposit.payment.receipt.number.startswith("RC-A-")
    assert payments.ledger(owed).balance == D("300.00") and open_total(owed) == D("300.00")
    page = cashier.get(url("unit_account", owed.pk)).content.decode()
    assert f'id="deposit-{deposit.pk}"' in page and deposit.payment.receipt.number in page
    assert "2000.00" in page and "2号门禁卡" in page
    assert f'id="apply-deposit-{deposit.pk}"' in page


def test_only_deposit_items_may_be_taken_as_deposits(finance, owed, deposit_item):
    response = signed_in(finance["cashier"].user).post(
        url("take_deposit", owed.pk),
        {"deposit-fee_item": FeeItem.objects.get(code="mgmt").pk, "deposit-method": "qr",
         "deposit-amount": "500"},
    )  # fmt: skip
    assert response.status_code == 400 and "fee_item" in response.context["form"].errors
    assert not Deposit.objects.exists() and not Payment.objects.exists()


def test_applying_a_deposit_pays_the_oldest_lines(finance, owed, deposit_item):
    cashier = signed_in(finance["cashier"].user)
    cashier.post(
        url("take_deposit", owed.pk),
        {"deposit-fee_item": deposit_item.pk, "deposit-method": "transfer", "deposit-amount": "250"},
    )  # fmt: skip
    deposit = Deposit.objects.get()
    too_much = cashier.post(url("apply_deposit", owed.pk, deposit.pk), {f"apply-{deposit.pk}-amount": "300"})  # fmt: skip
    assert too_much.status_code == 400 and "amount" in too_much.context["form"].errors
    assert open_total(owed) == D("300.00")
    response = cashier.post(url("apply_deposit", owed.pk, deposit.pk), {})
    assert response.status_code == 302
    assert [line.outstanding for line in payments.open_lines(owed)] == [D("50.00")]
    page = cashier.get(url("unit_account", owed.pk))
    assert page.context["deposits"][0].held == D("0.00")
    assert page.context["entries"][-1].balance == D("50.00")


def test_a_held_deposit_is_refunded_with_a_reason(finance, owed, deposit_item):
    cashier = signed_in(finance["cashier"].user)
    cashier.post(
        url("take_deposit", owed.pk),
        {"deposit-fee_item": deposit_item.pk, "deposit-method": "cash", "deposit-amount": "400"},
    )  # fmt: skip
    deposit = Deposit.objects.get()
    prefix = f"refund-deposit-{deposit.pk}"
    sup = signed_in(finance["sup"].user)
    no_reason = sup.post(url("refund_deposit", owed.pk, deposit.pk), {f"{prefix}-amount": "400", f"{prefix}-method": "cash"})  # fmt: skip
    assert no_reason.status_code == 400 and "reason" in no_reason.context["form"].errors
    done = sup.post(
        url("refund_deposit", owed.pk, deposit.pk),
        {f"{prefix}-amount": "400", f"{prefix}-method": "cash", f"{prefix}-reason": "装修验收合格"},
    )  # fmt: skip
    assert done.status_code == 302
    refund = Refund.objects.get()
    assert (refund.source, refund.amount, refund.deposit_id) == ("deposit", D("400.00"), deposit.pk)
    assert sup.get(url("unit_account", owed.pk)).context["deposits"][0].held == D("0.00")


# ---------------------------------------------------------------------------------------------
# Refunds and corrections


def test_a_refund_of_a_paid_line_reopens_it_and_the_statement_shows_it(finance, owed):
    pay(owed, finance["cashier"].user, "300")
    line = oldest_line(owed)
    sup = signed_in(finance["sup"].user)
    form = sup.get(url("unit_account", owed.pk)).content.decode()
    assert 'id="refund_line"' in form
    response = sup.post(
        url("refund_line", owed.pk),
        {"refund-line-bill_line": line.pk, "refund-line-amount": "100",
         "refund-line-method": "cash", "refund-line-reason": "重复缴费"},
    )  # fmt: skip
    assert response.status_code == 302
    assert [(lo.pk, lo.outstanding) for lo in payments.open_lines(owed)] == [(line.pk, D("100.00"))]
    page = sup.get(url("unit_account", owed.pk))
    last = page.context["entries"][-1]
    assert "重复缴费" in last.what and last.debit == D("100.00") and last.balance == D("100.00")
    assert "重复缴费" in page.content.decode()


def test_refunding_more_than_was_paid_is_a_field_error_and_writes_nothing(finance, owed):
    pay(owed, finance["cashier"].user, "100")
    response = signed_in(finance["sup"].user).post(
        url("refund_line", owed.pk),
        {"refund-line-bill_line": oldest_line(owed).pk, "refund-line-amount": "150",
         "refund-line-method": "cash", "refund-line-reason": "多收"},
    )  # fmt: skip
    assert response.status_code == 400 and "amount" in response.context["form"].errors
    assert not Refund.objects.exists() and open_total(owed) == D("200.00")


def test_an_unpaid_line_is_cancelled_and_a_payment_voided_from_the_account(finance, owed):
    payment = pay(owed, finance["cashier"].user, "100")
    sup = signed_in(finance["sup"].user)
    last = BillLine.objects.filter(unit=owed).order_by("period_start").last()
    cancelled = sup.post(url("cancel_line", owed.pk), {"cancel-bill_line": last.pk, "cancel-reason": "重复计费"})  # fmt: skip
    assert cancelled.status_code == 302
    last.refresh_from_db()
    assert last.cancelled_at is not None and last.cancel_reason == "重复计费"
    voided = sup.post(url("void_payment", owed.pk), {"void-payment": payment.pk, "void-reason": "收错户"})  # fmt: skip
    assert voided.status_code == 302
    payment.refresh_from_db()
    assert payment.voided_at is not None and open_total(owed) == D("200.00")


def test_a_cashier_asks_for_a_refund_and_the_supervisor_approval_carries_it_out(finance, owed):
    pay(owed, finance["cashier"].user, "300")
    line = oldest_line(owed)
    cashier = signed_in(finance["cashier"].user)
    data = {"refund-line-bill_line": line.pk, "refund-line-amount": "100",
            "refund-line-method": "transfer", "refund-line-reason": "业主多缴"}  # fmt: skip
    refused = cashier.post(url("refund_line", owed.pk), data)
    assert refused.status_code == 403 and not Refund.objects.exists()
    page = refused.content.decode()
    assert 'id="ask-approval"' in page and "赵会计" in page  # the finance supervisor, ≤ ¥500
    asked = cashier.post(url("refund_line", owed.pk), {**data, "ask": "1"})
    assert asked.status_code == 302
    request = ApprovalRequest.objects.get()
    assert (request.action, request.amount, request.approver_name) == (
        "refund",
        D("100.00"),
        "赵会计",
    )
    assert request.params == {"amount": "100.00", "bill_line": line.pk, "method": "transfer",
                              "paid_to": "", "source": "line", "unit": owed.pk}  # fmt: skip
    again = cashier.post(url("refund_line", owed.pk), {**data, "ask": "1"})
    assert again.status_code == 400 and ApprovalRequest.objects.count() == 1

    sup = signed_in(finance["sup"].user)
    listing = sup.get(url("approvals")).content.decode()
    assert f'id="approval-{request.pk}"' in listing
    assert "业主多缴" in listing and "钱收费" in listing and owed.code in listing
    approved = sup.post(url("decide_approval", request.pk), {f"decide-{request.pk}-decision": "approve"})  # fmt: skip
    assert approved.status_code == 302
    request.refresh_from_db()
    refund = Refund.objects.get()
    assert request.state == "approved" and request.decided_by == finance["sup"].user
    assert (refund.approval, refund.refunded_by, refund.reason) == (
        request,
        finance["sup"].user,
        "业主多缴",
    )
    assert [lo.pk for lo in payments.open_lines(owed)] == [line.pk]


def test_a_decision_beyond_ones_authority_or_on_ones_own_request_is_refused(finance, owed):
    pay(owed, finance["cashier"].user, "1000", take_rest_as_credit=True)  # ¥700 credit
    sup = signed_in(finance["sup"].user)
    data = {"refund-credit-amount": "600", "refund-credit-method": "cash",
            "refund-credit-reason": "业主搬离"}  # fmt: skip
    refused = sup.post(url("refund_credit", owed.pk), data)
    assert refused.status_code == 403 and "李主任" in refused.content.decode()
    assert sup.post(url("refund_credit", owed.pk), {**data, "ask": "1"}).status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.approver_name == "李主任"
    own = sup.post(url("decide_approval", request.pk), {f"decide-{request.pk}-decision": "approve"})  # fmt: skip
    assert own.status_code == 403 and len(errors(own)) == 1
    request.refresh_from_db()
    assert request.state == "pending" and not Refund.objects.exists()

    pm = signed_in(finance["pm"].user)
    # The cashier's own ask for the same refund (and more) goes to the centre head too…
    cashier = signed_in(finance["cashier"].user)
    cashier.post(url("refund_credit", owed.pk), {**data, "refund-credit-amount": "650", "ask": "1"})
    theirs = ApprovalRequest.objects.get(requested_by=finance["cashier"].user)
    beyond = sup.post(url("decide_approval", theirs.pk), {f"decide-{theirs.pk}-decision": "approve"})  # fmt: skip
    assert beyond.status_code == 403 and "李主任" in errors(beyond)[0]
    # …and the project manager, whose authority covers it, approves the supervisor's.
    assert pm.post(url("decide_approval", request.pk), {f"decide-{request.pk}-decision": "approve"}).status_code == 302  # fmt: skip
    assert CreditEntry.objects.filter(unit=owed).count() == 2
    assert sum(c.amount for c in CreditEntry.objects.filter(unit=owed)) == D("100.00")


def test_rejecting_needs_a_note_and_changes_nothing(finance, owed):
    pay(owed, finance["cashier"].user, "300")
    cashier = signed_in(finance["cashier"].user)
    data = {"void-payment": Payment.objects.get().pk, "void-reason": "收错户", "ask": "1"}
    assert cashier.post(url("void_payment", owed.pk), data).status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.action == "void_payment" and request.approver_name == "赵会计"
    head = signed_in(finance["head"].user)
    prefix = f"decide-{request.pk}"
    no_note = head.post(url("decide_approval", request.pk), {f"{prefix}-decision": "reject"})
    assert no_note.status_code == 400
    assert "note" in no_note.context["waiting"][0].form.errors
    rejected = head.post(url("decide_approval", request.pk), {f"{prefix}-decision": "reject", f"{prefix}-note": "核实无误"})  # fmt: skip
    assert rejected.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.decision_note) == ("rejected", "核实无误")
    assert Payment.objects.get().voided_at is None
    listing = head.get(url("approvals"))
    assert listing.context["waiting"] == [] and listing.context["decided"][0].pk == request.pk


def test_a_cashier_may_not_decide(finance, owed):
    pay(owed, finance["cashier"].user, "100")
    request = ApprovalRequest.objects.create(
        site=owed.site, action="refund", amount=D("50"), reason="x", requested_by=finance["sup"].user,
        params={"unit": owed.pk, "source": "credit", "amount": "50.00", "method": "cash"},
    )  # fmt: skip
    cashier = signed_in(finance["cashier"].user)
    assert cashier.get(url("approvals")).status_code == 200
    response = cashier.post(url("decide_approval", request.pk), {f"decide-{request.pk}-decision": "approve"})  # fmt: skip
    assert response.status_code == 403


def test_another_sites_rows_are_not_found(finance, owed, deposit_item, finance_b):
    payment = pay(owed, finance["cashier"].user, "100")
    from wuye.billing import deposits

    deposit = deposits.take_deposit(
        site=owed.site, actor=finance["cashier"].user, unit=owed, fee_item=deposit_item,
        amount="100", method="qr",
    )  # fmt: skip
    request = ApprovalRequest.objects.create(
        site=owed.site, action="void_payment", amount=payment.amount, reason="x",
        requested_by=finance["cashier"].user, params={"payment": payment.pk},
    )  # fmt: skip
    other = signed_in(finance_b)
    for path in (
        url("take_deposit", owed.pk),
        url("apply_deposit", owed.pk, deposit.pk),
        url("refund_deposit", owed.pk, deposit.pk),
        url("refund_line", owed.pk),
        url("void_payment", owed.pk),
    ):
        assert other.post(path, {}).status_code == 404, path
    decided = other.post(url("decide_approval", request.pk), {f"decide-{request.pk}-decision": "approve"})  # fmt: skip
    assert decided.status_code == 404
    assert request.pk not in [r.pk for r in other.get(url("approvals")).context["waiting"]]
    payment.refresh_from_db()
    assert payment.voided_at is None


# ---------------------------------------------------------------------------------------------
# Leases


@pytest.fixture
def rent_item(fee_item):
    return fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.RENT, name="商铺租金")


LEASE = {
    "number": "ZL-2026-001", "unit": "1-01S1", "parking_space": "", "lessee": "王记面馆",
    "lessee_phone": "13900001111", "monthly_rent": "3000", "escalation_percent": "5",
    "starts_on": "2026-01-01", "ends_on": "2026-12-31",
}  # fmt: skip


def test_a_lease_is_signed_billed_and_terminated_early(finance, estate, rent_item):
    sup = signed_in(finance["sup"].user)
    unknown = sup.post(url("lease_sign"), {**LEASE, "fee_item": rent_item.pk, "unit": "9-9999"})
    assert unknown.status_code == 400 and "unit" in unknown.context["form"].errors
    signed = sup.post(url("lease_sign"), {**LEASE, "fee_item": rent_item.pk})
    lease = Lease.objects.get()
    assert signed.status_code == 302 and signed["Location"] == url("lease", lease.pk)
    assert lease.unit == estate["units"][5] and lease.monthly_rent == D("3000.00")
    overlap = sup.post(url("lease_sign"), {**LEASE, "number": "ZL-2026-002", "fee_item": rent_item.pk})  # fmt: skip
    assert overlap.status_code == 400 and "starts_on" in overlap.context["form"].errors
    listing = sup.get(url("leases")).content.decode()
    assert "ZL-2026-001" in listing and "王记面馆" in listing and "1-01S1" in listing
    for month in (9, 10):
        bill_runs.run_bills(site=lease.site, actor=finance["sup"].user, month=datetime.date(2026, month, 1))  # fmt: skip
    page = sup.get(url("lease", lease.pk))
    assert [line.amount for line in page.context["lines"]] == [D("3000.00"), D("3000.00")]
    assert page.context["form"] is not None
    ended = sup.post(url("lease", lease.pk), {"on": "2026-09-15", "reason": "商户提前退租"})
    assert ended.status_code == 302
    lease.refresh_from_db()
    assert lease.terminated_on == datetime.date(2026, 9, 15)
    live = BillLine.objects.filter(lease=lease, cancelled_at__isnull=True)
    assert [line.amount for line in live] == [D("1500.00")]
    again = sup.get(url("lease", lease.pk))
    assert again.context["form"] is None and "商户提前退租" in again.content.decode()


def test_the_lease_form_reports_every_bad_field_at_once(finance, estate, rent_item):
    refused = signed_in(finance["sup"].user).post(url("lease_sign"), {
        **LEASE, "fee_item": rent_item.pk, "monthly_rent": "0", "escalation_percent": "120",
        "ends_on": "2025-12-31",
    })  # fmt: skip
    assert refused.status_code == 400
    errors = refused.context["form"].errors.as_data()
    assert {field: [e.code for e in errors[field]] for field in errors} == {
        "monthly_rent": ["not_positive"], "escalation_percent": ["range"], "ends_on": ["order"],
    }  # fmt: skip
    assert not Lease.objects.exists()


def test_a_cashier_reads_leases_but_may_not_sign_or_terminate(finance, estate, rent_item):
    lease = Lease.objects.create(
        site=rent_item.site, number="ZL-1", fee_item=rent_item, unit=estate["units"][5],
        lessee="甲", monthly_rent=D("1000"), starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )  # fmt: skip
    cashier = signed_in(finance["cashier"].user)
    assert cashier.get(url("leases")).status_code == 200
    assert cashier.get(url("lease_sign")).status_code == 403
    assert cashier.post(url("lease_sign"), {**LEASE, "fee_item": rent_item.pk}).status_code == 403
    assert cashier.post(url("lease", lease.pk), {"on": "2026-06-30", "reason": "x"}).status_code == 403  # fmt: skip
    assert Lease.objects.count() == 1 and Lease.objects.get().terminated_on is None


def test_another_sites_lease_is_not_found(finance, estate, rent_item, finance_b):
    lease = Lease.objects.create(
        site=rent_item.site, number="ZL-1", fee_item=rent_item, unit=estate["units"][5],
        lessee="甲", monthly_rent=D("1000"), starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )  # fmt: skip
    other = signed_in(finance_b)
    assert other.get(url("lease", lease.pk)).status_code == 404
    assert (
        other.post(url("lease", lease.pk), {"on": "2026-06-30", "reason": "x"}).status_code == 404
    )
    assert "ZL-1" not in other.get(url("leases")).content.decode()


def test_an_approval_that_can_no_longer_be_carried_out_stays_waiting(finance, owed):
    pay(owed, finance["cashier"].user, "300")
    line = oldest_line(owed)
    data = {"refund-line-bill_line": line.pk, "refund-line-amount": "100",
            "refund-line-method": "cash", "refund-line-reason": "业主多缴"}  # fmt: skip
    signed_in(finance["cashier"].user).post(url("refund_line", owed.pk), {**data, "ask": "1"})
    request = ApprovalRequest.objects.get()
    sup = signed_in(finance["sup"].user)
    assert sup.post(url("refund_line", owed.pk), data).status_code == 302  # refunded meanwhile
    approve = {f"decide-{request.pk}-decision": "approve"}
    refused = sup.post(url("decide_approval", request.pk), approve)
    assert refused.status_code == 400 and refused.context["waiting"][0].form.errors
    request.refresh_from_db()
    assert request.state == "pending" and Refund.objects.count() == 1
