"""Arrears (R-FEE-03): what is overdue per unit, building and site, aged by
days past due, this year's apart from earlier years', and the units that never paid."""

import datetime
from decimal import Decimal as D

import pytest

from wuye.billing import arrears, bill_runs, payments, refunds, services
from wuye.billing.arrears import Filters
from wuye.billing.models import FeeItem
from wuye.core.money import YUAN_FORMAT
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2027, 3, 10)


@pytest.fixture
def history(fee_item, finance, estate, site_a):
    """¥100 a month for every unit, billed August 2026 to February 2027 and due on the 15th
    of the month after (postpaid): at 10 March 2027 August's to January's are overdue by 176,
    146, 115, 85, 54 and 23 days; February's is not due yet."""
    item = fee_item("mgmt", FeeItem.Method.PER_UNIT, due_day=15)
    services.set_rate(fee_item=item, actor=finance["sup"].user, amount="100", valid_from=datetime.date(2026, 1, 1))  # fmt: skip
    for year, month in [(2026, m) for m in range(8, 13)] + [(2027, 1), (2027, 2)]:
        bill_runs.run_bills(site=site_a, actor=finance["sup"].user, month=datetime.date(year, month, 1))  # fmt: skip
    return item


def pay(finance, unit, amount):
    return payments.take_payment(site=unit.site, actor=finance["cashier"].user, unit=unit,
                                 method="cash", amount=amount)  # fmt: skip


def test_overdue_is_aged_by_days_past_due_and_earlier_years_kept_apart(history, finance, estate, site_a):  # fmt: skip
    unit = estate["units"][0]
    pay(finance, unit, "150")  # August in full, half of September
    row = next(r for r in arrears.by_unit(site_a, TODAY) if r["unit"] == unit.pk)
    # open: Sep 50 (146 days), Oct 100 (115), Nov 100 (85), Dec 100 (54), Jan 100 (23)
    assert row["total"] == D("450.00")
    assert (row["d0_30"], row["d31_90"], row["d91_180"], row["d181"]) == (D("100.00"), D("200.00"), D("150.00"), D("0"))  # fmt: skip
    assert row["earlier_years"] == D("350.00")  # the fees of September to December 2026
    assert row["oldest"] == datetime.date(2026, 10, 15) and row["never_paid"] is False
    other = next(r for r in arrears.by_unit(site_a, TODAY) if r["unit"] == estate["units"][1].pk)
    assert other["total"] == D("600.00") and other["d91_180"] == D("300.00") and other["never_paid"] is True  # fmt: skip
    later = next(r for r in arrears.by_unit(site_a, TODAY + datetime.timedelta(days=10)) if r["unit"] == other["unit"])  # fmt: skip
    assert later["d181"] == D("100.00") and later["total"] == D(
        "700.00"
    )  # August past 180 days; February due


def test_cancelled_refunded_and_not_yet_due_lines_count_as_they_stand(history, finance, estate, site_a):  # fmt: skip
    unit = estate["units"][0]
    pay(finance, unit, "600")  # every overdue line paid
    assert not [r for r in arrears.by_unit(site_a, TODAY) if r["unit"] == unit.pk]
    august = BillLine.objects.get(unit=unit, period_start=datetime.date(2026, 8, 1))
    refunds.refund(site=site_a, actor=finance["head"].user, unit=unit, source="line",
                   bill_line=august, amount="40", method="cash", reason="多收")  # fmt: skip
    [row] = [r for r in arrears.by_unit(site_a, TODAY) if r["unit"] == unit.pk]
    assert row["total"] == D("40.00") and row["d91_180"] == D("40.00")
    services.cancel_bill_line(line=BillLine.objects.get(unit=estate["units"][1], period_start=datetime.date(2026, 8, 1)),
                              actor=finance["sup"].user, reason="未交房")  # fmt: skip
    other = next(r for r in arrears.by_unit(site_a, TODAY) if r["unit"] == estate["units"][1].pk)
    assert other["total"] == D("500.00") and other["d91_180"] == D("200.00")


def test_filters_and_the_site_and_building_totals_agree(history, finance, estate, site_a):
    pay(finance, estate["units"][0], "600")
    rows = list(arrears.by_unit(site_a, TODAY))
    totals = arrears.site_totals(site_a, TODAY)
    assert totals["total"] == sum((r["total"] for r in rows), D("0"))
    buildings = list(arrears.by_building(site_a, TODAY))
    assert sum((b["total"] for b in buildings), D("0")) == totals["total"]
    assert {b["unit__building__name"]: b["units"] for b in buildings} == {"1栋": 5, "2栋": 2}
    only_b2 = arrears.by_unit(site_a, TODAY, Filters(building=estate["b2"].pk))
    assert {r["unit__code"] for r in only_b2} == {"2-0101", "2-0102"}
    assert all(r["never_paid"] for r in arrears.by_unit(site_a, TODAY, Filters(never_paid=True)))
    assert not list(arrears.by_unit(site_a, TODAY, Filters(older_than=300)))
    assert not list(arrears.by_unit(site_a, TODAY, Filters(minimum=D("601"))))


def test_the_arrears_page_filters_sorts_and_exports(history, finance, estate, site_a, client_of, time_machine):  # fmt: skip
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    time_machine.move_to(datetime.datetime(2027, 3, 10, 12, tzinfo=datetime.UTC))
    pay(finance, estate["units"][0], "600")
    client = client_of(finance["cashier"].user)
    url = reverse("billing:arrears")
    page = client.get(url, {"building": estate["b2"].pk, "sort": "unit"}).content.decode()
    assert "2-0101" in page and "2-0102" in page and "1-0102" not in page
    assert 'id="by-building"' in page and "¥4,200.00" in page  # 7 units × ¥600 overdue
    assert "1-0101" not in client.get(url, {"never_paid": "1"}).content.decode()
    sheet = client.get(url, {"export": "xlsx", "building": estate["b2"].pk})
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["2-0101", "2-0102"] and rows[1][2] == 600
    cells = load_workbook(io.BytesIO(sheet.content)).active[2]  # 2-0101: overdue, ages, earlier
    assert [c.number_format for c in cells[2:8]] == [YUAN_FORMAT] * 6 and cells[2].data_type == "n"
    assert cells[0].number_format == cells[1].number_format == "General"  # unit, building
    assert client.get(url, {"minimum": "abc", "older_than": "7"}).status_code == 200  # ignored


def test_the_arrears_api_and_other_sites(history, finance, estate, site_a, clerk_b, time_machine):
    from django.test import Client

    time_machine.move_to(datetime.datetime(2027, 3, 10, 12, tzinfo=datetime.UTC))
    client = Client()
    client.force_login(finance["cashier"].user)
    body = client.get("/api/v1/billing/arrears", {"older_than": "90", "sort": "unit"}).json()
    assert body["count"] == 8 and body["totals"]["total"] == "4800.00"
    assert body["items"][0]["unit_code"] == "1-0101" and body["items"][0]["d91_180"] == "300.00"
    other = Client()
    other.force_login(clerk_b)
    assert other.get("/api/v1/billing/arrears", {"site": site_a.pk}).status_code in (403, 404)
