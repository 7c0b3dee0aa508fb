"""Fee items, rates and bill runs (R-FEE-01): the run's SQL gives exactly what the reference
computation gives, a second run posts nothing, runs reverse as a whole, lines cancel with
authority."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.errors import codes
from wuye.billing import bill_runs, services
from wuye.billing.charges import compute, rate_for
from wuye.billing.models import BillRun, FeeItem
from wuye.estate.models import Unit
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
NOV = datetime.date(2026, 11, 1)


def test_overlapping_rates_of_one_scope_are_refused(fee_item, finance, estate):
    item = fee_item()
    actor = finance["sup"].user
    services.set_rate(
        fee_item=item, actor=actor, amount="2.80", valid_from=datetime.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        services.set_rate(
            fee_item=item, actor=actor, amount="3.00", valid_from=datetime.date(2026, 6, 1)
        )
    assert codes(exc.value) == {"overlap"}
    # Another scope may overlap; the same scope after the old one ends may not clash.
    services.set_rate(
        fee_item=item,
        actor=actor,
        amount="4.50",
        valid_from=datetime.date(2026, 1, 1),
        unit_use="shop",
    )
    services.end_rate(
        rate=item.rates.get(unit_use="", building=None),
        actor=actor,
        valid_to=datetime.date(2026, 5, 31),
    )
    services.set_rate(
        fee_item=item, actor=actor, amount="3.00", valid_from=datetime.date(2026, 6, 1)
    )
    assert rate_for(item, estate["units"][0], datetime.date(2026, 5, 31)).amount == D("2.80")
    assert rate_for(item, estate["units"][0], datetime.date(2026, 6, 1)).amount == D("3.00")
    assert rate_for(item, estate["units"][5], datetime.date(2026, 6, 1)).amount == D("4.50")


def test_bad_rates_are_field_errors(fee_item, finance):
    item, actor = fee_item(), finance["sup"].user
    for kwargs, code in [
        ({"amount": "-1", "valid_from": NOV}, "negative"),
        ({"amount": "abc", "valid_from": NOV}, "invalid"),
        ({"amount": "1", "valid_from": NOV, "valid_to": datetime.date(2026, 10, 1)}, "order"),
        ({"amount": "1", "valid_from": NOV, "tiers": [{"upto": "20", "rate": "1"}, {"upto": "10", "rate": "2"}]}, "order"),
    ]:  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            services.set_rate(fee_item=item, actor=actor, **kwargs)
        assert codes(exc.value) == {code}
    assert not item.rates.exists()


def test_a_formula_naming_an_unknown_attribute_is_refused(fee_item):
    with pytest.raises(ValidationError) as exc:
        fee_item("f", FeeItem.Method.FORMULA, formula="area * bedrooms")
    assert codes(exc.value) == {"unknown_name"}
    assert not FeeItem.objects.exists()


def _rated(fee_item, finance, estate, code, method, rates, **fields):
    item = fee_item(code, method, **fields)
    for kwargs in rates:
        services.set_rate(
            fee_item=item, actor=finance["sup"].user, valid_from=datetime.date(2026, 1, 1), **kwargs
        )
    return item


@pytest.mark.parametrize(
    ("unit", "mode"), [("fen", "half_up"), ("fen", "up"), ("jiao", "down"), ("yuan", "half_up")]
)
def test_r_fee_01_the_run_posts_what_the_reference_computes(fee_item, finance, estate, unit, mode):
    item = _rated(fee_item, finance, estate, "mgmt", FeeItem.Method.FLOOR_AREA, [
        {"amount": "2.85"}, {"amount": "5.1234", "unit_use": "shop"},
        {"amount": "3.15", "building": estate["b2"]},
    ], rounding_unit=unit, rounding_mode=mode, vacant=FeeItem.Vacant.SHARE, vacant_percent=70)  # fmt: skip
    run = bill_runs.run_bills(site=item.site, actor=finance["sup"].user, month=NOV)
    lines = {line.unit_id: line for line in BillLine.objects.filter(run=run)}
    assert len(lines) == len(estate["units"]) == run.lines
    for u in estate["units"]:
        factor = D("0.7") if u.state in (Unit.State.VACANT, Unit.State.UNSOLD) else D(1)
        expected = compute(item, rate_for(item, u, NOV), unit=u, factor=factor).amount
        assert lines[u.pk].amount == expected, (u.code, lines[u.pk].amount, expected)
    assert lines[estate["units"][5].pk].rate == D("5.1234")  # the shop's own rate
    assert lines[estate["units"][6].pk].rate == D("3.15")  # building 2's rate
    assert run.total == sum(line.amount for line in lines.values())
    assert all(line.due_date == datetime.date(2026, 12, 15) for line in lines.values())  # postpaid


def test_exact_amounts_for_a_known_flat(fee_item, finance, estate):
    _rated(fee_item, finance, estate, "mgmt", FeeItem.Method.FLOOR_AREA, [{"amount": "2.85"}])
    run = bill_runs.run_bills(site=estate["b1"].site, actor=finance["sup"].user, month=NOV)
    line = BillLine.objects.get(run=run, unit=estate["units"][1])  # 96.05 m² × 2.85 = 273.7425
    assert line.amount == D("273.74") and line.quantity == D("96.05") and line.rate == D("2.85")


def test_a_second_run_of_a_period_posts_nothing_and_says_so(fee_item, finance, estate):
    _rated(fee_item, finance, estate, "mgmt", FeeItem.Method.PER_UNIT, [{"amount": "30"}])
    actor = finance["sup"].user
    first = bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=NOV)
    again = bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=NOV)
    assert first.lines == 8 and again.lines == 0
    assert BillLine.objects.count() == 8


def test_vacant_units_not_charged_and_parking_only_when_held(fee_item, finance, estate):
    _rated(
        fee_item,
        finance,
        estate,
        "clean",
        FeeItem.Method.PER_UNIT,
        [{"amount": "10"}],
        vacant=FeeItem.Vacant.NONE,
    )
    _rated(
        fee_item,
        finance,
        estate,
        "park",
        FeeItem.Method.PER_PARKING,
        [{"amount": "150"}],
        kind=FeeItem.Kind.PARKING,
    )
    run = bill_runs.run_bills(site=estate["b1"].site, actor=finance["sup"].user, month=NOV)
    assert (
        BillLine.objects.filter(run=run, fee_item__code="clean").count() == 6
    )  # not the vacant, not the unsold
    parked = BillLine.objects.filter(run=run, fee_item__code="park")
    assert sorted(line.parking_space.code for line in parked) == ["P0", "P1"]
    assert all(line.amount == D("150.00") for line in parked)


def test_a_custom_formula_is_billed_per_unit(fee_item, finance, estate):
    _rated(fee_item, finance, estate, "f", FeeItem.Method.FORMULA, [{"amount": "2"}],
           formula="area * rate * coefficient + 5")  # fmt: skip
    bill_runs.run_bills(site=estate["b1"].site, actor=finance["sup"].user, month=NOV)
    line = BillLine.objects.get(unit=estate["units"][2])  # 143.33 × 2 × 1.2 + 5 = 348.992
    assert line.amount == D("348.99")


def test_quarterly_items_bill_in_the_quarters_first_month(fee_item, finance, estate):
    _rated(fee_item, finance, estate, "fund", FeeItem.Method.FLOOR_AREA, [{"amount": "0.25"}],
           kind=FeeItem.Kind.MAINTENANCE_FUND, cycle=FeeItem.Cycle.QUARTERLY, is_prepaid=True)  # fmt: skip
    actor = finance["sup"].user
    assert bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=NOV).lines == 0
    run = bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=datetime.date(2026, 10, 1))
    line = BillLine.objects.filter(run=run).first()
    assert (line.period_start, line.period_end, line.due_date) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
        datetime.date(2026, 10, 15),
    )


def test_a_run_killed_half_way_leaves_nothing_and_a_rerun_completes(fee_item, finance, estate):
    _rated(fee_item, finance, estate, "a", FeeItem.Method.PER_UNIT, [{"amount": "10"}])
    _rated(fee_item, finance, estate, "b", FeeItem.Method.PER_UNIT, [{"amount": "20"}])
    actor = finance["sup"].user

    def die(done, total, name):
        if done == 1:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=NOV, progress=die)
    assert not BillLine.objects.exists() and not BillRun.objects.exists()
    assert bill_runs.run_bills(site=estate["b1"].site, actor=actor, month=NOV).lines == 16


def test_a_reversed_run_may_be_billed_again_but_a_cancelled_line_stays_cancelled(
    fee_item, finance, estate
):
    _rated(fee_item, finance, estate, "mgmt", FeeItem.Method.PER_UNIT, [{"amount": "30"}])
    actor = finance["sup"].user
    site = estate["b1"].site
    run = bill_runs.run_bills(site=site, actor=actor, month=NOV)
    with pytest.raises(ValidationError):
        bill_runs.reverse_run(run=run, actor=actor, reason="")
    bill_runs.reverse_run(run=run, actor=actor, reason="费率录错")
    assert BillLine.objects.filter(run=run, reversed=True, cancelled_at__isnull=False).count() == 8
    second = bill_runs.run_bills(site=site, actor=actor, month=NOV)
    assert second.lines == 8
    wrong = BillLine.objects.filter(run=second).first()
    services.cancel_bill_line(line=wrong, actor=actor, reason="该户已预缴")
    assert bill_runs.run_bills(site=site, actor=actor, month=NOV).lines == 0  # not posted again
    with pytest.raises(ValidationError):
        services.cancel_bill_line(line=wrong, actor=actor, reason="again")


def test_cancelling_beyond_ones_authority_names_who_may(fee_item, finance, estate):
    item = _rated(fee_item, finance, estate, "mgmt", FeeItem.Method.PER_UNIT, [{"amount": "30"}])
    big = services.add_charge(site=item.site, actor=finance["cashier"].user, fee_item=item,
                              unit=estate["units"][0], period_start=NOV, amount="800", note="赔偿")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.cancel_bill_line(
            line=big, actor=finance["cashier"].user, reason="录错"
        )  # no such right
    with pytest.raises(PermissionDenied) as exc:
        services.cancel_bill_line(line=big, actor=finance["sup"].user, reason="录错")  # ≤ ¥500
    assert "李主任" in str(exc.value)
    services.cancel_bill_line(line=big, actor=finance["head"].user, reason="录错")  # ≤ ¥3,000
    big.refresh_from_db()
    assert big.cancelled_at is not None and big.cancel_reason == "录错"


def test_a_one_off_charge_posted_twice_under_one_key_is_one(fee_item, finance, estate):
    item = fee_item("svc", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.SERVICE, is_cyclic=False)
    args = {"site": item.site, "actor": finance["cashier"].user, "fee_item": item,
            "unit": estate["units"][0], "period_start": NOV, "amount": "80", "key": "TK-A-2026-000001"}  # fmt: skip
    assert services.add_charge(**args).pk == services.add_charge(**args).pk
    with pytest.raises(ValidationError):
        services.add_charge(**{**args, "amount": "0", "key": "x"})


def test_other_sites_and_roles_cannot_run_bills(fee_item, finance, estate, clerk_b, site_a):
    _rated(fee_item, finance, estate, "mgmt", FeeItem.Method.PER_UNIT, [{"amount": "30"}])
    for actor in (clerk_b, finance["cashier"].user):
        with pytest.raises(PermissionDenied):
            bill_runs.run_bills(site=site_a, actor=actor, month=NOV)
    assert not BillLine.objects.exists()


def test_metered_charges_and_rent_are_billed_monthly(fee_item):
    with pytest.raises(ValidationError) as exc:
        fee_item(
            "water", FeeItem.Method.METER, kind=FeeItem.Kind.WATER, cycle=FeeItem.Cycle.QUARTERLY
        )
    assert codes(exc.value) == {"monthly_only"}
    with pytest.raises(ValidationError) as exc:
        fee_item("rent", FeeItem.Method.RENT, kind=FeeItem.Kind.MANAGEMENT)
    assert codes(exc.value) == {"mismatch"}
    assert fee_item("water", FeeItem.Method.METER, kind=FeeItem.Kind.WATER).method == "meter"


def test_r_rep_03_paid_service_jobs_become_charges_once(fee_item, finance, estate, site_a):
    from django.utils import timezone

    from wuye.servicedesk import services as desk
    from wuye.servicedesk.models import PriceItem, Ticket, WorkOrder
    from wuye.staff.models import Employee, Post

    unit, sup = estate["units"][0], finance["sup"].user
    price = PriceItem.objects.create(site=site_a, name="更换水龙头", price=D("80"))
    tech = Employee.objects.create(
        site=site_a, number="T9", name="周师傅", post=Post.objects.get(code="technician")
    )
    ticket = desk.register_ticket(site=site_a, actor=None, authorised=True, intake=desk.Intake(
        kind="repair", channel="phone", subject="龙头坏了", unit=unit))  # fmt: skip
    desk.dispatch_ticket(ticket=ticket, actor=finance["pm"].user, assignee=tech, department=tech.post.department,
                         visit_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip
    order = WorkOrder.objects.get(ticket=ticket)
    desk.record_arrival(work_order=order, actor=finance["pm"].user)
    desk.finish_work_order(work_order=order, actor=finance["pm"].user, work_done="换龙头", result="fixed",
                           price_item=price, quantity=2)  # fmt: skip
    item = fee_item("svc", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.SERVICE, is_cyclic=False)
    assert services.post_paid_services(site=site_a, actor=sup, fee_item=item) == 1
    assert services.post_paid_services(site=site_a, actor=sup, fee_item=item) == 0
    line = BillLine.objects.get(fee_item=item)
    assert line.unit == unit and line.amount == D("160.00") and ticket.number in line.note
    assert Ticket.objects.get(pk=ticket.pk).charge_reference == f"BL-{line.pk}"
