"""The demo site's billing: a management fee by floor area (shops at their own rate), a
cleaning charge per flat, the maintenance fund by quarter, parking per space, water by meter
(tiered) and the corridor lights' shared meter, a shop's lease, a renovation deposit; three
months read and billed and some of them paid."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wuye.billing import bill_runs, deposits, leases, meters, payments, services
from wuye.billing.models import FeeItem, Meter
from wuye.estate.models import Building, Unit
from wuye.staff.models import Employee

ITEMS = [
    # code, name, kind, method, cycle, prepaid, rates [(amount, use)]
    ("mgmt", "物业管理费", FeeItem.Kind.MANAGEMENT, FeeItem.Method.FLOOR_AREA, FeeItem.Cycle.MONTHLY, False,
     [("2.80", ""), ("4.50", Unit.Use.SHOP)]),
    ("clean", "生活垃圾清运费", FeeItem.Kind.OTHER, FeeItem.Method.PER_UNIT, FeeItem.Cycle.MONTHLY, False, [("15", "")]),
    ("fund", "本体维修基金", FeeItem.Kind.MAINTENANCE_FUND, FeeItem.Method.FLOOR_AREA, FeeItem.Cycle.QUARTERLY, True,
     [("0.25", "")]),
    ("park", "车位管理费", FeeItem.Kind.PARKING, FeeItem.Method.PER_PARKING, FeeItem.Cycle.MONTHLY, False, [("120", "")]),
    ("water", "水费", FeeItem.Kind.WATER, FeeItem.Method.METER, FeeItem.Cycle.MONTHLY, False, [("3.50", "")]),
    ("light", "公共照明电费", FeeItem.Kind.ELECTRICITY, FeeItem.Method.METER, FeeItem.Cycle.MONTHLY, False, [("0.68", "")]),
    ("rent", "商铺租金", FeeItem.Kind.RENT, FeeItem.Method.RENT, FeeItem.Cycle.MONTHLY, False, []),
]  # fmt: skip
WATER_TIERS = [
    {"upto": "20", "rate": "3.50"},
    {"upto": "30", "rate": "4.55"},
    {"upto": None, "rate": "6.30"},
]


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
                              valid_from=datetime.date(months[0].year, 1, 1),
                              tiers=WATER_TIERS if code == "water" else None,
                              loss_percent="2" if code == "water" else 0)  # fmt: skip
    _read_meters(admin, site, months)
    _lease_and_deposit(admin, site, months[0])
    lines = 0
    for month in months:
        lines += bill_runs.run_bills(site=site, actor=admin, month=month).lines
    cashier = Employee.objects.filter(site=site, number="E051").select_related("user").first()
    actor = cashier.user if cashier and cashier.user else admin
    for i, unit in enumerate(
        Unit.objects.of_site(site).filter(state=Unit.State.OCCUPIED).order_by("code")[:120]
    ):
        open_total = sum((line.outstanding for line in payments.open_lines(unit)), Decimal("0"))
        if not open_total:
            continue
        if i % 3 == 0:  # paid up
            payments.take_payment(site=site, actor=actor, unit=unit, method="qr", amount=open_total)
        elif i % 3 == 1:  # paid part, in cash
            part = (open_total / 2).quantize(Decimal("0.01"))
            payments.take_payment(site=site, actor=actor, unit=unit, method="cash", amount=part,
                                  tendered=(part + 50).quantize(Decimal("1")))  # fmt: skip
    return lines


def _read_meters(admin, site, months) -> None:
    """Water meters on the first building's flats and its corridor lights' shared meter, read
    for each month; one flat's last reading is below the one before and waits for a second look."""
    building = Building.objects.of_site(site).order_by("code").first()
    if building is None:
        return
    items = {item.code: item for item in FeeItem.objects.of_site(site)}
    installed = months[0] - datetime.timedelta(days=400)
    flats = list(
        Unit.objects.filter(building=building).exclude(use=Unit.Use.SHOP).order_by("code")[:40]
    )
    own = [
        meters.add_meter(
            site=site,
            actor=admin,
            code=f"W{unit.code}",
            kind="water",
            fee_item=items["water"],
            unit=unit,
            installed_on=installed,
        )  # fmt: skip
        for unit in flats
    ]
    lights = meters.add_meter(
        site=site, actor=admin, code=f"E{building.code}-GQ", kind="electricity",
        fee_item=items["light"], building=building, split=Meter.Split.HOUSEHOLD,
        installed_on=installed, location=f"{building.name} 楼道",
    )  # fmt: skip
    for step, month in enumerate(months, 1):
        day = month.replace(day=25) if month.replace(day=25) <= timezone.localdate() else timezone.localdate()  # fmt: skip
        for n, meter in enumerate(own):
            usage = 8 + (n * 7) % 19
            misread = n == 3 and step == len(months)  # lower than last month's: held
            value = usage * (step - 1) - 3 if misread else usage * step
            meters.record_reading(site=site, actor=admin, meter=meter, period=month,
                                  value=Decimal(value), read_on=day)  # fmt: skip
        meters.record_reading(site=site, actor=admin, meter=lights, period=month,
                              value=Decimal(420 * step), read_on=day)  # fmt: skip


def _lease_and_deposit(admin, site, first_month) -> None:
    items = {item.code: item for item in FeeItem.objects.of_site(site)}
    shop = Unit.objects.of_site(site).filter(use=Unit.Use.SHOP).order_by("code").first()
    if shop is not None:
        leases.sign_lease(
            site=site, actor=admin, number="ZL-2025-001", fee_item=items["rent"], unit=shop,
            lessee="便民超市", monthly_rent="4800", escalation_percent="5",
            starts_on=first_month - datetime.timedelta(days=380), ends_on=first_month.replace(year=first_month.year + 2),
        )  # fmt: skip
    reno = services.save_fee_item(site=site, actor=admin, code="reno-deposit", name="装修押金",
                                  kind=FeeItem.Kind.DEPOSIT, method=FeeItem.Method.PER_UNIT,
                                  is_cyclic=False)  # fmt: skip
    card = services.save_fee_item(site=site, actor=admin, code="card", name="门禁卡补办",
                                  kind=FeeItem.Kind.OTHER, method=FeeItem.Method.PER_UNIT,
                                  is_cyclic=False)  # fmt: skip
    services.set_rate(fee_item=card, actor=admin, amount="30", valid_from=first_month)
    unit = Unit.objects.of_site(site).filter(state=Unit.State.RENOVATING).order_by("code").first()
    if unit is not None:
        deposits.take_deposit(site=site, actor=admin, unit=unit, fee_item=reno, amount="2000",
                              method="transfer", payer="业主")  # fmt: skip
