"""A site's mixed collections history for the collection-rate tests: partial payments, a payment
spanning months, a void, a refund, prepaid credit drawn by a run, a deposit applied, a
cancelled line, a one-off charge, a reversed bill run and a terminated lease.

On top of `owed` (eight units, ¥100 of management fee each for September, October and
November 2026 — ¥600 in building 1, ¥200 in building 2 a month), in Beijing time:

    Sep  5  2-0102 leaves a ¥500 renovation deposit (cash)
    Sep 20  1-0101 pays ¥50 cash: part of September
    Oct  1  00:30 (30 Sep 16:30 UTC) 1-0102 pays ¥200 by QR: September and October
    Oct  5  1-0301's October line is cancelled (¥100)
    Oct 10  1-0201 pays ¥300 by transfer: September, October and November
    Oct 12  1-0202 pays ¥100 cash (September) — voided on Oct 20
    Oct 15  2-0101 pays ¥100 cash (September) — ¥40 of it refunded in cash on Nov 5
    Oct 20  a ¥80 one-off service charge on the shop 1-01S1 for October
    Oct 25  the shop pays ¥180 cash: September's fee and the service charge
    Nov 10  2-0102's deposit pays September, October and November (¥300)
    Dec  1  December billed (¥800, and the shop's ¥3100 rent from its lease), reversed Dec 2
    Dec  2  1-0101 pays ¥300 cash: ¥250 open (Sep 50, Oct, Nov), ¥50 left as credit
    Dec  3  December billed again; 1-0101's credit pays ¥50 of it
    Dec  5  January 2027 billed (¥800 and ¥3100 rent)
    Dec 10  the lease ends on Dec 15: December's rent re-priced to ¥1500, January's cancelled
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from wuye.billing import bill_runs, deposits, leases, payments, refunds, services
from wuye.billing.models import FeeItem
from wuye.ledger.models import BillLine

BEIJING = ZoneInfo("Asia/Shanghai")
SEP, OCT, NOV, DEC = (datetime.date(2026, m, 1) for m in (9, 10, 11, 12))
JAN = datetime.date(2027, 1, 1)


def at(time_machine, month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026):
    time_machine.move_to(datetime.datetime(year, month, day, hour, minute, tzinfo=BEIJING), tick=False)  # fmt: skip


def line_of(unit, month, item_code="mgmt"):
    return BillLine.objects.get(
        unit=unit, period_start=month, fee_item__code=item_code, cancelled_at__isnull=True
    )


def make_history(*, time_machine, owed, estate, finance, fee_item, deposit_item) -> dict:
    u = estate["units"]
    site = owed.site
    cashier, sup, head = finance["cashier"].user, finance["sup"].user, finance["head"].user

    def pay(unit, amount, method="cash", **kwargs):
        return payments.take_payment(site=site, actor=cashier, unit=unit, method=method, amount=amount, **kwargs)  # fmt: skip

    rent = fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.RENT, name="租金")
    service = fee_item("svc", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.SERVICE, is_cyclic=False, name="有偿服务")  # fmt: skip
    lease = leases.sign_lease(site=site, actor=sup, number="L-1", fee_item=rent, unit=u[5], lessee="便利店",
                              monthly_rent="3100", starts_on=SEP, ends_on=datetime.date(2027, 8, 31))  # fmt: skip

    at(time_machine, 9, 5)
    deposit = deposits.take_deposit(site=site, actor=cashier, unit=u[7], fee_item=deposit_item, amount="500", method="cash")  # fmt: skip
    at(time_machine, 9, 20)
    pay(u[0], "50")
    time_machine.move_to(datetime.datetime(2026, 9, 30, 16, 30, tzinfo=datetime.UTC), tick=False)
    spanning = pay(u[1], "200", "qr")
    at(time_machine, 10, 5)
    services.cancel_bill_line(line=line_of(u[4], OCT), actor=sup, reason="未交房")
    at(time_machine, 10, 10)
    pay(u[2], "300", "transfer")
    at(time_machine, 10, 12)
    voided = pay(u[3], "100")
    at(time_machine, 10, 15)
    refunded = pay(u[6], "100")
    at(time_machine, 10, 20)
    payments.void_payment(payment=voided, actor=sup, reason="收错户")
    charge = services.add_charge(site=site, actor=cashier, fee_item=service, unit=u[5],
                                 period_start=datetime.date(2026, 10, 20), amount="80", key="T-1")  # fmt: skip
    at(time_machine, 10, 25)
    pay(u[5], "180", lines=[line_of(u[5], SEP).pk, charge.pk])
    at(time_machine, 11, 5)
    refunds.refund(site=site, actor=head, unit=u[6], source="line", bill_line=line_of(u[6], SEP),
                   amount="40", method="cash", reason="多收")  # fmt: skip
    at(time_machine, 11, 10)
    deposits.apply_deposit(deposit=deposit, actor=cashier, amount="300")
    at(time_machine, 12, 1)
    first = bill_runs.run_bills(site=site, actor=sup, month=DEC)
    at(time_machine, 12, 2)
    bill_runs.reverse_run(run=first, actor=sup, reason="租金录错")
    pay(u[0], "300", take_rest_as_credit=True)
    at(time_machine, 12, 3)
    bill_runs.run_bills(site=site, actor=sup, month=DEC)
    at(time_machine, 12, 5)
    bill_runs.run_bills(site=site, actor=sup, month=JAN)
    at(time_machine, 12, 10)
    leases.terminate_lease(lease=lease, actor=sup, on=datetime.date(2026, 12, 15), reason="提前退租")  # fmt: skip
    return {"site": site, "spanning": spanning, "voided": voided, "refunded": refunded,
            "deposit": deposit, "lease": lease, "first_run": first}  # fmt: skip
