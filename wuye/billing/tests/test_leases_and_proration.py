"""Rent by lease with its yearly escalation, and proration for a move-in or a lease's start,
end or termination mid-period (docs/billing.md, Leases; Proration and vacant units)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from tests.errors import codes
from wuye.billing import bill_runs, leases, services
from wuye.billing.charges import full_years
from wuye.billing.models import FeeItem
from wuye.ledger.models import BillLine
from wuye.people.models import MoveIn

pytestmark = pytest.mark.django_db
NOV = datetime.date(2026, 11, 1)
DEC = datetime.date(2026, 12, 1)


@pytest.fixture
def rent(fee_item):
    return fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.RENT)


def sign(site, finance, rent, unit, **kw):
    args = {"number": "L-1", "lessee": "便利店", "monthly_rent": "3000", "starts_on": datetime.date(2024, 11, 16),
            "ends_on": datetime.date(2027, 11, 15), "escalation_percent": "5"}  # fmt: skip
    args.update(kw)
    return leases.sign_lease(site=site, actor=finance["sup"].user, fee_item=rent, unit=unit, **args)


def run(site, finance, month):
    return bill_runs.run_bills(site=site, actor=finance["sup"].user, month=month)


def test_rent_rises_by_the_escalation_for_each_full_year_of_the_lease(
    site_a, finance, estate, rent
):
    shop = estate["units"][5]
    lease = sign(site_a, finance, rent, shop)
    assert full_years(lease.starts_on, NOV) == 1  # the second anniversary is 16 November
    run(site_a, finance, NOV)
    line = BillLine.objects.get(lease=lease)
    # 3000 × 1.05 = 3150 a month, the whole of November
    assert (line.unit, line.amount, line.rate, line.target) == (shop, D("3150.00"), D("3150.0000"), f"lease:{lease.pk}")  # fmt: skip
    run(site_a, finance, DEC)  # two full years by 1 December: 3000 × 1.05² = 3307.50
    assert BillLine.objects.get(lease=lease, period_start=DEC).amount == D("3307.50")


def test_a_lease_starting_or_ending_mid_month_is_prorated_by_days(site_a, finance, estate, rent):
    lease = sign(site_a, finance, rent, estate["units"][5], starts_on=datetime.date(2026, 11, 21),
                 ends_on=datetime.date(2026, 12, 10), escalation_percent="0")  # fmt: skip
    run(site_a, finance, NOV)
    run(site_a, finance, DEC)
    amounts = list(BillLine.objects.filter(lease=lease).order_by("period_start").values_list("amount", "quantity"))  # fmt: skip
    # 10 of 30 days of November; 10 of 31 days of December (3000 × 10 / 31 = 967.74)
    assert amounts == [(D("1000.00"), D("10.0000")), (D("967.74"), D("10.0000"))]
    assert run(site_a, finance, datetime.date(2027, 1, 1)).lines == 0


def test_terminating_a_lease_re_prices_its_last_month_and_cancels_the_rest(
    site_a, finance, estate, rent
):
    lease = sign(site_a, finance, rent, estate["units"][5], escalation_percent="0",
                 starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2027, 12, 31))  # fmt: skip
    run(site_a, finance, NOV)
    run(site_a, finance, DEC)
    with pytest.raises(ValidationError) as exc:
        leases.terminate_lease(lease=lease, actor=finance["sup"].user, on=NOV, reason="")
    assert codes(exc.value) == {"required"}
    leases.terminate_lease(lease=lease, actor=finance["sup"].user, on=datetime.date(2026, 11, 15), reason="提前退租")  # fmt: skip
    live = BillLine.objects.filter(lease=lease, cancelled_at__isnull=True)
    assert list(live.values_list("period_start", "amount")) == [(NOV, D("1500.00"))]
    assert BillLine.objects.filter(lease=lease, cancelled_at__isnull=False).count() == 2
    assert run(site_a, finance, datetime.date(2027, 1, 1)).lines == 0


def test_overlapping_leases_of_one_shop_are_refused(site_a, finance, estate, rent):
    sign(site_a, finance, rent, estate["units"][5])
    with pytest.raises(ValidationError) as exc:
        sign(site_a, finance, rent, estate["units"][5], number="L-2", starts_on=datetime.date(2027, 1, 1))  # fmt: skip
    assert codes(exc.value) == {"overlap"}
    with pytest.raises(ValidationError) as exc:
        sign(site_a, finance, rent, estate["units"][0], number="L-3", monthly_rent="0")
    assert codes(exc.value) == {"not_positive"}


@pytest.mark.parametrize(
    ("vacant", "percent", "expected"),
    [
        # 89.50 m² × ¥3 = 268.50 a month; moved in on 21 November: 10 of 30 days occupied.
        ("none", 100, D("89.50")),  # 268.50 × 10/30
        ("share", 50, D("179.00")),  # 268.50 × (10 + 20 × 0.5)/30
        ("full", 100, D("268.50")),  # no difference: charged in full either way
    ],
)
def test_a_unit_moved_into_mid_period_bears_the_days_before_by_the_vacant_rule(
    site_a, finance, estate, fee_item, vacant, percent, expected
):
    item = fee_item(vacant=vacant, vacant_percent=percent)
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="3", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    unit = estate["units"][0]
    MoveIn.objects.create(site=site_a, unit=unit, moved_in_on=datetime.date(2026, 11, 21))
    run(site_a, finance, NOV)
    line = BillLine.objects.get(unit=unit)
    assert line.amount == expected
    others = BillLine.objects.exclude(unit=unit).filter(unit__state="occupied")
    assert others.count() == 5  # everyone else billed by the set-based path, in full
    assert run(site_a, finance, NOV).lines == 0
