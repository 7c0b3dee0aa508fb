"""A relief rule corrected with its history kept: the version in force ends the day before the
correction starts and a new version takes over from then, like a rate's versions; relief already
granted under the old version stays as it was; the rule's page shows every version."""

# ruff: noqa: F811 - fixtures imported from test_relief are parameters here
import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.clients import signed_in
from tests.errors import codes
from wuye.billing import figures, relief
from wuye.billing.models import ReliefEntry, ReliefRule
from wuye.billing.relief_versions import correct_rule, versions

from .test_relief import NOV, OCT, SEP, Kind, apply, clerk, item, line_of, live, now, rule, run  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def discount(site_a, finance, item):
    """5% off ¥100.05 from September: ¥5.00 (5.0025 half up) a line; September billed."""
    made = rule(site_a, finance, item, Kind.DISCOUNT, percent="5", name="九五折")
    run(site_a, finance, SEP)
    return made


def test_a_correction_ends_the_old_version_and_starts_a_new_one_from_a_month(site_a, finance, estate, discount):  # fmt: skip
    unit = estate["units"][0]
    assert live(line_of(unit, SEP)) == [("discount", D("5.00"))]
    corrected = correct_rule(rule=discount, actor=finance["sup"].user, starts_on=NOV, percent="10")
    discount.refresh_from_db()
    assert (discount.valid_from, discount.valid_to, discount.is_active) == (SEP, datetime.date(2026, 10, 31), True)  # fmt: skip
    assert (corrected.valid_from, corrected.valid_to, corrected.percent) == (NOV, None, D("10.00"))
    assert (corrected.version, corrected.previous, corrected.name, corrected.kind) == (2, discount, "九五折", Kind.DISCOUNT)  # fmt: skip
    assert (corrected.fee_item_id, corrected.building_id) == (discount.fee_item_id, discount.building_id)  # fmt: skip
    run(site_a, finance, OCT)
    run(site_a, finance, NOV)
    # Granted before stays as the old version said; October is still the old one's; November the new.
    assert live(line_of(unit, SEP)) == live(line_of(unit, OCT)) == [("discount", D("5.00"))]
    assert live(line_of(unit, NOV)) == [("discount", D("10.01"))]  # 10.005 half up
    assert set(ReliefEntry.objects.filter(bill_line=line_of(unit, SEP)).values_list("rule", flat=True)) == {discount.pk}  # fmt: skip
    assert set(ReliefEntry.objects.filter(bill_line=line_of(unit, NOV)).values_list("rule", flat=True)) == {corrected.pk}  # fmt: skip
    assert versions(corrected) == versions(discount) == [discount, corrected]
    assert figures.differences(site_a) == []


def test_relief_granted_under_the_old_version_stays_when_corrected_from_its_first_day(site_a, finance, estate, discount):  # fmt: skip
    unit = estate["units"][0]
    before = list(ReliefEntry.objects.order_by("pk").values_list("pk", "amount", "rule", "cancelled_at"))  # fmt: skip
    corrected = correct_rule(rule=discount, actor=finance["sup"].user, starts_on=SEP, percent="8", name="九二折")  # fmt: skip
    discount.refresh_from_db()
    assert (discount.is_active, discount.valid_from, discount.valid_to) == (False, SEP, None)
    assert (corrected.valid_from, corrected.name) == (SEP, "九二折")
    assert list(ReliefEntry.objects.order_by("pk").values_list("pk", "amount", "rule", "cancelled_at")) == before  # fmt: skip
    run(site_a, finance, OCT)
    assert live(line_of(unit, SEP)) == [("discount", D("5.00"))]
    assert live(line_of(unit, OCT)) == [("discount", D("8.00"))]  # 8.004
    assert [r.pk for r in relief.rules_in_use(site_a, (Kind.DISCOUNT,))] == [corrected.pk]
    assert figures.differences(site_a) == []


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"starts_on": datetime.date(2026, 11, 15), "percent": "10"}, "starts_on", "not_first"),
        ({"starts_on": datetime.date(2026, 8, 1), "percent": "10"}, "starts_on", "before_start"),
        ({"starts_on": NOV, "percent": ""}, "percent", "required"),
        ({"starts_on": NOV, "percent": "120"}, "percent", "range"),
        ({"starts_on": "", "percent": "10"}, "starts_on", "required"),
        ({"starts_on": NOV, "percent": "5"}, None, "unchanged"),
    ],
)
def test_a_bad_correction_is_refused_and_nothing_changes(site_a, finance, discount, fields, field, code):  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        correct_rule(rule=discount, actor=finance["sup"].user, **fields)
    assert code in codes(caught.value)
    assert ReliefRule.objects.count() == 1
    discount.refresh_from_db()
    assert (discount.valid_to, discount.is_active) == (None, True)


def test_only_the_latest_version_in_use_is_corrected_and_an_ended_rule_not_after_its_end(site_a, finance, discount):  # fmt: skip
    sup = finance["sup"].user
    correct_rule(rule=discount, actor=sup, starts_on=NOV, percent="10")
    with pytest.raises(ValidationError) as caught:
        correct_rule(rule=discount, actor=sup, starts_on=datetime.date(2026, 12, 1), percent="12")
    assert codes(caught.value) == {"not_latest"}
    latest = versions(discount)[-1]
    relief.end_rule(rule=latest, actor=sup, ends_on=datetime.date(2026, 12, 31))
    with pytest.raises(ValidationError) as caught:
        correct_rule(rule=latest, actor=sup, starts_on=datetime.date(2027, 1, 1), percent="12")
    assert codes(caught.value) == {"ended"}
    with pytest.raises(PermissionDenied):  # a cashier corrects no rule
        correct_rule(rule=latest, actor=finance["cashier"].user, starts_on=datetime.date(2026, 12, 1), percent="12")  # fmt: skip


def test_a_corrected_vacancy_rule_relieves_later_months_by_the_new_share(
    site_a, finance, estate, item, clerk
):
    vacancy = rule(site_a, finance, item, Kind.VACANCY, percent="70", name="空置七折减免")
    run(site_a, finance, SEP)
    unit = estate["units"][0]
    application = apply(site_a, clerk, unit, SEP, datetime.date(2026, 11, 30))
    relief.record_inspection(application=application, actor=clerk, found_vacant=True)
    relief.decide_vacancy(application=application, actor=finance["head"].user, approve=True)
    correct_rule(rule=vacancy, actor=finance["sup"].user, starts_on=OCT, percent="50")
    run(site_a, finance, OCT)
    assert live(line_of(unit, SEP)) == [("vacancy", D("70.04"))]
    assert live(line_of(unit, OCT)) == [("vacancy", D("50.03"))]  # 50.025 half up
    assert figures.differences(site_a) == []


def test_the_rule_page_shows_its_versions_and_finance_corrects_it_there(site_a, finance, discount):
    url = f"/billing/relief/{discount.pk}/"
    sup = signed_in(finance["sup"].user)
    page = sup.get(url)
    assert page.status_code == 200 and 'id="correct-relief-rule"' in page.content.decode()
    bad = sup.post(url, {"starts_on": "2026-11-15", "percent": "10"})
    assert bad.status_code == 400 and ReliefRule.objects.count() == 1
    done = sup.post(url, {"starts_on": "2026-11-01", "percent": "10", "name": ""})
    corrected = ReliefRule.objects.get(version=2)
    assert done.status_code == 302 and done.url == f"/billing/relief/{corrected.pk}/"
    html = sup.get(done.url).content.decode()
    assert 'id="relief-version-1"' in html and 'id="relief-version-2"' in html
    # v1: its window, and what it granted (¥5.00 on each of the 8 units in September) kept
    assert "2026-09-01 – 2026-10-31" in html and "¥40.00" in html
    listed = sup.get("/billing/relief/").content.decode()
    assert f'href="/billing/relief/{corrected.pk}/"' in listed
    cashier = signed_in(finance["cashier"].user).get(done.url)
    assert cashier.status_code in (200, 403) and 'id="correct-relief-rule"' not in cashier.content.decode()  # fmt: skip


def test_the_api_corrects_a_rule_and_lists_its_versions(site_a, finance, discount):
    client = signed_in(finance["sup"].user)
    made = client.post(
        f"/api/v1/billing/relief-rules/{discount.pk}/corrections",
        {"starts_on": "2026-11-01", "percent": "10"},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert (made.json()["version"], made.json()["previous"], made.json()["percent"]) == (2, discount.pk, "10.00")  # fmt: skip
    bad = client.post(
        f"/api/v1/billing/relief-rules/{discount.pk}/corrections",
        {"starts_on": "2026-12-01", "percent": "12"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    listed = client.get(f"/api/v1/billing/relief-rules/{made.json()['id']}/versions").json()
    assert [(v["version"], v["valid_from"], v["valid_to"]) for v in listed] == [
        (1, "2026-09-01", "2026-10-31"), (2, "2026-11-01", None)]  # fmt: skip
