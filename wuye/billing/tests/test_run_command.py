"""A bill run from the terminal shows its progress and result; a run's progress reaches the
page while its transaction is still open."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from wuye.billing import services
from wuye.billing.models import FeeItem
from wuye.core.jobs import Progress, with_live_progress
from wuye.core.models import Job
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db


def test_run_bills_command_draws_progress_and_says_what_it_posted(
    site_a, finance, estate, fee_item
):
    for code in ("mgmt", "clean"):
        item = fee_item(code, FeeItem.Method.PER_UNIT)
        services.set_rate(fee_item=item, actor=finance["sup"].user, amount="10", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    out = io.StringIO()
    args = ["--site", site_a.code, "--month", "2026-11", "--user", finance["sup"].user.username]
    call_command("run_bills", *args, stdout=out)
    assert "[" + "#" * 30 + "] 2/2" in out.getvalue()
    assert BillLine.objects.count() == 16 and "16" in out.getvalue().splitlines()[-1]
    out = io.StringIO()
    call_command("run_bills", *args, stdout=out)  # the second run posts nothing and says so
    assert BillLine.objects.count() == 16
    with pytest.raises(CommandError):
        call_command("run_bills", "--site", site_a.code, "--month", "11/2026", "--user", "x")


def test_progress_inside_a_transaction_reaches_the_page_through_the_cache(site_a, finance):
    job = Job.objects.create(site=site_a, kind="billing.run_bills", title="t", state=Job.State.RUNNING)  # fmt: skip
    progress = Progress(job)
    with transaction.atomic():
        progress.start(3, "posting")
        progress.advance(2)
        progress.say("water")  # said at once, not held back like a quick advance
        seen = with_live_progress(Job.objects.get(pk=job.pk))
        assert (seen.done, seen.total, seen.message) == (2, 3, "water")
    assert Job.objects.get(pk=job.pk).done == 0  # the row itself is written only outside
