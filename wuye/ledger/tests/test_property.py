"""The ledger under random sequences of money steps, each through the services as the finance
team (a cashier, the finance supervisor, the centre head, the project manager), with their
rights and the authority matrix (R-ADM-02) deciding who may void, refund, cancel, waive and
grant relief.

Steps (a bill run first, then 4 to 14 of): bill runs (with a discount rule and vacancy relief applied in the run), reversing a run,
one-off charges, payments (a chosen line's open amount, the unit's whole open amount, or any
amount; with or without the rest as credit), voids, refunds of a line's payment and of credit,
drawing credit onto open lines, cancelling lines, granting vacancy relief (apply, inspect, decide) and cancelling relief
entries, days passing, the daily late-fee job (R-FEE-04: accrual, posting settled late fees),
posting a late fee at the counter and waiving one; a correction refused as beyond the actor's
authority is asked for (an approval request, R-ADM-02), and a step decides a waiting request —
approving carries it out in the approver's name.

After every step:
(a) each line's open amount (the receivables ledger's: amount − paid − relief, nothing on a
    cancelled line) lies between 0 and its amount — the arrears (R-FEE-03) and the late-fee base
    read it — its paid and relief equal their recount (`receivables.differences`) and a live
    line owes its amount plus its ledger entries;
(b) the maintained collection and income figures equal their recount from the ledger
    (`figures.differences`, what `wuye recount_collections` checks; R-FEE-05 collection rate);
(c) the sum of what units owe equals billed − live allocations + line refunds − live relief over
    live lines, each unit's `payments.ledger` balance equals what its lines owe, and no credit
    balance is below nothing;
(d) a refused step (ValidationError, PermissionDenied — beyond authority included) changed
    nothing: the counts and sums of every ledger table are as before.
Any other exception fails the test.

`WUYE_PROPERTY_EXAMPLES` sets how many sequences run (500 unless told).
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.billing import (
    bill_runs,
    figures,
    late_fees,
    payments,
    refunds,
    relief,
    services,
)
from wuye.billing.models import (
    ApprovalRequest,
    BillRun,
    CollectionFigure,
    CreditEntry,
    FeeItem,
    IncomeFigure,
    LateFee,
    LateFeeWaiver,
    Payment,
    Receipt,
    Refund,
    ReliefEntry,
    ReliefRule,
    VacancyApplication,
)
from wuye.core.models import AuditEntry
from wuye.ledger import services as receivables
from wuye.ledger.models import Allocation, BillLine, LedgerEntry

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("WUYE_PROPERTY_EXAMPLES", "500"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
# September's lines fell due in October and October's in November: late fees have begun.
START = datetime.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
MONTHS = [datetime.date(2026, m, 1) for m in (9, 10, 11)]
ZERO = D("0.00")
ACTORS = ("cashier", "sup", "head", "pm")


def at(moment):
    """The world's clock at `moment` (time moves on within a step, as it does)."""
    return time_machine.travel(moment, tick=True)


@pytest.fixture
def world(site_a, finance, estate, fee_item):
    """Management by floor area at ¥1.85 (amounts with fen), a one-off service item, a daily
    late fee of 0.05 % set on 1 September, a 10 % discount on October and 50 % vacancy relief."""
    sup = finance["sup"].user
    with at(datetime.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)):
        mgmt = fee_item("mgmt", FeeItem.Method.FLOOR_AREA, name="物业管理费")
        services.set_rate(fee_item=mgmt, actor=sup, amount="1.85", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
        once = fee_item("svc", FeeItem.Method.PER_UNIT, name="有偿服务", kind=FeeItem.Kind.OTHER, is_cyclic=False)  # fmt: skip
        late_fees.save_late_fee_rule(fee_item=mgmt, actor=sup, basis="daily", rate_percent="0.05", grace_days=0, cap_percent="100")  # fmt: skip
        relief.save_rule(site=site_a, actor=sup, name="十月九折", kind=ReliefRule.Kind.DISCOUNT, fee_item=mgmt,
                         valid_from=datetime.date(2026, 10, 1), valid_to=datetime.date(2026, 10, 31), percent="10")  # fmt: skip
        relief.save_rule(site=site_a, actor=sup, name="空置减半", kind=ReliefRule.Kind.VACANCY, fee_item=mgmt,
                         valid_from=datetime.date(2026, 1, 1), percent="50")  # fmt: skip
    units = [estate["units"][i] for i in (0, 2, 3, 6)]
    return {"site": site_a, "finance": finance, "units": units, "mgmt": mgmt, "once": once}


# ---------------------------------------------------------------------------------------------
# The invariants


def _total(qs, field="amount"):
    return D(qs.aggregate(t=Sum(field))["t"] or 0).quantize(D("0.0001"))


def snapshot() -> tuple:
    """Counts and sums of every table a money step writes."""
    return (
        BillLine.objects.count(), _total(BillLine.objects), BillLine.objects.filter(cancelled_at__isnull=False).count(),  # fmt: skip
        _total(BillLine.objects, "paid_amount"), _total(BillLine.objects, "relief_amount"),
        LedgerEntry.objects.count(), _total(LedgerEntry.objects),
        tuple(BillRun.objects.values_list("state").annotate(n=Count("pk")).order_by("state")),
        Allocation.objects.count(), _total(Allocation.objects), Allocation.objects.filter(undone=True).count(),  # fmt: skip
        Payment.objects.count(), Payment.objects.filter(voided_at__isnull=False).count(), Receipt.objects.count(),  # fmt: skip
        Refund.objects.count(), _total(Refund.objects),
        CreditEntry.objects.count(), _total(CreditEntry.objects),
        ReliefEntry.objects.count(), _total(ReliefEntry.objects.filter(cancelled_at__isnull=True)),
        VacancyApplication.objects.count(), tuple(VacancyApplication.objects.order_by("pk").values_list("state", flat=True)),  # fmt: skip
        LateFee.objects.count(), _total(LateFee.objects, "accrued"), _total(LateFee.objects, "waived"),  # fmt: skip
        LateFee.objects.filter(charge_line__isnull=False).count(), LateFeeWaiver.objects.count(),
        _total(CollectionFigure.objects, "due"), _total(CollectionFigure.objects, "collected"),
        _total(IncomeFigure.objects, "received"), _total(IncomeFigure.objects, "refunded"),
        ApprovalRequest.objects.count(), AuditEntry.objects.count(),
    )  # fmt: skip


def check_invariants(world, *, ledgers: bool = False) -> None:
    """(a), (b) and (c) of the module's docstring; `ledgers`: each unit's `payments.ledger` too
    (a dozen queries a unit, so at the end of a sequence)."""
    site = world["site"]
    lines = list(payments.with_outstanding(BillLine.objects.filter(site=site)).order_by("pk"))
    owed_by_unit: dict[int, D] = {}
    for line in lines:
        paid, given_off = D(line.paid).quantize(D("0.01")), D(line.relief).quantize(D("0.01"))
        open_ = ZERO if line.cancelled_at else line.amount - paid - given_off
        assert ZERO <= open_ <= line.amount, (  # (a)
            f"line {line.pk} ({line.fee_item_id} {line.period_start}) amount {line.amount} "
            f"paid {paid} relief {given_off} cancelled {bool(line.cancelled_at)}: open {open_}"
        )
        if line.unit_id:
            owed_by_unit[line.unit_id] = owed_by_unit.get(line.unit_id, ZERO) + open_
    for line in lines[-2:]:  # the same, line by line, as the pages read it
        assert payments.line_outstanding(line) == (
            ZERO if line.cancelled_at else line.amount - D(line.paid) - D(line.relief)
        ).quantize(D("0.01"))
    # (a) as the receivables ledger keeps it: each line's paid and relief equal their recount
    # from the movements' sources, and a live line owes its amount plus its ledger entries.
    assert receivables.differences(site) == []
    moved = dict(LedgerEntry.objects.filter(site=site).values("bill_line").annotate(t=Sum("amount")).values_list("bill_line", "t"))  # fmt: skip
    for line in lines:
        if line.cancelled_at is None:
            # (SQLite sums with float digits: to the fen.)
            assert (
                line.amount + D(moved.get(line.pk, ZERO)).quantize(D("0.01")) == line.open_amount
            ), line.pk
    assert figures.differences(site) == []  # (b)
    live = BillLine.objects.filter(site=site, cancelled_at__isnull=True)
    recount = (
        _total(live)
        - _total(Allocation.objects.filter(bill_line__in=live, undone=False))
        + _total(Refund.objects.filter(bill_line__in=live, source=Refund.Source.LINE))
        - _total(ReliefEntry.objects.filter(bill_line__in=live, cancelled_at__isnull=True))
    )
    assert sum(owed_by_unit.values(), ZERO) == recount  # (c)
    credit = CreditEntry.objects.filter(site=site).values("unit", "fee_item").annotate(t=Sum("amount"))  # fmt: skip
    assert all(D(row["t"]).quantize(D("0.01")) >= 0 for row in credit), list(credit)  # to the fen
    if ledgers:
        for unit in world["units"]:
            assert payments.ledger(unit).balance == owed_by_unit.get(unit.pk, ZERO), unit.code


# ---------------------------------------------------------------------------------------------
# The steps

index = st.integers(0, 30)
# Mostly a line's size; now and then beyond a supervisor's authority (¥500 to ¥1,000).
money = st.one_of(st.integers(1, 40000), st.integers(40000, 300000)).map(lambda fen: D(fen) / 100)
actor = st.sampled_from(ACTORS)
run = st.tuples(st.just("run"), st.integers(0, len(MONTHS) - 1))
pay = st.tuples(st.just("pay"), index, st.sampled_from(["line", "part", "unit", "any"]), money, st.booleans(), index)  # fmt: skip
steps = st.one_of(
    run,
    pay,
    pay,
    st.tuples(st.just("reverse_run"), index, actor),
    st.tuples(st.just("charge"), index, money),
    st.tuples(st.just("void"), index, actor),
    st.tuples(st.just("refund_line"), index, st.sampled_from(["all", "half", "any"]), money, actor),
    st.tuples(st.just("refund_credit"), index, money, actor),
    st.tuples(st.just("cancel_line"), index, actor),
    st.tuples(st.just("vacancy"), index, st.integers(0, len(MONTHS) - 1), actor),
    st.tuples(st.just("cancel_relief"), index, actor),
    st.tuples(st.just("apply_credit"), index),
    st.tuples(st.just("decide"), index, actor, st.booleans()),
    st.tuples(st.just("days"), st.integers(1, 35)),
    st.tuples(st.just("late_fee_job")),
    st.tuples(st.just("post_late_fee"), index, actor),
    st.tuples(st.just("waive"), index, st.sampled_from(["all", "half", "any"]), money, actor),
)


def pick(items, i):
    items = list(items)
    return items[i % len(items)] if items else None


class Runner:
    """Runs one sequence's steps against the world, checking the invariants after each."""

    def __init__(self, world):
        self.w, self.site, self.now = world, world["site"], START
        self.current = ""

    def user(self, who):
        return self.w["finance"][who].user

    def attempt(self, call, ask=None):
        """One service call; refused, it must have changed nothing (d). Refused as beyond the
        actor's authority (R-ADM-02), the actor asks for approval when `ask` is given:
        (actor, action, params) of the request."""
        before = snapshot()
        try:
            with at(self.now):
                done = call()
        except (ValidationError, PermissionDenied) as refused:
            assert snapshot() == before, f"refused ({refused}) but something changed"
            event(f"{self.current}: refused ({type(refused).__name__})")
            if isinstance(refused, BeyondAuthority) and ask is not None:
                who, action, params = ask
                self.attempt(lambda: approvals.request_approval(
                    site=self.site, actor=self.user(who), action=action, params=params, reason="请批准",
                ))  # fmt: skip
            return None
        event(f"{self.current}: done")
        return done

    def lines(self, **filters):
        return BillLine.objects.filter(site=self.site, **filters).order_by("pk")

    def step(self, name, *args):
        self.current = name
        getattr(self, f"do_{name}")(*args)
        self.now += datetime.timedelta(minutes=5)
        check_invariants(self.w)

    def do_run(self, month):
        self.attempt(lambda: bill_runs.run_bills(site=self.site, actor=self.user("sup"), month=MONTHS[month]))  # fmt: skip

    def do_reverse_run(self, i, who):
        run = pick(BillRun.objects.filter(site=self.site).order_by("pk"), i)
        if run:
            self.attempt(lambda: bill_runs.reverse_run(run=run, actor=self.user(who), reason="费率错"))  # fmt: skip

    def do_charge(self, i, amount):
        unit = pick(self.w["units"], i)
        self.attempt(lambda: services.add_charge(
            site=self.site, actor=self.user("sup"), fee_item=self.w["once"], unit=unit,
            period_start=self.now.astimezone(SHANGHAI).date(), amount=amount, note="维修",
        ))  # fmt: skip

    def do_pay(self, i, how, amount, credit, j):
        amount_ = amount
        unit = pick(self.w["units"], i)
        chosen = None
        if how == "line":
            line = pick(payments.open_lines(unit), j)
            if line is None:
                return
            chosen, amount = [line.pk], line.outstanding
        elif how in ("unit", "part"):  # all that is open, or some of it
            amount = sum((line.outstanding for line in payments.open_lines(unit)), ZERO)
            if how == "part":
                amount = min(amount - D("0.01"), amount_)
            if amount <= 0:
                amount = D("50.00")
        self.attempt(lambda: payments.take_payment(
            site=self.site, actor=self.user("cashier"), unit=unit, method="cash", amount=amount,
            lines=chosen, take_rest_as_credit=credit,
        ))  # fmt: skip

    def do_apply_credit(self, i):
        unit = pick(self.w["units"], i)
        self.attempt(lambda: payments.apply_credit(unit=unit, actor=self.user("cashier")))

    def do_void(self, i, who):
        payment = pick(Payment.objects.filter(site=self.site).order_by("pk"), i)
        if payment:
            self.attempt(
                lambda: payments.void_payment(payment=payment, actor=self.user(who), reason="录错"),
                ask=(who, "void_payment", {"payment": payment.pk}),
            )

    def do_refund_line(self, i, how, amount, who):
        line = pick(self.lines(allocations__undone=False).distinct(), i)
        if line is None:
            return
        if how == "all":
            amount = payments.line_paid(line)
        elif how == "half":
            amount = (payments.line_paid(line) / 2).quantize(D("0.01"))
        self.attempt(lambda: refunds.refund(
            site=self.site, actor=self.user(who), unit=line.unit, source=Refund.Source.LINE,
            amount=amount, method="cash", reason="多收", bill_line=line,
        ), ask=(who, "refund", {"unit": line.unit_id, "source": "line", "amount": str(amount),
                                "method": "cash", "bill_line": line.pk}))  # fmt: skip

    def do_refund_credit(self, i, amount, who):
        unit = pick(self.w["units"], i)
        amount = min(amount, max(payments.credit_balance(unit), D("0.01")))
        self.attempt(lambda: refunds.refund(
            site=self.site, actor=self.user(who), unit=unit, source=Refund.Source.CREDIT,
            amount=amount, method="cash", reason="退预存",
        ), ask=(who, "refund", {"unit": unit.pk, "source": "credit", "amount": str(amount), "method": "cash"}))  # fmt: skip

    def do_cancel_line(self, i, who):
        line = pick(self.lines(cancelled_at__isnull=True), i)
        if line:
            self.attempt(
                lambda: services.cancel_bill_line(line=line, actor=self.user(who), reason="录错"),
                ask=(who, "cancel_bill_line", {"bill_line": line.pk}),
            )

    def do_vacancy(self, i, month, who):
        unit = pick(self.w["units"], i)
        start = MONTHS[month]
        end = figures.next_month(start) - datetime.timedelta(days=1)
        application = self.attempt(lambda: relief.apply_for_vacancy(
            site=self.site, actor=self.user("sup"), unit=unit, starts_on=start, ends_on=end,
            reason="空置", fee_item=self.w["mgmt"],
        ))  # fmt: skip
        if application is None:
            return
        inspected = self.attempt(lambda: relief.record_inspection(
            application=application, actor=self.user("sup"), found_vacant=True,
        ))  # fmt: skip
        if inspected is not None:
            self.attempt(
                lambda: relief.decide_vacancy(
                    application=inspected, actor=self.user(who), approve=True
                ),
                ask=(who, "relief", {"application": inspected.pk}),
            )

    def do_cancel_relief(self, i, who):
        entry = pick(ReliefEntry.objects.filter(site=self.site, cancelled_at__isnull=True).order_by("pk"), i)  # fmt: skip
        if entry:
            self.attempt(lambda: relief.cancel_relief(entry=entry, actor=self.user(who), reason="不符"))  # fmt: skip

    def do_days(self, days):
        self.now += datetime.timedelta(days=days)

    def today(self):
        return self.now.astimezone(SHANGHAI).date()

    def do_late_fee_job(self):
        self.attempt(lambda: late_fees.run_site_day(self.site, self.today()))

    def do_post_late_fee(self, i, who):
        fee = pick(LateFee.objects.filter(site=self.site).order_by("pk"), i)
        if fee:
            self.attempt(lambda: late_fees.post_late_fee(late_fee=fee, actor=self.user(who), today=self.today()))  # fmt: skip

    def do_waive(self, i, how, amount, who):
        fee = pick(LateFee.objects.filter(site=self.site).order_by("pk"), i)
        if fee is None:
            return
        if how == "all":
            amount = late_fees.waivable(fee)
        elif how == "half":
            amount = (late_fees.waivable(fee) / 2).quantize(D("0.01"))
        self.attempt(
            lambda: late_fees.waive_late_fee(late_fee=fee, actor=self.user(who), amount=amount, reason="困难户"),
            ask=(who, "waive_late_fee", {"late_fee": fee.pk, "amount": str(amount)}),
        )  # fmt: skip

    def do_decide(self, i, who, approve):
        request = pick(ApprovalRequest.objects.filter(site=self.site, state="pending").order_by("pk"), i)  # fmt: skip
        if request:
            self.attempt(lambda: approvals.decide(request=request, actor=self.user(who), approve=approve, note="" if approve else "不同意"))  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=run, sequence=st.lists(steps, min_size=4, max_size=14))
def test_money_steps_keep_the_ledger_and_figures_whole(world, first, sequence):
    """A bill run, then 4 to 14 random steps; each example in a transaction rolled back."""
    with transaction.atomic():
        runner = Runner(world)
        for step in [first, *sequence]:
            runner.step(*step)
        check_invariants(world, ledgers=True)
        transaction.set_rollback(True)
