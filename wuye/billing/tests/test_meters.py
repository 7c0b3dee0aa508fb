"""Meters and readings (R-FEE-02): usage = (this − last) × multiplier, priced with tiers and a
loss allowance; suspicious readings wait for a second look before they bill; a shared meter's
usage is split among its units exactly."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.errors import codes
from wuye.billing import bill_runs, meters, services
from wuye.billing.models import FeeItem, Meter, MeterReading
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
MONTHS = [datetime.date(2026, m, 1) for m in range(6, 12)]
NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def water(fee_item, finance):
    """Water at ¥3.50 up to 20 m³ a month, ¥4.20 above; a 5% loss allowance."""
    item = fee_item("water", FeeItem.Method.METER, kind=FeeItem.Kind.WATER)
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="3.50", valid_from=datetime.date(2026, 1, 1),
        tiers=[{"upto": "20", "rate": "3.50"}, {"upto": None, "rate": "4.20"}], loss_percent="5",
    )  # fmt: skip
    return item


def own_meter(site, finance, water, unit, code="W1", **kw):
    return meters.add_meter(
        site=site, actor=finance["sup"].user, code=code, kind="water", fee_item=water, unit=unit,
        installed_on=datetime.date(2026, 1, 1), **kw,
    )  # fmt: skip


def read(finance, meter, month, value, who="cashier"):
    return meters.record_reading(
        site=meter.site, actor=finance[who].user, meter=meter, period=month, value=value
    )


def test_r_fee_02_usage_is_this_minus_last_times_multiplier_priced_by_tiers_with_loss(
    site_a, finance, estate, water
):
    unit = estate["units"][0]
    meter = own_meter(site_a, finance, water, unit, multiplier="2", start_value="100")
    reading = read(finance, meter, NOV, "115.5")
    assert reading.previous_value == D("100.00") and reading.usage == D("31.0000")
    assert reading.state == MeterReading.State.ACCEPTED
    run = bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    line = BillLine.objects.get(run=run, fee_item=water)
    # 31 × 1.05 = 32.55 m³: 20 × 3.50 + 12.55 × 4.20 = 70 + 52.71 = 122.71
    assert (line.unit, line.quantity, line.amount) == (unit, D("32.5500"), D("122.71"))
    assert line.reading == reading and line.target == f"meter:{meter.pk}"
    again = bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    assert again.lines == 0


def test_a_negative_reading_is_refused_and_nothing_is_written(site_a, finance, estate, water):
    meter = own_meter(site_a, finance, water, estate["units"][0])
    with pytest.raises(ValidationError) as exc:
        read(finance, meter, NOV, "-1")
    assert codes(exc.value) == {"negative"}
    with pytest.raises(ValidationError) as exc:
        read(finance, meter, NOV, "abc")
    assert codes(exc.value) == {"invalid"}
    assert not MeterReading.objects.exists()


def test_a_month_is_read_once_and_in_order(site_a, finance, estate, water):
    meter = own_meter(site_a, finance, water, estate["units"][0])
    read(finance, meter, NOV, "10")
    with pytest.raises(ValidationError) as exc:
        read(finance, meter, NOV, "12")
    assert codes(exc.value) == {"already_read"}
    with pytest.raises(ValidationError) as exc:
        read(finance, meter, datetime.date(2026, 10, 1), "5")
    assert codes(exc.value) == {"out_of_order"}


def test_a_backwards_reading_is_held_can_only_be_rejected_and_then_read_again(
    site_a, finance, estate, water
):
    meter = own_meter(site_a, finance, water, estate["units"][0], start_value="500")
    held = read(finance, meter, NOV, "480")
    assert held.state == MeterReading.State.HELD and "480" in held.hold_reason
    with pytest.raises(ValidationError) as exc:
        meters.confirm_reading(reading=held, actor=finance["sup"].user)
    assert codes(exc.value) == {"backwards"}
    run = bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    assert run.lines == 0 and run.skipped == {"held_readings": 1}
    with pytest.raises(ValidationError):
        meters.reject_reading(reading=held, actor=finance["sup"].user, note="")
    meters.reject_reading(reading=held, actor=finance["sup"].user, note="看错了")
    fixed = read(finance, meter, NOV, "508")
    assert fixed.state == MeterReading.State.ACCEPTED and fixed.usage == D("8.0000")
    assert bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV).lines == 1


def test_a_jump_beyond_the_meters_history_waits_for_a_second_look(site_a, finance, estate, water):
    meter = own_meter(site_a, finance, water, estate["units"][0])
    value = D(0)
    for month in MONTHS[:-1]:  # five months of about 10 m³
        value += 10
        assert read(finance, meter, month, value).state == MeterReading.State.ACCEPTED
    jump = read(finance, meter, NOV, value + 45)
    assert jump.state == MeterReading.State.HELD and "45" in jump.hold_reason
    assert bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV).lines == 0
    with pytest.raises(PermissionDenied):  # the cashier reads; finance takes the second look
        meters.confirm_reading(reading=jump, actor=finance["cashier"].user)
    meters.confirm_reading(reading=jump, actor=finance["sup"].user, note="漏水已修")
    run = bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    assert run.lines == 1 and BillLine.objects.get(run=run).quantity == D("47.2500")


def test_a_billed_reading_cannot_be_rejected(site_a, finance, estate, water):
    meter = own_meter(site_a, finance, water, estate["units"][0])
    reading = read(finance, meter, NOV, "12")
    bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    with pytest.raises(ValidationError) as exc:
        meters.reject_reading(reading=reading, actor=finance["sup"].user, note="x")
    assert codes(exc.value) == {"billed"}


def shared(site, finance, water, split, building=None, formula=""):
    return meters.add_meter(
        site=site, actor=finance["sup"].user, code=f"S-{split}", kind="water", fee_item=water,
        building=building, split=split, split_formula=formula, installed_on=datetime.date(2026, 1, 1),
    )  # fmt: skip


@pytest.mark.parametrize("split", ["area", "household", "formula"])
def test_r_fee_02_a_shared_meters_usage_splits_among_its_units_exactly(
    site_a, finance, estate, water, split
):
    meter = shared(site_a, finance, water, split, estate["b1"], formula="area * coefficient")
    units = list(meters.served_units(meter))
    if split == "household":  # the vacant and unsold flats are no households
        assert {u.code for u in units} == {"1-0101", "1-0102", "1-0201", "1-01S1"}
    else:
        assert len(units) == 6
    parts = meters.split_usage(meter, D("100.0001"), units)
    assert sum(parts.values()) == D("100.0001")
    if split == "household":
        assert sorted(parts.values()) == [D("25.0000")] * 3 + [D("25.0001")]
    if split == "area":  # 1-0201 has 143.33 m² of 602.76: 23.77897…, rounded down to 23.7789
        # and given one of the two ten-thousandths left over, having lost the most (0.00007…)
        assert parts[estate["units"][2].pk] == D("23.7790")


def test_a_shared_meter_bills_each_unit_its_part(site_a, finance, estate, water):
    meter = shared(site_a, finance, water, "household", estate["b1"])
    read(finance, meter, NOV, "40")
    run = bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    lines = BillLine.objects.filter(run=run).order_by("unit__code")
    assert run.lines == 4 and {line.quantity for line in lines} == {D("10.5000")}  # 10 × 1.05
    assert {line.amount for line in lines} == {D("36.75")}
    assert all(line.target == f"shared:{meter.pk}:{line.unit_id}" for line in lines)


def test_meters_without_a_reading_are_counted_by_the_run(site_a, finance, estate, water):
    own_meter(site_a, finance, water, estate["units"][0], code="W1")
    own_meter(site_a, finance, water, estate["units"][1], code="W2")
    run = bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=NOV)
    assert run.skipped == {"missing_readings": 2}


def test_meters_are_checked_when_added(site_a, finance, estate, water, fee_item):
    with pytest.raises(ValidationError) as exc:
        shared(site_a, finance, water, "")
    assert codes(exc.value) == {"required"}
    with pytest.raises(ValidationError) as exc:
        shared(site_a, finance, water, "formula", formula="area / 0")
    assert "split_formula" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        own_meter(site_a, finance, fee_item("mgmt"), estate["units"][0])
    assert codes(exc.value) == {"not_metered"}
    own_meter(site_a, finance, water, estate["units"][0])
    with pytest.raises(ValidationError) as exc:
        own_meter(site_a, finance, water, estate["units"][1])
    assert codes(exc.value) == {"duplicate"}
    assert Meter.objects.count() == 1
