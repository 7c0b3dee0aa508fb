"""The finance pages: fee items and rates set up through forms (what a service refuses shows
beside its field, with a 400), bill runs started as background jobs with progress and their
result, a run's totals by fee item and its reversal; the monthly run the schedule starts on the
1st; who may do what, and another site's rows are not found."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from wuye.billing import bill_runs, payments, services
from wuye.billing.finance_forms import parse_tiers, rate_text
from wuye.billing.jobs import JOB_KIND, SYSTEM_USERNAME, start_bill_run
from wuye.billing.models import BillRun, FeeItem, Rate
from wuye.billing.tasks import monthly_bill_run_task
from wuye.core import schedule
from wuye.core.jobs import run_job
from wuye.core.models import AuditEntry, Job
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
MAY = datetime.date(2026, 5, 1)

ITEM = {
    "code": "mgmt",
    "name": "物业管理费",
    "kind": "management",
    "method": "floor_area",
    "is_cyclic": "on",
    "cycle": "monthly",
    "due_day": "15",
    "rounding_unit": "fen",
    "rounding_mode": "half_up",
    "vacant": "full",
    "vacant_percent": "100",
    "is_active": "on",
}


@pytest.fixture(autouse=True)
def _in_english(client):
    """Pages and messages in English, so tests can read what the user reads."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def errors_of(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


@pytest.fixture
def rated(fee_item, finance):
    """A monthly fee item of ¥30 per unit from 2026-01-01."""
    item = fee_item("fixed", FeeItem.Method.PER_UNIT, name="垃圾清运费")
    services.set_rate(
        fee_item=item, actor=finance["sup"].user, amount="30", valid_from=datetime.date(2026, 1, 1)
    )
    return item


# ---------------------------------------------------------------------------------------------
# Fee items


def test_finance_sets_up_a_fee_item_and_edits_it(client_of, finance, site_a):
    client = client_of(finance["sup"].user)
    response = client.post(reverse("billing:fee_item_create"), ITEM)
    item = FeeItem.objects.get(site=site_a, code="mgmt")
    assert response.status_code == 302 and response.url == reverse(
        "billing:fee_item", args=[item.pk]
    )
    assert (item.method, item.is_cyclic, item.due_day) == ("floor_area", True, 15)

    edit = reverse("billing:fee_item_edit", args=[item.pk])
    assert client.get(edit).context["form"]["name"].value() == "物业管理费"
    response = client.post(
        edit,
        {**ITEM, "name": "物业服务费", "due_day": "20", "vacant": "share", "vacant_percent": "50"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.due_day, item.vacant, item.vacant_percent) == (
        "物业服务费",
        20,
        "share",
        50,
    )
    changed = AuditEntry.objects.filter(object_id=str(item.pk), action="update").get()
    assert changed.actor == finance["sup"].user and changed.changes["name"] == [
        "物业管理费",
        "物业服务费",
    ]


def test_the_list_shows_each_items_rules_and_rates_in_force(client_of, finance, rated, fee_item):
    fee_item(
        "water",
        FeeItem.Method.FORMULA,
        name="公摊水费",
        formula="area * rate / 10",
        is_cyclic=False,
    )
    page = client_of(finance["sup"].user).get(reverse("billing:fee_items"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "垃圾清运费" in html and "fixed" in html and "公摊水费" in html
    items = {item.code: item for item in page.context["items"]}
    assert items["fixed"].current_rates == 1 and items["water"].current_rates == 0
    assert reverse("billing:fee_item", args=[rated.pk]) in html


def test_the_fee_item_list_reads_in_a_fixed_number_of_queries(client_of, finance, fee_item):
    client = client_of(finance["sup"].user)
    fee_item("a1", FeeItem.Method.PER_UNIT)
    client.get(reverse("billing:fee_items"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("billing:fee_items"))
    for code in ("a2", "a3", "a4"):
        fee_item(code, FeeItem.Method.PER_UNIT)
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("billing:fee_items"))
    assert len(four) == len(one)


def test_what_the_service_refuses_shows_beside_the_field_with_a_400(client_of, finance, rated):
    client = client_of(finance["sup"].user)
    url = reverse("billing:fee_item_create")
    response = client.post(url, {**ITEM, "code": "fixed"})
    assert response.status_code == 400
    assert errors_of(response, "code") == ["Another fee item has this code."]
    response = client.post(url, {**ITEM, "code": "f2", "method": "formula", "formula": ""})
    assert response.status_code == 400 and errors_of(response, "formula") == ["Write the formula."]
    response = client.post(url, {**ITEM, "code": "p1", "method": "per_parking"})
    assert response.status_code == 400
    assert errors_of(response, "method") == ["Per parking space is for parking fees."]
    response = client.post(url, {**ITEM, "code": "d1", "due_day": "31"})
    assert response.status_code == 400 and errors_of(response, "due_day") == [
        "The due day is between 1 and 28."
    ]
    assert "The due day is between 1 and 28." in response.content.decode()
    assert list(FeeItem.objects.values_list("code", flat=True)) == ["fixed"]


def test_the_fee_item_form_reports_every_bad_field_at_once(client_of, finance, rated):
    response = client_of(finance["sup"].user).post(
        reverse("billing:fee_item_create"),
        {**ITEM, "code": "fixed", "method": "formula", "formula": "", "due_day": "30"},
    )
    assert response.status_code == 400
    assert errors_of(response, "formula") == ["Write the formula."]
    assert errors_of(response, "due_day") == ["The due day is between 1 and 28."]
    assert list(FeeItem.objects.values_list("code", flat=True)) == ["fixed"]


# ---------------------------------------------------------------------------------------------
# Rates


def test_a_rate_is_added_and_an_overlap_is_a_form_error(client_of, finance, rated, estate):
    client = client_of(finance["sup"].user)
    url = reverse("billing:fee_item", args=[rated.pk])
    response = client.post(url, {"action": "add_rate", "amount": "35", "valid_from": "2026-03-01"})
    assert response.status_code == 400
    assert "overlaps the rate of ¥30.00" in response.context["rate_form"].errors["valid_from"][0]
    assert "overlaps the rate of ¥30.00" in response.content.decode()
    # The same dates for the shops of building 1 are another scope, so they are taken.
    shops = {
        "action": "add_rate",
        "amount": "60",
        "valid_from": "2026-03-01",
        "unit_use": "shop",
        "building": estate["b1"].pk,
    }
    assert client.post(url, shops).status_code == 302
    rate = Rate.objects.get(fee_item=rated, unit_use="shop")
    assert (rate.amount, rate.building, rate.valid_to) == (D("60"), estate["b1"], None)
    page = client.get(url).content.decode()
    assert "1栋" in page and "60" in page


def test_ending_a_rate_makes_room_for_the_next(client_of, finance, rated, fee_item):
    other = fee_item("other", FeeItem.Method.PER_UNIT)
    elsewhere = services.set_rate(
        fee_item=other, actor=finance["sup"].user, amount="1", valid_from=datetime.date(2026, 1, 1)
    )
    client = client_of(finance["sup"].user)
    url = reverse("billing:fee_item", args=[rated.pk])
    old = rated.rates.get()
    refused = client.post(
        url, {"action": "end_rate", "end-rate": old.pk, "end-valid_to": "2025-12-31"}
    )
    assert refused.status_code == 400
    assert refused.context["end_form"].errors["valid_to"] == ["The rate ends before it starts."]
    assert "The rate ends before it starts." in refused.content.decode()
    # Only this item's rates are offered; another item's is not ended from here.
    wrong = client.post(
        url, {"action": "end_rate", "end-rate": elsewhere.pk, "end-valid_to": "2026-06-30"}
    )
    assert wrong.status_code == 400 and "rate" in wrong.context["end_form"].errors
    ended = client.post(
        url, {"action": "end_rate", "end-rate": old.pk, "end-valid_to": "2026-06-30"}
    )
    assert ended.status_code == 302
    old.refresh_from_db()
    assert old.valid_to == datetime.date(2026, 6, 30)
    added = client.post(url, {"action": "add_rate", "amount": "32.5", "valid_from": "2026-07-01"})
    assert added.status_code == 302
    elsewhere.refresh_from_db()
    assert elsewhere.valid_to is None
    assert list(rated.rates.order_by("valid_from").values_list("amount", flat=True)) == [
        D("30"),
        D("32.5"),
    ]


def test_rates_read_as_they_were_entered():
    assert [rate_text(D(v)) for v in ("2.8000", "3", "2.8525", "0.1250", "12000")] == [
        "2.80",
        "3.00",
        "2.8525",
        "0.125",
        "12,000.00",
    ]


def test_the_fee_items_page_shows_rates_and_tiers_with_separators(client_of, finance, fee_item):
    water = fee_item("water", FeeItem.Method.METER, name="水费")
    services.set_rate(
        fee_item=water, actor=finance["sup"].user, amount="1234567.8", valid_from=datetime.date(2026, 1, 1),
        tiers=[{"upto": "20", "rate": "3.5"}, {"upto": None, "rate": "12345.6789"}],
    )  # fmt: skip
    client = client_of(finance["sup"].user)
    response = client.post(
        reverse("billing:fee_item", args=[water.pk]),
        {"action": "add_rate", "amount": "35", "valid_from": "2026-03-01"},
    )
    page = response.content.decode()
    assert '<td class="num">1,234,567.80</td>' in page  # the column is headed in yuan
    assert ": 3.50" in page and ": 12,345.6789" in page
    assert "overlaps the rate of ¥1,234,567.80" in page


def test_tier_lines_parse_into_tiers():
    assert parse_tiers("20 3.50\n\n 40, 4 \n- 4.20") == [
        {"upto": "20", "rate": "3.50"},
        {"upto": "40", "rate": "4"},
        {"upto": None, "rate": "4.20"},
    ]


def test_bad_tier_lines_are_form_errors(client_of, finance, site_a):
    # Written straight to the table: what setting up a metered item needs is not this test's.
    item = FeeItem.objects.create(
        site=site_a, code="water", name="水费", kind="water", method="meter"
    )
    client = client_of(finance["sup"].user)
    url = reverse("billing:fee_item", args=[item.pk])
    rate = {
        "action": "add_rate",
        "amount": "3.5",
        "valid_from": "2026-01-01",
        "multiplier": "1",
        "loss_percent": "2",
    }
    response = client.post(url, {**rate, "tiers": "20\nabc 4.20"})
    assert response.status_code == 400
    assert response.context["rate_form"].errors["tiers"] == [
        "Line 1: write the upper bound and the rate, like “20 3.50” (“- 4.20” for the last tier).",
        "Line 2: “abc” is not a number.",
    ]
    response = client.post(url, {**rate, "tiers": "20 3.50\n10 4.20"})
    assert response.status_code == 400
    assert response.context["rate_form"].errors["tiers"] == [
        "Tiers go upwards and rates can't be negative."
    ]
    assert not Rate.objects.exists()
    assert client.post(url, {**rate, "tiers": "20 3.50\n- 4.20"}).status_code == 302
    saved = Rate.objects.get()
    assert saved.tiers == [{"upto": "20", "rate": "3.50"}, {"upto": None, "rate": "4.20"}]
    assert saved.loss_percent == D("2")


# ---------------------------------------------------------------------------------------------
# Bill runs


def test_running_bills_from_the_page_posts_lines_and_shows_the_result(
    client_of, finance, rated, estate
):
    client = client_of(finance["sup"].user)
    response = client.post(reverse("billing:runs"), {"month": "2026-05"})
    job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302 and response.url == f"{reverse('billing:runs')}?job={job.pk}"
    assert job.state == Job.State.DONE and (job.done, job.total) == (1, 1)
    run = BillRun.objects.get()
    assert job.result == {
        "run": run.pk,
        "period": "2026-05",
        "items": 1,
        "lines": 8,
        "total": "240.00",
    }
    assert BillLine.objects.filter(run=run, period_start=MAY).count() == 8
    page = client.get(response.url).content.decode()
    assert 'id="run-lines">8<' in page and reverse("billing:run", args=[run.pk]) in page
    assert "hx-trigger" not in page  # finished: no more polling

    again = client.post(reverse("billing:runs"), {"month": "2026-05"})
    page = client.get(again.url).content.decode()
    assert "0 lines: this period was already billed." in page
    assert BillLine.objects.count() == 8 and BillRun.objects.filter(lines=0).count() == 1


def test_a_bad_month_is_a_form_error(client_of, finance, rated):
    client = client_of(finance["sup"].user)
    response = client.post(reverse("billing:runs"), {"month": "2026-13"})
    assert response.status_code == 400 and errors_of(response, "month") == [
        "Enter a month like 2026-05."
    ]
    assert not Job.objects.exists()


def test_the_page_polls_a_running_job_and_reloads_when_it_is_done(
    client_of, finance, rated, estate, settings
):
    settings.WUYE_JOBS_INLINE = False  # the job waits for the commit, which a test never makes
    client = client_of(finance["sup"].user)
    response = client.post(reverse("billing:runs"), {"month": "2026-05"})
    job = Job.objects.get()
    poll = reverse("billing:run_job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert job.state == Job.State.PENDING and f'hx-get="{poll}"' in page and "every 1s" in page
    waiting = client.get(poll, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in waiting and "Bill run 2026-05" in waiting.content.decode()
    run_job(job.pk)
    done = client.get(poll, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true" and 'id="run-lines">8<' in done.content.decode()
    assert client.get(poll).status_code == 302  # not htmx: the runs page shows it


def test_a_run_shows_its_totals_by_fee_item_and_reverses_with_a_reason(
    client_of, finance, rated, fee_item, estate
):
    mgmt = fee_item("mgmt", FeeItem.Method.FLOOR_AREA, name="物业管理费")
    services.set_rate(
        fee_item=mgmt, actor=finance["sup"].user, amount="2", valid_from=datetime.date(2026, 1, 1)
    )
    run = bill_runs.run_bills(site=rated.site, actor=finance["sup"].user, month=MAY)
    client = client_of(finance["pm"].user)
    url = reverse("billing:run", args=[run.pk])
    totals = {
        row["fee_item__code"]: (row["lines"], row["total"])
        for row in client.get(url).context["totals"]
    }
    area = sum(u.floor_area for u in estate["units"]) * 2
    assert totals == {"fixed": (8, D("240.00")), "mgmt": (8, area.quantize(D("0.01")))}

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400 and errors_of(refused, "reason") == [
        "This field is required."
    ]
    assert client.post(url, {"reason": "错误的费率"}).status_code == 302
    run.refresh_from_db()
    assert run.state == BillRun.State.REVERSED and run.reverse_reason == "错误的费率"
    assert not BillLine.objects.filter(run=run, cancelled_at__isnull=True).exists()
    again = client.post(url, {"reason": "again"})
    assert again.status_code == 400
    assert "Only a finished run can be reversed." in again.content.decode()


def test_a_run_with_payments_is_not_reversed_and_says_why(client_of, finance, rated, estate):
    run = bill_runs.run_bills(site=rated.site, actor=finance["sup"].user, month=MAY)
    payments.take_payment(
        site=rated.site,
        actor=finance["cashier"].user,
        unit=estate["units"][0],
        method="cash",
        amount="30",
    )
    response = client_of(finance["sup"].user).post(
        reverse("billing:run", args=[run.pk]), {"reason": "wrong"}
    )
    assert response.status_code == 400
    assert "Payments were taken against this run" in response.content.decode()
    run.refresh_from_db()
    assert run.state == BillRun.State.DONE


# ---------------------------------------------------------------------------------------------
# Who may do what


def test_a_cashier_sees_fee_items_and_runs_but_changes_nothing(client_of, finance, rated, estate):
    run = bill_runs.run_bills(site=rated.site, actor=finance["sup"].user, month=MAY)
    rate = rated.rates.get()
    client = client_of(finance["cashier"].user)
    item_url = reverse("billing:fee_item", args=[rated.pk])
    assert client.get(reverse("billing:fee_items")).status_code == 200
    assert (
        client.get(item_url).status_code == 200
        and "add-rate" not in client.get(item_url).content.decode()
    )
    assert client.get(reverse("billing:runs")).status_code == 200
    edit = reverse("billing:fee_item_edit", args=[rated.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {**ITEM, "code": "fixed", "name": "changed"}).status_code == 403
    assert client.post(reverse("billing:fee_item_create"), ITEM).status_code == 403
    assert (
        client.post(
            item_url, {"action": "add_rate", "amount": "1", "valid_from": "2027-01-01"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            item_url,
            {"action": "end_rate", "end-rate": rate.pk, "end-valid_to": "2026-12-31"},
        ).status_code
        == 403
    )
    assert client.post(reverse("billing:runs"), {"month": "2026-06"}).status_code == 403
    assert client.post(reverse("billing:run", args=[run.pk]), {"reason": "x"}).status_code == 403
    rated.refresh_from_db()
    rate.refresh_from_db()
    assert rated.name == "垃圾清运费" and rate.valid_to is None and Rate.objects.count() == 1
    assert not Job.objects.exists() and BillRun.objects.get().state == BillRun.State.DONE


def test_another_sites_fee_item_run_and_job_are_not_found(client_of, finance, manager, site_b):
    item = services.save_fee_item(
        site=site_b, actor=manager, code="mgmt", name="B", kind="management", method="per_unit"
    )
    run = bill_runs.run_bills(site=site_b, actor=manager, month=MAY)
    job = start_bill_run(site=site_b, actor=manager, month=MAY)
    client = client_of(finance["sup"].user)
    for url in (
        reverse("billing:fee_item", args=[item.pk]),
        reverse("billing:fee_item_edit", args=[item.pk]),
        reverse("billing:run", args=[run.pk]),
        reverse("billing:run_job", args=[job.pk]),
        f"{reverse('billing:runs')}?job={job.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("billing:run", args=[run.pk]), {"reason": "x"}).status_code == 404
    # The manager is a member of both sites, but works on site A now: B's rows are not found there.
    assert client_of(manager).get(reverse("billing:fee_item", args=[item.pk])).status_code == 404


def test_the_navigation_links_the_finance_pages(client_of, finance):
    html = client_of(finance["sup"].user).get(reverse("billing:fee_items")).content.decode()
    nav = html[html.index('id="sidenav"') :]
    assert reverse("billing:fee_items") in nav and reverse("billing:runs") in nav
    assert f'href="{reverse("billing:fee_items")}" class="active"' in nav
    assert f'href="{reverse("billing:cashier")}">' in nav  # not active


# ---------------------------------------------------------------------------------------------
# The monthly run


def test_the_monthly_run_is_on_the_schedule():
    assert "billing-monthly-run" in {entry.name for entry in schedule.SCHEDULE}
    assert (
        schedule.beat_schedule()["billing-monthly-run"]["task"] == "wuye.billing.monthly_bill_run"
    )


def test_the_monthly_run_bills_the_new_month_on_the_1st_once(rated, estate, site_b):
    # 00:30 on 1 June in Shanghai is still 31 May in UTC.
    with time_machine.travel(
        datetime.datetime(2026, 5, 31, 16, 30, tzinfo=datetime.UTC), tick=False
    ):
        first = monthly_bill_run_task()
        second = monthly_bill_run_task()
    assert first == {"sites": ["a"], "lines": 8} and second == {"sites": [], "lines": 0}
    run = BillRun.objects.get()  # site B has no fee items: no run
    assert run.period == datetime.date(2026, 6, 1) and run.lines == 8
    assert run.started_by.username == SYSTEM_USERNAME
    assert BillLine.objects.filter(period_start=datetime.date(2026, 6, 1)).count() == 8
    system = run.started_by
    assert not system.has_usable_password() and system.get_all_permissions() == {
        "billing.run_bills"
    }


def test_the_monthly_run_waits_for_the_1st_and_skips_a_month_billed_by_hand(rated, estate, finance):
    for moment in (
        datetime.datetime(2026, 5, 31, 15, 59, tzinfo=datetime.UTC),  # 23:59 on 31 May there
        datetime.datetime(2026, 6, 2, 1, 0, tzinfo=datetime.UTC),
    ):
        with time_machine.travel(moment, tick=False):
            assert monthly_bill_run_task() == {"sites": [], "lines": 0}
    assert not BillRun.objects.exists()
    bill_runs.run_bills(site=rated.site, actor=finance["sup"].user, month=datetime.date(2026, 7, 1))
    with time_machine.travel(datetime.datetime(2026, 7, 1, 2, 0, tzinfo=datetime.UTC), tick=False):
        assert monthly_bill_run_task() == {"sites": [], "lines": 0}
    assert BillRun.objects.count() == 1 and BillLine.objects.count() == 8
