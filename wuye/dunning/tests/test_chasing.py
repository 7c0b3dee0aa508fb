"""The chasing log (R-FEE-03): calls, visits and letters with promises to pay an amount by a
date; a promise is kept when the unit's payments (not voided) from the time it was recorded to
the end of the promised day reach the amount, broken when that day has passed without it, open
otherwise — worked out in SQL for a whole list."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from tests.errors import codes
from wuye.billing import payments
from wuye.dunning import queries, services
from wuye.dunning.models import ChasingEntry

from .conftest import at

pytestmark = pytest.mark.django_db


def pay(finance, unit, amount):
    return payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                 method="cash", amount=amount)  # fmt: skip


def promise(unit, actor, amount, by, kind="call", note="答应月底前缴清"):
    return services.record_chasing(site=unit.site, actor=actor, unit=unit, kind=kind, note=note,
                                   promised_amount=amount, promised_by=by)  # fmt: skip


def states(site, now):
    rows = queries.with_promise_state(ChasingEntry.objects.of_site(site), now)
    return {e.unit.code: (e.promise_state, D(e.paid_towards).quantize(D("0.01"))) for e in rows.select_related("unit")}  # fmt: skip


def test_R_FEE_03_a_promise_is_open_then_kept_when_the_payments_reach_it(owed, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20, 10))
    pay(finance, owed, "50")  # before the call: does not count
    entry = promise(owed, clerk, "150.00", datetime.date(2026, 12, 25))
    assert entry.promise_ends_at == at(2026, 12, 26, 0) and entry.recorded_by == clerk
    time_machine.move_to(at(2026, 12, 22))
    pay(finance, owed, "100")
    assert states(owed.site, at(2026, 12, 22, 13)) == {"1-0101": ("open", D("100.00"))}
    time_machine.move_to(at(2026, 12, 25, 23))  # the last hour of the promised day still counts
    pay(finance, owed, "50")
    assert states(owed.site, at(2026, 12, 27)) == {"1-0101": ("kept", D("150.00"))}


def test_R_FEE_03_a_promise_is_broken_when_the_day_passes_short_and_voids_dont_count(owed, estate, finance, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20, 10))
    other = estate["units"][1]
    promise(owed, clerk, "100", datetime.date(2026, 12, 24))
    promise(other, clerk, "100", datetime.date(2026, 12, 24))
    time_machine.move_to(at(2026, 12, 21))
    voided = pay(finance, owed, "100")
    payments.void_payment(payment=voided, actor=finance["sup"].user, reason="收错房号")
    pay(finance, other, "99.99")
    time_machine.move_to(at(2026, 12, 25, 9))
    pay(finance, other, "0.01")  # a day late
    now = at(2026, 12, 25, 10)
    assert states(owed.site, now) == {"1-0101": ("broken", D("0.00")), "1-0102": ("broken", D("99.99"))}  # fmt: skip
    broken = queries.promises(owed.site, now, state="broken")
    assert {e.unit.code for e in broken} == {"1-0101", "1-0102"}
    assert not list(queries.promises(owed.site, now, state="kept"))


def test_R_FEE_03_promises_due_soon_are_listed_for_the_clerk(owed, estate, clerk, time_machine):
    time_machine.move_to(at(2026, 12, 20, 10))
    promise(owed, clerk, "100", datetime.date(2026, 12, 22))
    promise(estate["units"][1], clerk, "100", datetime.date(2027, 1, 31))
    services.record_chasing(site=owed.site, actor=clerk, unit=owed, kind="visit", note="上门未遇")
    soon = queries.promises(owed.site, at(2026, 12, 20, 11), state="due_soon")
    assert [e.unit.code for e in soon] == ["1-0101"]
    assert [e.unit.code for e in queries.promises(owed.site, at(2026, 12, 20, 11), state="open")] == ["1-0101", "1-0102"]  # fmt: skip
    log = list(queries.chasing_log(owed.site, owed.pk, at(2026, 12, 20, 11)))
    assert [(e.kind, e.promise_state) for e in log] == [("visit", ""), ("call", "open")]


@pytest.mark.parametrize(
    "fields, field, code",
    [
        ({"kind": "sms"}, "kind", "invalid_choice"),
        ({"promised_amount": "300"}, "promised_by", "required"),
        ({"promised_by": datetime.date(2026, 12, 31)}, "promised_amount", "required"),
        ({"promised_amount": "-5", "promised_by": datetime.date(2026, 12, 31)}, "promised_amount", "not_positive"),
        ({"promised_amount": "0", "promised_by": datetime.date(2026, 12, 31)}, "promised_amount", "not_positive"),
        ({"promised_amount": "12.345", "promised_by": datetime.date(2026, 12, 31)}, "promised_amount", "invalid"),
        ({"promised_amount": "NaN", "promised_by": datetime.date(2026, 12, 31)}, "promised_amount", "invalid"),
        ({"promised_amount": "abc", "promised_by": datetime.date(2026, 12, 31)}, "promised_amount", "invalid"),
        ({"promised_amount": "100", "promised_by": datetime.date(2026, 12, 19)}, "promised_by", "in_past"),
        ({"note": ""}, "note", "required"),
    ],
)  # fmt: skip
def test_R_FEE_03_bad_chasing_input_is_a_field_error_and_nothing_is_written(owed, clerk, time_machine, fields, field, code):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    data = {"kind": "call", "note": "电话催缴", **fields}
    with pytest.raises(ValidationError) as refused:
        services.record_chasing(site=owed.site, actor=clerk, unit=owed, **data)
    assert list(refused.value.error_dict) == [field] and codes(refused.value) == {code}
    assert not ChasingEntry.objects.exists()


def test_R_FEE_03_a_building_run_reports_the_bad_kind_and_the_bad_filter_at_once(owed, clerk):
    with pytest.raises(ValidationError) as refused:
        services.check_building_run(site=owed.site, actor=clerk, building=owed.building, kind="poster",
                                    only_overdue_over_days="999999")  # fmt: skip
    assert {f: [e.code for e in es] for f, es in refused.value.error_dict.items()} == {
        "kind": ["invalid_choice"], "only_overdue_over_days": ["out_of_range"],
    }  # fmt: skip
