"""Payments, receipts, credit and voids (docs/billing.md, Payments, credit and receipts; Corrections
without edits), and the ledger that always balances: billed − cancelled − paid + refunded − credit
used = balance."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.errors import codes
from wuye.billing import bill_runs, deposits, payments, refunds, services
from wuye.billing.models import CreditEntry, FeeItem, Payment, Receipt
from wuye.billing.payments import ledger, open_lines
from wuye.ledger.models import Allocation, BillLine

pytestmark = pytest.mark.django_db
MONTHS = [datetime.date(2026, m, 1) for m in (9, 10, 11)]


@pytest.fixture
def billed(fee_item, finance, estate):
    """Unit 1-0101 with three months of a ¥100 fee and a ¥20 cleaning fee: ¥360 open."""
    actor = finance["sup"].user
    for code, amount in (("mgmt", "100"), ("clean", "20")):
        item = fee_item(code, FeeItem.Method.PER_UNIT)
        services.set_rate(
            fee_item=item, actor=actor, amount=amount, valid_from=datetime.date(2026, 1, 1)
        )
    for month in MONTHS:
        bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=month)
    return estate["units"][0]


def pay(finance, unit, amount, **kwargs):
    kwargs.setdefault("method", "transfer")
    return payments.take_payment(
        site=unit.site, actor=finance["cashier"].user, unit=unit, amount=amount, **kwargs
    )


def test_a_partial_payment_goes_to_the_oldest_lines(billed, finance):
    payment = pay(finance, billed, "150", method="cash", tendered="200")
    assert payment.change == D("50.00")
    paid = {
        (a.bill_line.period_start.month, a.bill_line.fee_item.code): a.amount
        for a in payment.allocations.all()
    }
    assert paid == {(9, "clean"): D("20.00"), (9, "mgmt"): D("100.00"), (10, "clean"): D("20.00"), (10, "mgmt"): D("10.00")}  # fmt: skip
    assert ledger(billed).balance == D("210.00")
    assert sum(line.amount - line.paid for line in open_lines(billed)) == D("210.00")


def test_chosen_lines_are_paid_first(billed, finance):
    nov = BillLine.objects.get(unit=billed, fee_item__code="mgmt", period_start=MONTHS[2])
    payment = pay(finance, billed, "100", lines=[nov.pk])
    assert [a.bill_line_id for a in payment.allocations.all()] == [nov.pk]


def test_receipt_numbers_are_gap_free_per_site_and_year(billed, finance):
    numbers = [pay(finance, billed, "10").receipt.number for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
    assert numbers[0].startswith("RC-A-2026-") or numbers[0].startswith("RC-A-20")


def test_a_payment_larger_than_what_is_open_is_refused_unless_taken_as_credit(billed, finance):
    with pytest.raises(ValidationError) as exc:
        pay(finance, billed, "500")
    assert codes(exc.value) == {"more_than_open"}
    assert not Payment.objects.exists() and not Receipt.objects.exists()
    payment = pay(finance, billed, "500", take_rest_as_credit=True)
    assert payments.credit_balance(billed) == D("140.00")
    assert ledger(billed).balance == D("0.00")
    assert payment.allocations.count() == 6


def test_credit_is_drawn_by_the_next_bill_and_earmarked_credit_only_for_its_item(
    billed, finance, estate
):
    mgmt = FeeItem.objects.get(code="mgmt")
    pay(finance, billed, "360")
    pay(finance, billed, "50", take_rest_as_credit=True, earmark=mgmt)
    pay(finance, billed, "30", take_rest_as_credit=True)
    bill_runs.run_bills(
        site=billed.site, actor=finance["sup"].user, month=datetime.date(2026, 12, 1)
    )  # the run draws the credit onto December's lines by itself
    assert payments.apply_credit(unit=billed) == D("0.00")
    dec = {line.fee_item.code: line for line in payments.with_outstanding(BillLine.objects.filter(unit=billed, period_start__month=12))}  # fmt: skip
    # Oldest line first: cleaning takes ¥20 of the general credit, the management fee its
    # earmarked ¥50 and the general ¥10 left.
    assert dec["clean"].paid == D("20.00") and dec["mgmt"].paid == D("60.00")
    assert payments.credit_balance(billed) == D("0.00") and payments.credit_balance(
        billed, mgmt
    ) == D("0.00")
    book = ledger(billed)
    assert (
        book.billed - book.cancelled - book.paid + book.refunded - book.credit_used
        == book.balance
        == D("40.00")
    )


def test_the_same_idempotency_key_records_one_payment(billed, finance):
    first = pay(finance, billed, "100", idempotency_key="app-7f3a")
    again = pay(finance, billed, "100", idempotency_key="app-7f3a")
    assert first.pk == again.pk and Payment.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        pay(finance, billed, "99", idempotency_key="app-7f3a")
    assert codes(exc.value) == {"key_reused"}


def test_bad_payments_are_field_errors(billed, finance):
    for kwargs, code in [
        ({"amount": "0"}, "not_positive"),
        ({"amount": "-5"}, "not_positive"),
        ({"amount": "abc"}, "invalid"),
        ({"amount": "50", "method": "bitcoin"}, "invalid_choice"),
        ({"amount": "50", "method": "cash", "tendered": "20"}, "short"),
    ]:  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            pay(finance, billed, **kwargs)
        assert codes(exc.value) == {code}
    assert not Payment.objects.exists()
    with pytest.raises(TypeError):
        pay(finance, billed, 10.5)  # a float is a programming error, not input


def test_void_reopens_the_lines_within_authority(billed, finance):
    payment = pay(finance, billed, "360")
    with pytest.raises(PermissionDenied):
        payments.void_payment(payment=payment, actor=finance["cashier"].user, reason="录错")
    with pytest.raises(ValidationError):
        payments.void_payment(payment=payment, actor=finance["sup"].user, reason="")
    payments.void_payment(payment=payment, actor=finance["sup"].user, reason="录错户号")
    assert ledger(billed).balance == D("360.00")
    with pytest.raises(ValidationError) as exc:
        payments.void_payment(payment=payment, actor=finance["sup"].user, reason="again")
    assert codes(exc.value) == {"voided"}


def test_voiding_beyond_authority_names_who_may(billed, finance, estate):
    unit = estate["units"][1]
    big = pay(finance, unit, "1200", take_rest_as_credit=True)
    with pytest.raises(PermissionDenied) as exc:
        payments.void_payment(payment=big, actor=finance["sup"].user, reason="x")  # ≤ ¥1,000
    assert "李主任" in str(exc.value)
    payments.void_payment(payment=big, actor=finance["head"].user, reason="重复收款")
    assert payments.credit_balance(unit) == D("0.00")


def test_a_paid_line_cannot_be_cancelled_and_a_paid_run_cannot_be_reversed(billed, finance):
    pay(finance, billed, "100")
    line = Allocation.objects.first().bill_line
    with pytest.raises(ValidationError) as exc:
        services.cancel_bill_line(line=line, actor=finance["sup"].user, reason="x")
    assert codes(exc.value) == {"paid"}
    with pytest.raises(ValidationError) as exc:
        bill_runs.reverse_run(run=line.run, actor=finance["sup"].user, reason="x")
    assert codes(exc.value) == {"paid"}


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=40000)),
        st.tuples(st.just("credit"), st.integers(min_value=1, max_value=20000)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("void"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("apply"), st.just(0)),
        st.tuples(st.just("refund_line"), st.integers(min_value=1, max_value=12000)),
        st.tuples(st.just("refund_credit"), st.integers(min_value=1, max_value=5000)),
        st.tuples(st.just("deposit"), st.integers(min_value=1, max_value=50000)),
        st.tuples(st.just("apply_deposit"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("refund_deposit"), st.integers(min_value=1, max_value=50000)),
    ),
    max_size=14,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPERATIONS)
def test_the_ledger_always_balances(billed, finance, fee_item, ops):
    """Any sequence of payments, credit, cancellations, voids, credit use, refunds and deposits:
    the identity holds, what is open equals the balance, no line is paid beyond its amount,
    and no credit or deposit is held below zero."""
    from django.db import transaction

    sid = transaction.savepoint()
    try:
        keys = fee_item("keys", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False)
        unit, sup = billed, finance["head"].user
        for op, value in ops:
            try:
                if op == "pay":
                    pay(finance, unit, D(value) / 100)
                elif op == "credit":
                    pay(finance, unit, D(value) / 100, take_rest_as_credit=True)
                elif op == "cancel":
                    lines = list(
                        BillLine.objects.filter(unit=unit, cancelled_at__isnull=True).order_by("pk")
                    )
                    if lines:
                        services.cancel_bill_line(
                            line=lines[value % len(lines)], actor=sup, reason="测试"
                        )
                elif op == "void":
                    live = list(
                        Payment.objects.filter(unit=unit, voided_at__isnull=True).order_by("pk")
                    )
                    if live:
                        payments.void_payment(
                            payment=live[value % len(live)], actor=sup, reason="测试"
                        )
                elif op == "apply":
                    payments.apply_credit(unit=unit)
                else:
                    _deposit_or_refund(op, value, unit, sup, keys)
            except ValidationError:
                pass  # refused: nothing written, and the books must still balance
            book = ledger(unit)
            assert (
                book.billed - book.cancelled - book.paid + book.refunded - book.credit_used
                == book.balance
            )
            assert book.balance == sum(
                (line.amount - line.paid for line in open_lines(unit)), D("0")
            )
            for line in payments.with_outstanding(BillLine.objects.filter(unit=unit)):
                assert D("0") <= line.paid <= line.amount
            held = sum(
                CreditEntry.objects.filter(unit=unit).values_list("amount", flat=True), D("0")
            )
            assert held >= 0 and held == book.credit_in - book.credit_used - _credit_taken_back(
                unit
            )
            assert all(d.held >= 0 for d in deposits.deposits_of(unit))
    finally:
        transaction.savepoint_rollback(sid)


def _credit_taken_back(unit):
    return -sum(CreditEntry.objects.filter(unit=unit, amount__lt=0, bill_line__isnull=True).values_list("amount", flat=True), D("0"))  # fmt: skip


def _deposit_or_refund(op, value, unit, actor, keys):
    amount = D(value) / 100
    paid = [line for line in payments.with_outstanding(BillLine.objects.filter(unit=unit).order_by("pk")) if line.paid > 0]  # fmt: skip
    held = [d for d in deposits.deposits_of(unit) if d.held > 0]
    if op == "refund_line" and paid:
        line = paid[value % len(paid)]
        refunds.refund(site=unit.site, actor=actor, unit=unit, source="line", bill_line=line,
                       amount=amount, method="cash", reason="测试")  # fmt: skip
    elif op == "refund_credit":
        refunds.refund(site=unit.site, actor=actor, unit=unit, source="credit", amount=amount,
                       method="cash", reason="测试")  # fmt: skip
    elif op == "deposit":
        deposits.take_deposit(site=unit.site, actor=actor, unit=unit, fee_item=keys,
                              amount=amount, method="cash")  # fmt: skip
    elif op == "apply_deposit" and held:
        deposits.apply_deposit(deposit=held[value % len(held)], actor=actor)
    elif op == "refund_deposit" and held:
        refunds.refund(site=unit.site, actor=actor, unit=unit, source="deposit",
                       deposit=held[0], amount=amount, method="cash", reason="测试")  # fmt: skip


def test_a_payment_reports_the_bad_method_and_earmark_at_once(finance, owed, site_b):
    other = FeeItem.objects.create(site=site_b, code="x", name="别处", kind=FeeItem.Kind.MANAGEMENT,
                                   method=FeeItem.Method.PER_UNIT)  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        payments.take_payment(site=owed.site, actor=finance["cashier"].user, unit=owed, method="gold",
                              amount="-5", earmark=other, take_rest_as_credit=True)  # fmt: skip
    assert {f: [e.code for e in es] for f, es in caught.value.error_dict.items()} == {
        "amount": ["not_positive"], "method": ["invalid_choice"], "earmark": ["invalid"],
    }  # fmt: skip
    assert not Payment.objects.exists()


def test_a_one_off_charge_reports_every_bad_field_at_once(finance, owed, deposit_item):
    with pytest.raises(ValidationError) as caught:
        services.add_charge(site=owed.site, actor=finance["sup"].user, fee_item=deposit_item, unit=owed,
                            period_start=datetime.date(2026, 9, 30), period_end=datetime.date(2026, 9, 1),
                            amount="0")  # fmt: skip
    assert {f: [e.code for e in es] for f, es in caught.value.error_dict.items()} == {
        "fee_item": ["deposit"], "period_end": ["order"], "amount": ["not_positive"],
    }  # fmt: skip
    assert not BillLine.objects.filter(fee_item=deposit_item).exists()


def test_a_refund_reports_the_missing_reason_and_the_bad_amount_at_once(finance, owed):
    with pytest.raises(ValidationError) as caught:
        refunds.refund(site=owed.site, actor=finance["head"].user, unit=owed, source="credit", amount="x",
                       method="cash", reason="")  # fmt: skip
    assert {f: [e.code for e in es] for f, es in caught.value.error_dict.items()} == {
        "reason": ["required"], "amount": ["invalid"],
    }  # fmt: skip
