"""Online payment's fixtures: billing's finance team and estate at site A, every unit billed
¥100 a month for September to November 2026 (`owed`), a resident who orders, and the
simulator. The resident here is a plain user: who may order for a unit is the portal's
question (its tests prove it); these tests are about what follows an order."""

import pytest

from wuye.billing import payments
from wuye.billing.tests.conftest import estate, fee_item, finance, owed  # noqa: F401 (fixtures)
from wuye.onlinepay import services
from wuye.onlinepay.gateways import gateway_named


@pytest.fixture
def payer(django_user_model):
    return django_user_model.objects.create_user(
        username="resident-13812345678", first_name="张三", password="pass-Word-123"
    )


@pytest.fixture
def simulator():
    return gateway_named("simulator")


@pytest.fixture
def order_for(payer, owed):  # noqa: F811 (fixtures)
    """`order_for(unit, count)`: an order for the unit's `count` oldest open lines."""

    def make(unit=None, count=2, actor=None):
        unit = unit or owed
        lines = payments.open_lines(unit)[:count]
        return services.create_order(
            actor=actor or payer, unit=unit, line_ids=[line.pk for line in lines]
        )

    return make


@pytest.fixture
def paid_by_simulator(simulator, django_capture_on_commit_callbacks):
    """`paid_by_simulator(order, **options)`: the simulator takes the payment and its
    notification reaches the handler once the simulator's transaction commits."""

    def pay(order, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return simulator.pay(order, **options)

    return pay
