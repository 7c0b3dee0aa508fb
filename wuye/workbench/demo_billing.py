"""The demo site's billing: a management fee by floor area (shops at their own rate), a
cleaning charge per flat, the maintenance fund by quarter, parking per space; three months
billed and some of them paid."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wuye.billing import bill_runs, payments, services
from wuye.billing.models import FeeItem
from wuye.estate.models import Unit
from wuye.staff.models import Employee

ITEMS = [
    # code, name, kind, method, cycle, prepaid, rates [(amount, use)]
    ("mgmt", "物业管理费", FeeItem.Kind.MANAGEMENT, FeeItem.Method.FLOOR_AREA, FeeItem.Cycle.MONTHLY, False,
     [("2.80", ""), ("4.50", Unit.Use.SHOP)]),
    ("clean", "生活垃圾清运费", FeeItem.Kind.OTHER, FeeItem.Method.PER_UNIT, FeeItem.Cycle.MONTHLY, False, [("15", "")]),
    ("fund", "本体维修基金", FeeItem.Kind.MAINTENANCE_FUND, FeeItem.Method.FLOOR_AREA, FeeItem.Cycle.QUARTERLY, True,
     [("0.25", "")]),
    ("park", "车位管理费", FeeItem.Kind.PARKING, FeeItem.Method.PER_PARKING, FeeItem.Cycle.MONTHLY, False, [("120", "")]),
]  # fmt: skip


def load_billing(admin, site) -> int:
    if FeeItem.objects.of_site(site).exists():
        return 0
    today = timezone.localdate()
    first = today.replace(day=1)
    months = []
    for back in (2, 1, 0):
        year, month = first.year, first.month - back
        while month < 1:
            year, month = year - 1, month + 12
        months.append(datetime.date(year, month, 1))
    for code, name, kind, method, cycle, prepaid, rates in ITEMS:
        item = services.save_fee_item(site=site, actor=admin, code=code, name=name, kind=kind, method=method,
                                      cycle=cycle, is_prepaid=prepaid, vacant=FeeItem.Vacant.SHARE,
                                      vacant_percent=70)  # fmt: skip
        for amount, use in rates:
            services.set_rate(fee_item=item, actor=admin, amount=amount, unit_use=use,
                              valid_from=datetime.date(months[0].year, 1, 1))  # fmt: skip
    lines = 0
    for month in months:
        lines += bill_runs.run_bills(site=site, actor=admin, month=month).lines
    cashier = Employee.objects.filter(site=site, number="E051").select_related("user").first()
    actor = cashier.user if cashier and cashier.user else admin
    for i, unit in enumerate(
        Unit.objects.of_site(site).filter(state=Unit.State.OCCUPIED).order_by("code")[:120]
    ):
        open_total = sum(
            (line.amount - line.paid for line in payments.open_lines(unit)), Decimal("0")
        )
        if not open_total:
            continue
        if i % 3 == 0:  # paid up
            payments.take_payment(site=site, actor=actor, unit=unit, method="qr", amount=open_total)
        elif i % 3 == 1:  # paid part, in cash
            part = (open_total / 2).quantize(Decimal("0.01"))
            payments.take_payment(site=site, actor=actor, unit=unit, method="cash", amount=part,
                                  tendered=(part + 50).quantize(Decimal("1")))  # fmt: skip
    return lines
