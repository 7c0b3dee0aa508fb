"""The meter pages (R-FEE-02): finance adds meters; the phone reading sheet records one row at a
time (htmx or a plain post) and answers with the row — accepted with its usage, held for a
second look with the reason, or the field error; finance confirms or rejects held readings;
a month's readings imported from .xlsx as a job, bad rows reported while the rest go on; usage
by building and month against the year before. Who may do what; another site's rows are not
found."""

import datetime
import io
from decimal import Decimal as D
from functools import partial

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from conftest import make_staff_user
from wuye.billing import meter_queries, meters
from wuye.billing.meter_import import JOB_KIND
from wuye.billing.models import FeeItem, Meter, MeterReading
from wuye.core.models import Job

pytestmark = pytest.mark.django_db
State = MeterReading.State
MAY = datetime.date(2026, 5, 1)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _in_english(client):
    """Pages and messages in English, so tests can read what the user reads."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def water(fee_item, finance, estate, site_a):
    """A water meter of every unit (W1-0101 …), building 1's shared pump meter split by area
    and the whole site's garden meter split by household, installed in 2024."""
    item = fee_item("water", FeeItem.Method.METER, kind=FeeItem.Kind.WATER, name="水费")
    add = partial(
        meters.add_meter, site=site_a, actor=finance["sup"].user, kind="water", fee_item=item,
        installed_on=datetime.date(2024, 1, 1),
    )  # fmt: skip
    own = {u.code: add(code=f"W{u.code}", unit=u) for u in estate["units"]}
    pump = add(code="W-B1", building=estate["b1"], split="area", location="1栋水泵房")
    garden = add(code="W-SITE", split="household", location="绿化")
    return {"item": item, "own": own, "pump": pump, "garden": garden}


def read(finance, meter, month: datetime.date, value, state=None) -> MeterReading:
    reading = meters.record_reading(
        site=meter.site, actor=finance["sup"].user, meter=meter, period=month, value=value
    )
    assert state is None or reading.state == state
    return reading


def months_before(month: datetime.date, n: int) -> list[datetime.date]:
    """The n months before `month`, oldest first."""
    out, day = [], month
    for _ in range(n):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
        out.append(day)
    return out[::-1]


def with_history(finance, meter, usages=(10, 12, 11, 9, 10, 12), until=MAY) -> D:
    """Monthly readings before `until` with these usages; returns the last value."""
    value = D(0)
    for month, used in zip(months_before(until, len(usages)), usages, strict=True):
        value += used
        read(finance, meter, month, value, State.ACCEPTED)
    return value


def errors_of(response, field) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(field, [])]


def sheet_url(**params) -> str:
    from urllib.parse import urlencode

    return f"{reverse('billing:readings')}?{urlencode(params)}"


# ---------------------------------------------------------------------------------------------
# Meters


def test_finance_adds_an_own_and_a_shared_meter_and_lists_them_filtered(
    client_of, finance, estate, water
):
    client = client_of(finance["sup"].user)
    url = reverse("billing:meters")
    own = {"code": "E1-0101", "kind": "electricity", "fee_item": water["item"].pk,
           "unit": "1-0101", "multiplier": "1", "start_value": "120.5",
           "installed_on": "2026-01-10"}  # fmt: skip
    assert client.post(url, own).status_code == 302
    shared = {"code": "E-B2", "kind": "electricity", "fee_item": water["item"].pk,
              "building": estate["b2"].pk, "split": "household", "multiplier": "40",
              "start_value": "0", "installed_on": "2026-01-10", "location": "2栋电梯"}  # fmt: skip
    assert client.post(url, shared).status_code == 302
    added = Meter.objects.get(code="E1-0101")
    assert added.unit.code == "1-0101" and added.start_value == D("120.50")
    assert Meter.objects.get(code="E-B2").building == estate["b2"]
    listed = client.get(url, {"kind": "electricity"})
    assert [m.code for m in listed.context["page_obj"].object_list] == ["E-B2", "E1-0101"]
    shared_only = client.get(url, {"shared": "shared"}).context["page_obj"].object_list
    assert {m.code for m in shared_only} == {"E-B2", "W-B1", "W-SITE"}
    in_b2 = client.get(url, {"building": estate["b2"].pk}).context["page_obj"].object_list
    assert {m.code for m in in_b2} == {"E-B2", "W2-0101", "W2-0102"}
    site_wide = client.get(url, {"building": "site"}).context["page_obj"].object_list
    assert [m.code for m in site_wide] == ["W-SITE"]


def test_the_meter_list_shows_the_last_reading_and_pages(client_of, finance, water, settings):
    settings.WUYE_PAGE_SIZE = 4
    read(finance, water["own"]["1-0101"], MAY, "35.5")
    client = client_of(finance["sup"].user)
    first = client.get(reverse("billing:meters"), {"kind": "water"})
    page = first.context["page_obj"]
    assert page.paginator.count == 10 and len(page.object_list) == 4
    assert "page 1 of 3" in first.content.decode()
    meter = next(m for m in page.object_list if m.code == "W1-0101")
    assert meter.last_value == D("35.50") and meter.last_period == MAY
    last = client.get(reverse("billing:meters"), {"kind": "water", "page": 3})
    assert [m.code for m in last.context["page_obj"].object_list] == ["W2-0101", "W2-0102"]


def test_a_bad_meter_is_a_400_with_the_message_beside_its_field(client_of, finance, water):
    client = client_of(finance["sup"].user)
    url = reverse("billing:meters")
    base = {"kind": "water", "fee_item": water["item"].pk, "multiplier": "1",
            "start_value": "0", "installed_on": "2026-01-10"}  # fmt: skip
    unknown = client.post(url, base | {"code": "X1", "unit": "9-9999"})
    assert unknown.status_code == 400
    assert errors_of(unknown, "unit") == ["There is no unit 9-9999 at this site."]
    duplicate = client.post(url, base | {"code": "W1-0101", "unit": "1-0102"})
    assert duplicate.status_code == 400
    assert errors_of(duplicate, "code") == ["Another meter has this number."]
    no_split = client.post(url, base | {"code": "X2"})
    assert no_split.status_code == 400
    assert errors_of(no_split, "split") == ["A shared meter needs a way to split its usage."]
    negative = client.post(url, base | {"code": "X3", "unit": "1-0102", "start_value": "-1"})
    assert errors_of(negative, "start_value") == ["A reading can't be negative."]
    assert not Meter.objects.filter(code__startswith="X").exists()


def test_a_cashier_reads_meters_but_may_not_add_one_and_a_clerk_sees_none(
    client_of, finance, water, clerk_a
):
    cashier = client_of(finance["cashier"].user)
    assert cashier.get(reverse("billing:meters")).status_code == 200
    body = {"code": "X1", "kind": "water", "fee_item": water["item"].pk, "unit": "1-0101",
            "multiplier": "1", "start_value": "0", "installed_on": "2026-01-10"}  # fmt: skip
    assert cashier.post(reverse("billing:meters"), body).status_code == 403
    assert cashier.get(reverse("billing:readings")).status_code == 200
    assert cashier.get(reverse("billing:held_readings")).status_code == 403
    clerk = client_of(clerk_a)
    for name in ("billing:meters", "billing:readings", "billing:meter_usage"):
        assert clerk.get(reverse(name)).status_code == 403
    assert not Meter.objects.filter(code="X1").exists()


def test_an_engineer_finds_the_reading_sheet_and_the_meters_in_the_navigation(
    client_of, django_user_model, site_a, water
):
    engineer = make_staff_user(django_user_model, "eng_a", sites=[site_a], role="engineer")
    html = client_of(engineer).get(reverse("billing:readings")).content.decode()
    assert f'<a href="{reverse("billing:readings")}" class="active"' in html
    assert f'<a href="{reverse("billing:meters")}">' in html  # not active
    assert f'href="{reverse("billing:cashier")}"' not in html  # not a cashier


# ---------------------------------------------------------------------------------------------
# The reading sheet


def test_the_sheet_lists_a_buildings_meters_with_the_last_reading_and_an_input(
    client_of, finance, estate, water
):
    read(finance, water["own"]["1-0101"], datetime.date(2026, 4, 1), "20")
    read(finance, water["own"]["1-0102"], MAY, "33")
    client = client_of(finance["cashier"].user)
    page = client.get(sheet_url(month="2026-05", kind="water", building=estate["b1"].pk))
    assert page.status_code == 200
    rows = {row.meter.code: row for row in page.context["rows"]}
    assert set(rows) == {f"W1-{n}" for n in ("0101", "0102", "0201", "0202", "0301", "01S1")} | {
        "W-B1"
    }
    assert rows["W1-0101"].last_value == D("20.00")
    assert rows["W1-0101"].last_period == datetime.date(2026, 4, 1)
    assert rows["W1-0101"].reading is None
    assert rows["W1-0201"].last_value == D("0.00") and rows["W1-0201"].last_period is None
    assert rows["W1-0102"].reading.value == D("33.00")  # already read this month
    html = page.content.decode()
    meter = water["own"]["1-0101"]
    assert f'id="value-{meter.pk}"' in html and 'inputmode="decimal"' in html
    assert f'id="value-{water["own"]["1-0102"].pk}"' not in html  # no input: it shows 33.00
    assert "1 of 7 read" in html
    site = client.get(sheet_url(month="2026-05", kind="water", building="site"))
    assert [row.meter.code for row in site.context["rows"]] == ["W-SITE"]


def test_the_sheet_is_of_this_month_and_the_first_building_by_default(
    client_of, finance, estate, water
):
    with time_machine.travel(datetime.datetime(2026, 7, 15, 10, tzinfo=datetime.UTC)):
        page = client_of(finance["cashier"].user).get(reverse("billing:readings"))
    assert page.context["month"] == datetime.date(2026, 7, 1)
    assert page.context["kind"] == "water" and page.context["building"] == str(estate["b1"].pk)


def test_a_row_posted_with_htmx_is_recorded_and_answers_with_its_row(client_of, finance, water):
    meter = water["own"]["1-0101"]
    client = client_of(finance["cashier"].user)
    url = reverse("billing:record_reading", args=[meter.pk])
    response = client.post(url, {"month": "2026-05", "value": "12.5"}, **HX)
    assert response.status_code == 200
    reading = MeterReading.objects.get(meter=meter)
    assert (reading.period, reading.value, reading.usage) == (MAY, D("12.50"), D("12.5000"))
    assert reading.state == State.ACCEPTED and reading.source == "phone"
    assert reading.read_by == finance["cashier"].user
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="reading-row accepted" id="meter-{meter.pk}"')
    assert "usage <strong" in html and ">12.50<" in html and "<html" not in html


def test_a_jump_or_a_backwards_reading_is_held_and_the_row_says_why(client_of, finance, water):
    jumpy, backwards = water["own"]["1-0101"], water["own"]["1-0102"]
    last = with_history(finance, jumpy)  # 64 after six months averaging 10.67
    read(finance, backwards, datetime.date(2026, 4, 1), "50")
    client = client_of(finance["cashier"].user)
    jump = client.post(
        reverse("billing:record_reading", args=[jumpy.pk]),
        {"month": "2026-05", "value": str(last + 81)}, **HX,
    )  # fmt: skip
    assert jump.status_code == 200
    held = MeterReading.objects.get(meter=jumpy, period=MAY)
    assert held.state == State.HELD and held.usage == D(81)
    assert "Held for a second look: Usage 81 is more than 3 times the average of 10.67." in (
        jump.content.decode()
    )
    back = client.post(
        reverse("billing:record_reading", args=[backwards.pk]),
        {"month": "2026-05", "value": "45"}, **HX,
    )  # fmt: skip
    assert "Held for a second look: The reading 45.00 is below the last one, 50.00." in (
        back.content.decode()
    )
    assert MeterReading.objects.get(meter=backwards, period=MAY).state == State.HELD


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-3", "A reading can&#x27;t be negative."),
        ("twelve", "Enter the reading as a number, like 1234.5."),
        ("", "This field is required."),
    ],
)
def test_a_bad_reading_answers_400_with_the_row_and_its_error(
    client_of, finance, water, value, message
):
    meter = water["own"]["1-0101"]
    response = client_of(finance["cashier"].user).post(
        reverse("billing:record_reading", args=[meter.pk]), {"month": "2026-05", "value": value},
        **HX,
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="meter-{meter.pk}"' in html and message in html and 'role="alert"' in html
    assert not MeterReading.objects.exists()


def test_a_meter_read_twice_in_a_month_is_refused(client_of, finance, water):
    meter = water["own"]["1-0101"]
    read(finance, meter, MAY, "12")
    response = client_of(finance["cashier"].user).post(
        reverse("billing:record_reading", args=[meter.pk]), {"month": "2026-05", "value": "13"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 400
    assert (
        "This meter is already read for 2026-05; reject that reading first to read it again."
        in response.content.decode()
    )
    assert MeterReading.objects.filter(meter=meter).count() == 1


def test_without_javascript_a_row_posts_and_returns_to_the_sheet(client_of, finance, estate, water):
    meter = water["own"]["1-0101"]
    client = client_of(finance["cashier"].user)
    url = reverse("billing:record_reading", args=[meter.pk])
    form = {"month": "2026-05", "kind": "water", "building": estate["b1"].pk}
    done = client.post(url, form | {"value": "7"})
    assert done.status_code == 302
    assert done["Location"] == (
        sheet_url(month="2026-05", kind="water", building=estate["b1"].pk) + f"#meter-{meter.pk}"
    )
    page = client.get(done["Location"])
    assert "W1-0101: accepted, usage 7." in page.content.decode()
    other = water["own"]["1-0102"]
    refused = client.post(
        reverse("billing:record_reading", args=[other.pk]), form | {"value": "-1"}
    )
    assert refused.status_code == 400 and "<html" in refused.content.decode()
    row = next(r for r in refused.context["rows"] if r.meter.pk == other.pk)
    assert [str(e) for e in row.errors] == ["A reading can't be negative."]
    assert len(refused.context["rows"]) == 7  # the whole sheet, this row with its error


def test_another_sites_meter_is_not_found(client_of, django_user_model, site_b, water):
    fin_b = make_staff_user(django_user_model, "fin_b", sites=[site_b], role="finance")
    meter = water["own"]["1-0101"]
    client = client_of(fin_b)
    response = client.post(
        reverse("billing:record_reading", args=[meter.pk]), {"month": "2026-05", "value": "1"}
    )
    assert response.status_code == 404 and not MeterReading.objects.exists()


# ---------------------------------------------------------------------------------------------
# The second look


def test_finance_sees_held_readings_with_history_and_confirms_or_rejects(client_of, finance, water):
    jumpy, other = water["own"]["1-0101"], water["own"]["1-0102"]
    with_history(finance, jumpy, usages=(10, 12, 11, 9, 10, 12, 8))
    held = read(finance, jumpy, MAY, "150", State.HELD)
    read(finance, other, datetime.date(2026, 4, 1), "50")
    backwards = read(finance, other, MAY, "40", State.HELD)
    client = client_of(finance["sup"].user)
    page = client.get(reverse("billing:held_readings"))
    assert page.status_code == 200
    items = {item["reading"].pk: item for item in page.context["items"]}
    assert set(items) == {held.pk, backwards.pk}
    assert [p.usage for p in items[held.pk]["history"]] == [D(n) for n in (8, 12, 10, 9, 11, 12)]
    html = page.content.decode()
    assert "Usage 78 is more than 3 times the average of 10.33." in html
    # A backwards reading can only be rejected: no confirm form.
    assert reverse("billing:confirm_reading", args=[backwards.pk]) not in html
    assert reverse("billing:confirm_reading", args=[held.pk]) in html

    no_note = client.post(reverse("billing:reject_reading", args=[backwards.pk]), {})
    assert no_note.status_code == 400
    assert "Say what is wrong with the reading." in no_note.content.decode()
    confirm_backwards = client.post(reverse("billing:confirm_reading", args=[backwards.pk]), {})
    assert confirm_backwards.status_code == 400
    assert "reject it and read the meter again" in confirm_backwards.content.decode()

    ok = client.post(
        reverse("billing:confirm_reading", args=[held.pk]), {"confirm-note": "漏水已修，读数属实"}
    )
    assert ok.status_code == 302
    held.refresh_from_db()
    assert held.state == State.CONFIRMED and held.check_note == "漏水已修，读数属实"
    assert held.checked_by == finance["sup"].user
    gone = client.post(
        reverse("billing:reject_reading", args=[backwards.pk]), {"reject-note": "看错了表"}
    )
    assert gone.status_code == 302
    backwards.refresh_from_db()
    assert backwards.state == State.REJECTED and backwards.check_note == "看错了表"
    assert client.get(reverse("billing:held_readings")).context["items"] == []
    # Rejected, the meter may be read again this month.
    read(finance, other, MAY, "52", State.ACCEPTED)


def test_only_finance_takes_the_second_look(client_of, finance, water, django_user_model, site_b):
    read(finance, water["own"]["1-0101"], datetime.date(2026, 4, 1), "50")
    held = read(finance, water["own"]["1-0101"], MAY, "40", State.HELD)
    cashier = client_of(finance["cashier"].user)
    url = reverse("billing:reject_reading", args=[held.pk])
    assert cashier.post(url, {"reject-note": "x"}).status_code == 403
    fin_b = make_staff_user(django_user_model, "fin_b", sites=[site_b], role="finance")
    assert client_of(fin_b).post(url, {"reject-note": "x"}).status_code == 404
    held.refresh_from_db()
    assert held.state == State.HELD


# ---------------------------------------------------------------------------------------------
# Import


def workbook(rows, headers=("表号", "读数", "抄表日期")) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("readings.xlsx", out.getvalue())


def test_an_import_records_good_rows_reports_bad_ones_and_holds_jumps(client_of, finance, water):
    jumpy = water["own"]["1-0201"]
    last = with_history(finance, jumpy)
    read(finance, water["own"]["2-0102"], MAY, "9")
    upload = workbook(
        [
            ("W1-0101", 23.5, datetime.date(2026, 5, 28)),  # row 2: accepted
            ("W9-9999", 10, None),  # row 3: unknown meter
            ("W1-0102", "twelve", None),  # row 4: not a number
            ("W1-0202", -4, None),  # row 5: negative
            ("W2-0102", 11, None),  # row 6: already read
            ("W1-0201", float(last + 100), "2026-05-27"),  # row 7: held
            (None, None, None),  # a blank row is skipped
            ("W-B1", "1,234", None),  # row 9: not a number either
            ("W-SITE", 300, "2026/5/30"),  # row 10: accepted
            ("W2-0101", 5, "late May"),  # row 11: a date that isn't one
        ]
    )
    client = client_of(finance["cashier"].user)
    response = client.post(reverse("billing:reading_import"), {"month": "2026-05", "file": upload})
    job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:reading_import_job", args=[job.pk])
    assert job.state == Job.State.DONE
    assert {k: job.result[k] for k in ("month", "rows", "accepted", "held", "failed")} == {
        "month": "2026-05", "rows": 9, "accepted": 2, "held": 1, "failed": 6,
    }  # fmt: skip
    assert [(h["row"], h["code"], h["usage"]) for h in job.result["held_rows"]] == [
        (7, "W1-0201", "100")
    ]
    recorded = {r.meter.code: r for r in MeterReading.objects.filter(period=MAY, source="import")}
    assert set(recorded) == {"W1-0101", "W1-0201", "W-SITE"}
    assert recorded["W1-0101"].value == D("23.50")
    assert recorded["W1-0101"].read_on == datetime.date(2026, 5, 28)
    assert recorded["W-SITE"].read_on == datetime.date(2026, 5, 30)
    assert recorded["W1-0201"].state == State.HELD
    page = client.get(response["Location"])
    report = [(e["row"], e["field"], e["message"]) for e in page.context["report"]]
    assert report == [
        (3, "code", "There is no meter W9-9999 at this site."),
        (4, "value", "Enter the reading as a number, like 1234.5."),
        (5, "value", "A reading can't be negative."),
        (6, "code", "This meter is already read for 2026-05; reject that reading first to "
                    "read it again."),
        (9, "value", "Enter the reading as a number, like 1234.5."),
        (11, "read_on", "Write the date like 2026-05-28."),
    ]  # fmt: skip
    html = page.content.decode()
    assert 'id="import-held-rows"' in html and "W1-0201" in html


def test_an_import_without_the_reading_column_fails_and_records_nothing(client_of, finance, water):
    upload = workbook([("W1-0101", "x")], headers=("表号", "备注"))
    client = client_of(finance["cashier"].user)
    client.post(reverse("billing:reading_import"), {"month": "2026-05", "file": upload})
    job = Job.objects.get(kind=JOB_KIND)
    assert job.state == Job.State.FAILED
    page = client.get(reverse("billing:reading_import_job", args=[job.pk]))
    assert [e["message"] for e in page.context["report"]] == [
        "The file lacks the columns: 读数 / reading"
    ]
    assert not MeterReading.objects.exists()


def test_an_import_needs_a_month_and_an_xlsx(client_of, finance, water, clerk_a):
    client = client_of(finance["cashier"].user)
    upload = SimpleUploadedFile("readings.csv", b"a,b")
    response = client.post(reverse("billing:reading_import"), {"month": "", "file": upload})
    assert response.status_code == 400
    assert errors_of(response, "month") == ["This field is required."]
    assert errors_of(response, "file") == ["Choose an .xlsx file."]
    assert client_of(clerk_a).get(reverse("billing:reading_import")).status_code == 403
    assert not Job.objects.exists()


def test_the_import_template_lists_the_meters_with_their_last_reading(client_of, finance, water):
    read(finance, water["own"]["1-0101"], datetime.date(2026, 4, 1), "88.8")
    response = client_of(finance["cashier"].user).get(reverse("billing:reading_import_template"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[0][:3] == ("表号", "读数", "抄表日期")
    by_code = {row[0]: row for row in rows[1:]}
    assert len(by_code) == 10
    assert by_code["W1-0101"][4:] == ("1-0101", 88.8, "2026-04")
    assert by_code["W-SITE"][4:] == ("绿化", 0, None)


# ---------------------------------------------------------------------------------------------
# Usage analysis


@pytest.fixture
def usage_history(finance, water):
    """Building 1: 1-0101 uses 10 a month Jan–May 2025 and 12 in 2026, 1-0102 5 in May 2026 (a
    held reading of 1-0201 does not count); building 2: 2-0101 uses 20 in May 2025 and 30 in May
    2026; the garden uses 100 in May 2026."""
    own = water["own"]
    value = D(0)
    for year, used in ((2025, 10), (2026, 12)):
        for month in range(1, 6):
            value += used
            read(finance, own["1-0101"], datetime.date(year, month, 1), value)
    read(finance, own["1-0102"], MAY, "5")
    read(finance, own["1-0201"], datetime.date(2024, 12, 1), "50")  # before the two years
    read(finance, own["1-0201"], MAY, "40", State.HELD)
    read(finance, own["2-0101"], datetime.date(2025, 5, 1), "20")
    read(finance, own["2-0101"], MAY, "50")
    read(finance, water["garden"], MAY, "100")


def test_usage_is_summed_by_building_and_month_against_the_year_before(
    client_of, finance, estate, usage_history
):
    with CaptureQueriesContext(connection) as queries:
        table = meter_queries.usage_by_building(estate["b1"].site, year=2026, kind="water")
    assert len(queries) == 2  # one aggregate and the buildings' names: no query per row
    by_name = {row.name: row for row in table.rows}
    assert list(by_name) == ["1栋", "2栋", "Whole site"]
    b1 = by_name["1栋"]
    assert b1.months[:6] == [D(12), D(12), D(12), D(12), D(17), None]
    assert b1.before[:6] == [D(10)] * 5 + [None]
    assert b1.total == D(65) and b1.total_before == D(50) and b1.total_change == D("30.0")
    assert b1.cells[4] == (D(17), D("70.0"))
    assert by_name["2栋"].cells[4] == (D(30), D("50.0"))
    assert by_name["Whole site"].months[4] == D(100) and by_name["Whole site"].total_change is None
    assert table.totals.months[4] == D(147) and table.totals.before[4] == D(30)
    assert table.totals.total == D(195)

    client = client_of(finance["sup"].user)
    page = client.get(reverse("billing:meter_usage"), {"year": 2026, "kind": "water"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="usage"' in html and "+70.0%" in html
    export = client.get(
        reverse("billing:meter_usage"), {"year": 2026, "kind": "water", "export": "xlsx"}
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
    )
    assert rows[0][0] == "Building" and rows[0][5] == "2026-05"
    assert rows[1][0] == "1栋" and rows[1][5] == 17 and rows[1][13:] == (65, 50, 30)
    assert rows[4][0] == "Total" and rows[4][13] == 195


def test_usage_of_another_kind_or_year_is_empty(client_of, finance, usage_history):
    client = client_of(finance["sup"].user)
    page = client.get(reverse("billing:meter_usage"), {"year": 2026, "kind": "electricity"})
    assert page.context["table"].rows == []
    assert "No billable electricity readings in 2026 or the year before." in page.content.decode()
