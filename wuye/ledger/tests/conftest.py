"""The ledger is moved by billing's and the cashier's actions, so its tests use billing's team
and estate."""

from wuye.billing.tests.conftest import estate, fee_item, finance  # noqa: F401 (fixtures)
