"""Notice numbers under load (R-FEE-03): clerks issuing at the same moment get gap-free numbers,
and a building's batch issued while single notices are taken keeps the sequence whole."""

import pytest

from tests.concurrency import at_once, postgres_only
from wuye.dunning import services
from wuye.dunning.models import Notice

from .conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()


def test_R_FEE_03_notice_numbers_stay_gap_free_when_clerks_issue_at_once(owed, estate, clerk, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    units = [u for u in estate["units"] if u.building_id == estate["b1"].pk]

    def work(i):
        if i == 0:
            return services.issue_building_notices(site=owed.site, actor=clerk, building=estate["b2"], kind="dunning")  # fmt: skip
        return services.issue_notice(site=owed.site, actor=clerk, unit=units[i - 1], kind="dunning")

    outcomes = at_once(6, work)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(Notice.objects.filter(kind="dunning").values_list("sequence", flat=True)) == list(range(1, 8))  # fmt: skip
