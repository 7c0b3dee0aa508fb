"""Past bills are imported by billing's finance team into billing's estate."""

from wuye.billing.tests.conftest import estate, fee_item, finance  # noqa: F401 (fixtures)
