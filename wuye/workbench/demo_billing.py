"""The demo site's billing as finance set it up a year ago: a management fee by floor area
(shops at their own rate), a cleaning charge per flat, the maintenance fund by quarter, water by
meter (tiered) and the corridor lights' shared meter, rents for a shop and the rented parking
spaces, a late-fee rule on the management fee, vacancy relief, a renovation deposit. What
happened with it month by month is in `demo_ledger`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from wuye.billing import late_fees, leases, meters, relief, services
from wuye.billing.models import FeeItem, Meter, ReliefRule
from wuye.core import clock
from wuye.estate.models import Building, ParkingSpace, Unit
from wuye.people.models import Vehicle
from wuye.staff.models import Employee

from .demo_ledger import run_year
from .demo_time import at

ITEMS = [
    # code, name, kind, method, cycle, prepaid, rates [(amount, use)]
    ("mgmt", "物业管理费", FeeItem.Kind.MANAGEMENT, FeeItem.Method.FLOOR_AREA, FeeItem.Cycle.MONTHLY, False,
     [("2.80", ""), ("4.50", Unit.Use.SHOP)]),
    ("clean", "生活垃圾清运费", FeeItem.Kind.OTHER, FeeItem.Method.PER_UNIT, FeeItem.Cycle.MONTHLY, False, [("15", "")]),
    ("fund", "本体维修基金", FeeItem.Kind.MAINTENANCE_FUND, FeeItem.Method.FLOOR_AREA, FeeItem.Cycle.QUARTERLY, True,
     [("0.25", "")]),
    ("water", "水费", FeeItem.Kind.WATER, FeeItem.Method.METER, FeeItem.Cycle.MONTHLY, False, [("3.50", "")]),
    ("light", "公共照明电费", FeeItem.Kind.ELECTRICITY, FeeItem.Method.METER, FeeItem.Cycle.MONTHLY, False, [("0.68", "")]),
    ("rent", "商铺租金", FeeItem.Kind.RENT, FeeItem.Method.RENT, FeeItem.Cycle.MONTHLY, False, []),
    ("park", "车位租金", FeeItem.Kind.RENT, FeeItem.Method.RENT, FeeItem.Cycle.MONTHLY, False, []),
]  # fmt: skip
WATER_TIERS = [
    {"upto": "20", "rate": "3.50"},
    {"upto": "30", "rate": "4.55"},
    {"upto": None, "rate": "6.30"},
]
# Rent of a parking space a month, by zone prefix: underground, surface.
SPACE_RENT = {"B1": "300", "D": "150"}
WATER_METERS = 40  # the first 40 flats of building 1


@dataclass(frozen=True)
class Staff:
    """Who does the site's money work: finance sets up and runs the bills, the cashier takes
    money at the counter, an engineer reads the meters, a clerk takes applications."""

    finance: object
    cashier: object
    engineer: object
    clerk: object
    manager: object

    @classmethod
    def of(cls, site) -> Staff:
        users = {
            e.number: e.user
            for e in Employee.objects.of_site(site)
            .filter(user__isnull=False)
            .select_related("user")
        }
        return cls(users["E050"], users["E051"], users["E021"], users["E011"], users["E001"])


def load_billing(site, months: list[datetime.date]) -> int:
    """Set the site's billing up at the start of the year, then live the year; returns the
    lines billed (nothing when the site already has its fee items)."""
    if FeeItem.objects.of_site(site).exists():
        return 0
    staff = Staff.of(site)
    with clock.as_of(at(months[0], 1, 8)):
        items = _fee_items(site, staff.finance, months[0])
        late_fees.save_late_fee_rule(
            fee_item=items["mgmt"], actor=staff.finance, basis="daily", rate_percent="0.05",
            grace_days=30, cap_percent="20",
        )  # fmt: skip
        relief.save_rule(
            site=site, actor=staff.finance, name="空置房管理费减半", kind=ReliefRule.Kind.VACANCY,
            fee_item=items["mgmt"], percent="50", valid_from=months[0],
        )  # fmt: skip
        own, shared = _meters(site, staff.finance, items, months[0])
        _leases(site, staff.finance, items, months[0])
    return run_year(site, staff, months, items, own + [shared])


def _fee_items(site, actor, first_month) -> dict[str, FeeItem]:
    items = {}
    for code, name, kind, method, cycle, prepaid, rates in ITEMS:
        item = services.save_fee_item(site=site, actor=actor, code=code, name=name, kind=kind, method=method,
                                      cycle=cycle, is_prepaid=prepaid, vacant=FeeItem.Vacant.SHARE,
                                      vacant_percent=70)  # fmt: skip
        for amount, use in rates:
            services.set_rate(fee_item=item, actor=actor, amount=amount, unit_use=use,
                              valid_from=datetime.date(first_month.year, 1, 1),
                              tiers=WATER_TIERS if code == "water" else None,
                              loss_percent="2" if code == "water" else 0)  # fmt: skip
        items[code] = item
    items["reno"] = services.save_fee_item(site=site, actor=actor, code="reno-deposit", name="装修押金",
                                           kind=FeeItem.Kind.DEPOSIT, method=FeeItem.Method.PER_UNIT,
                                           is_cyclic=False)  # fmt: skip
    card = services.save_fee_item(site=site, actor=actor, code="card", name="门禁卡补办",
                                  kind=FeeItem.Kind.OTHER, method=FeeItem.Method.PER_UNIT,
                                  is_cyclic=False)  # fmt: skip
    services.set_rate(fee_item=card, actor=actor, amount="30", valid_from=first_month)
    return items


def _meters(site, actor, items, first_month) -> tuple[list[Meter], Meter]:
    """Water meters on building 1's first flats, and its corridor lights' shared meter."""
    building = Building.objects.of_site(site).order_by("code").first()
    installed = first_month - datetime.timedelta(days=400)
    flats = Unit.objects.filter(building=building).exclude(use=Unit.Use.SHOP).order_by("code")
    own = [
        meters.add_meter(
            site=site,
            actor=actor,
            code=f"W{unit.code}",
            kind="water",
            fee_item=items["water"],
            unit=unit,
            installed_on=installed,
        )  # fmt: skip
        for unit in flats[:WATER_METERS]
    ]
    lights = meters.add_meter(
        site=site, actor=actor, code=f"E{building.code}-GQ", kind="electricity",
        fee_item=items["light"], building=building, split=Meter.Split.HOUSEHOLD,
        installed_on=installed, location=f"{building.name} 楼道",
    )  # fmt: skip
    return own, lights


def _leases(site, actor, items, first_month) -> None:
    """The street shop let to a supermarket, and each rented parking space to the car parked
    on it, billed to the car owner's home."""
    ends_on = first_month.replace(year=first_month.year + 2)
    shop = Unit.objects.of_site(site).filter(use=Unit.Use.SHOP).order_by("code").first()
    leases.sign_lease(
        site=site, actor=actor, number="ZL-2025-001", fee_item=items["rent"], unit=shop,
        lessee="便民超市", monthly_rent="4800", escalation_percent="5",
        starts_on=first_month - datetime.timedelta(days=380), ends_on=ends_on,
    )  # fmt: skip
    cars = (
        Vehicle.objects.of_site(site)
        .filter(parking_space__state=ParkingSpace.State.RENTED, unit__isnull=False)
        .select_related("parking_space", "person", "unit")
        .order_by("parking_space__code")
    )
    for n, car in enumerate(cars, start=1):
        space = car.parking_space
        leases.sign_lease(
            site=site, actor=actor, number=f"CW-{first_month.year}-{n:03d}", fee_item=items["park"],
            unit=car.unit, parking_space=space, lessee=car.person.name,
            monthly_rent=SPACE_RENT[space.code.split("-")[0]],
            starts_on=first_month - datetime.timedelta(days=30 * (n % 9 + 1)), ends_on=ends_on,
        )  # fmt: skip
