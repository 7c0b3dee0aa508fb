"""The home pages' fixtures: the desk's team and billing's finance team at site A, billing's
estate (no second building 1: tickets are filed at its units), a frozen clock, and a day's
work at the desk (`desk_day`) and at the counter (`counter_day`).

The clock stands at NOW (10:00 in Shanghai) unless a test moves it to make something earlier.
"""

import datetime

import pytest
import time_machine

# The desk's people and categories, billing's people, estate and bills.
from wuye.billing import payments
from wuye.billing.tests.conftest import estate, fee_item, finance, owed  # noqa: F401
from wuye.servicedesk import services
from wuye.servicedesk.models import Callback, Kind
from wuye.servicedesk.services import Intake
from wuye.servicedesk.tests.conftest import (  # noqa: F401
    categories,
    customer_service,
    engineering,
    team,
)

from .pages import dispatch

NOW = datetime.datetime(2026, 12, 4, 2, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def clock():
    """The frozen clock at NOW; `clock.move_to(moment)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ticket(site_a, team, estate):  # noqa: F811 (fixtures)
    """`ticket(kind, subject, unit=0, **intake)`: a ticket the clerk registers now, at one of
    the estate's units (by index)."""

    def make(kind=Kind.REPAIR, subject="厨房水管漏水", unit=0, **fields):
        fields.setdefault("channel", "phone")
        fields.setdefault("caller_name", "张三")
        fields.setdefault("caller_phone", "13812345678")
        if kind == Kind.HELP:
            fields.setdefault("help_kind", "other")
        return services.register_ticket(
            site=site_a, actor=team["clerk"].user,
            intake=Intake(kind=kind, subject=subject, unit=estate["units"][unit], **fields),
        )  # fmt: skip

    return make


@pytest.fixture
def desk_day(clock, ticket, team, categories):  # noqa: F811 (fixtures)
    """Two help requests 3 minutes old (one answered), a repair due in 10 minutes whose warning
    has passed, a complaint due in 10 hours, a callback due today and one due next week."""
    clock.move_to(NOW - minutes(50))
    repair = ticket(Kind.REPAIR, "厨房水管漏水", category=categories["plumbing"])
    dispatch(repair, team, NOW + minutes(10))  # warns at 80% of the hour: 2 minutes ago
    calm = ticket(Kind.COMPLAINT, "楼道噪音", agreed_at=NOW + datetime.timedelta(hours=10))
    clock.move_to(NOW - 2 * DAY + minutes(60))
    today = ticket(Kind.HELP, "帮忙搬运")
    services.answer_ticket(ticket=today, actor=team["clerk"].user, answer="已协助", complete=True)
    later = ticket(Kind.HELP, "借梯子")
    services.answer_ticket(ticket=later, actor=team["clerk"].user, answer="已借", complete=True)
    Callback.objects.filter(ticket=later).update(due_at=NOW + 7 * DAY)
    clock.move_to(NOW - minutes(3))
    waiting = ticket(Kind.HELP, "钥匙锁在家里", unit=1)
    answered = ticket(Kind.HELP, "电梯困人", unit=2)
    clock.move_to(NOW - minutes(2))
    services.answer_ticket(ticket=answered, actor=team["clerk"].user, answer="已派人")
    clock.move_to(NOW)
    return {
        "repair": repair, "calm": calm, "waiting": waiting, "answered": answered,
        "callback": Callback.objects.get(ticket=today),
    }  # fmt: skip


@pytest.fixture
def counter_day(clock, finance, owed, estate):  # noqa: F811 (fixtures)
    cashier = finance["cashier"].user
    units = estate["units"]
    take = lambda i, method, amount: payments.take_payment(  # noqa: E731
        site=units[0].site, actor=cashier, unit=units[i], method=method, amount=amount
    )
    clock.move_to(NOW - DAY)
    yesterday = take(1, "cash", "100")
    clock.move_to(NOW - minutes(90))
    first = take(0, "cash", "100")
    clock.move_to(NOW - minutes(30))
    second = take(2, "qr", "50")
    third = take(6, "cash", "120.50")
    clock.move_to(NOW)
    return {"yesterday": yesterday, "today": [first, second, third]}
