"""The dunning pages (R-FEE-03): a customer-service clerk issues and prints a unit's notice,
records its delivery and a promise; a building's dunning notices are issued as a job, printed as
one PDF and marked delivered in one step; broken promises are listed; finance edits the layout
with a preview; another site's units answer 404."""

import datetime
import io

import pytest
from pypdf import PdfReader

from tests.clients import signed_in
from wuye.dunning.models import ChasingEntry, Notice, NoticeBatch, NoticeDelivery, NoticeLayout

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(time_machine):
    time_machine.move_to(at(2026, 12, 20))


def pages_of(response) -> int:
    return len(PdfReader(io.BytesIO(response.content)).pages)


def test_R_FEE_03_a_clerk_issues_prints_and_delivers_a_units_notice(owed, owners, clerk_a, today):
    client = signed_in(clerk_a)
    page = client.get(f"/dunning/units/{owed.pk}/")
    assert page.status_code == 200 and "张三" in page.content.decode()
    issued = client.post(f"/dunning/units/{owed.pk}/notices/", {"kind": "dunning"})
    notice = Notice.objects.get()
    assert issued.status_code == 302 and notice.issued_by == clerk_a and notice.total == 300
    printed = client.get(f"/dunning/notices/{notice.pk}.pdf")
    assert printed["Content-Type"] == "application/pdf" and pages_of(printed) == 1
    client.post(f"/dunning/notices/{notice.pk}/deliveries/", {"channel": "printed"})
    delivery = NoticeDelivery.objects.get()
    assert (delivery.channel, delivery.sent_by) == ("printed", clerk_a)
    page = client.get(f"/dunning/units/{owed.pk}/").content.decode()
    assert notice.number in page and 'id="notice-' in page


def test_R_FEE_03_the_unit_page_shows_refusals_beside_the_field(owed, estate, finance, clerk_a, today):  # fmt: skip
    from wuye.billing import payments

    client = signed_in(clerk_a, HTTP_ACCEPT_LANGUAGE="en")
    payments.take_payment(site=owed.site, actor=finance["cashier"].user, unit=owed, method="cash", amount="300")  # fmt: skip
    refused = client.post(f"/dunning/units/{owed.pk}/notices/", {"kind": "dunning"})
    assert refused.status_code == 400 and "owes nothing overdue" in refused.content.decode()
    bad = client.post(f"/dunning/units/{owed.pk}/chasing/", {"chase-kind": "call", "chase-note": "答应缴费", "chase-promised_amount": "-1", "chase-promised_by": "2026-12-31"})  # fmt: skip
    assert (
        bad.status_code == 400 and not ChasingEntry.objects.exists() and not Notice.objects.exists()
    )
    missing = client.post(f"/dunning/units/{owed.pk}/chasing/", {"chase-kind": "call", "chase-promised_amount": "100"})  # fmt: skip
    assert missing.status_code == 400 and not ChasingEntry.objects.exists()
    ok = client.post(f"/dunning/units/{owed.pk}/chasing/", {"chase-kind": "call", "chase-note": "答应缴费", "chase-promised_amount": "100", "chase-promised_by": "2026-12-31"})  # fmt: skip
    assert ok.status_code == 302 and ChasingEntry.objects.get().recorded_by == clerk_a


def test_R_FEE_03_a_clerk_prints_dunning_notices_for_a_building_and_marks_them_delivered(owed, owners, estate, clerk_a, today):  # fmt: skip
    client = signed_in(clerk_a)
    form = client.get("/dunning/buildings/").content.decode()
    for name in ('id="id_building"', 'id="id_kind"', 'id="id_only_overdue_over_days"', 'id="issue-building-notices"'):  # fmt: skip
        assert name in form
    started = client.post("/dunning/buildings/", {"building": estate["b1"].pk, "kind": "dunning", "only_overdue_over_days": ""})  # fmt: skip
    assert started.status_code == 302 and "?job=" in started["Location"]
    result = client.get(started["Location"]).content.decode()
    batch = NoticeBatch.objects.get()
    assert 'id="batch-pdf"' in result and f"/dunning/batches/{batch.pk}.pdf" in result
    assert 'id="mark-delivered"' in result and batch.notices_count == 6
    pdf = client.get(f"/dunning/batches/{batch.pk}.pdf")
    assert pages_of(pdf) == 6
    done = client.post(f"/dunning/batches/{batch.pk}/delivered/", follow=True)
    body = done.content.decode()
    assert done.status_code == 200 and 'id="batch-delivered"' in body
    assert NoticeDelivery.objects.filter(notice__batch=batch, channel="printed", sent_by=clerk_a).count() == 6  # fmt: skip


def test_R_FEE_03_a_building_with_nothing_owed_is_refused_on_the_form(site_a, clerk_a, today):
    from wuye.estate.models import Building

    empty = Building.objects.create(site=site_a, code="9", name="9栋")
    client = signed_in(clerk_a)
    refused = client.post("/dunning/buildings/", {"building": empty.pk, "kind": "dunning"})
    assert refused.status_code == 400 and "9栋" in refused.content.decode()
    bad = client.post("/dunning/buildings/", {"building": empty.pk, "kind": "reminder"})
    assert bad.status_code == 400 and not NoticeBatch.objects.exists()


def test_R_FEE_03_broken_promises_are_listed(owed, clerk_a, time_machine):
    from wuye.dunning import services

    time_machine.move_to(at(2026, 12, 20))
    services.record_chasing(site=owed.site, actor=clerk_a, unit=owed, kind="call", note="月底缴",
                            promised_amount="200", promised_by=datetime.date(2026, 12, 22))  # fmt: skip
    client = signed_in(clerk_a)
    assert "1-0101" in client.get("/dunning/promises/", {"state": "due_soon"}).content.decode()
    time_machine.move_to(at(2026, 12, 23))
    broken = client.get("/dunning/promises/").content.decode()
    assert "1-0101" in broken and "promise-broken" in broken


def test_R_FEE_03_finance_edits_the_layout_and_previews_it(owed, finance, clerk_a, today):
    sup = signed_in(finance["sup"].user)
    preview = sup.post("/dunning/layout/", {"company_name": "", "fee_title": "费用通知单", "dunning_title": "欠费提示",
                       "fee_body": "{owner}", "dunning_body": "{owner}请于{pay_by}前缴费", "pay_by_days": "7", "preview": "dunning"})  # fmt: skip
    assert preview["Content-Type"] == "application/pdf" and not NoticeLayout.objects.exists()
    text = PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()
    assert "欠费提示" in text and "张三请于2026-12-27前缴费" in text
    bad = sup.post("/dunning/layout/", {"fee_title": "费用通知单", "dunning_title": "催费通知书", "fee_body": "{owner}",
                   "dunning_body": "{fee}", "pay_by_days": "7"})  # fmt: skip
    assert bad.status_code == 400 and not NoticeLayout.objects.exists()
    saved = sup.post("/dunning/layout/", {"fee_title": "费用通知单", "dunning_title": "催费通知书", "fee_body": "{owner}",
                     "dunning_body": "{owner}", "pay_by_days": "7", "seal_text": "财务专用章"})  # fmt: skip
    assert saved.status_code == 302 and NoticeLayout.objects.get().pay_by_days == 7
    assert sup.get("/dunning/layout/preview.pdf?kind=fee")["Content-Type"] == "application/pdf"
    assert signed_in(clerk_a).get("/dunning/layout/").status_code == 403  # clerks don't edit it


def test_R_FEE_03_the_layout_form_reports_every_bad_field_at_once(owed, finance, today):
    bad = signed_in(finance["sup"].user).post("/dunning/layout/", {
        "fee_title": "费用通知单", "dunning_title": "催费通知书", "fee_body": "{fee}",
        "dunning_body": "{owner}请于{deadline}前缴费", "pay_by_days": "120",
    })  # fmt: skip
    assert bad.status_code == 400
    errors = bad.context["form"].errors.as_data()
    assert {field: [e.code for e in errors[field]] for field in errors} == {
        "fee_body": ["unknown_placeholder"], "dunning_body": ["unknown_placeholder"], "pay_by_days": ["out_of_range"],
    }  # fmt: skip
    assert not NoticeLayout.objects.exists()


def test_R_FEE_03_the_chasing_form_reports_both_halves_of_a_bad_promise_at_once(owed, clerk_a, today):  # fmt: skip
    bad = signed_in(clerk_a).post(f"/dunning/units/{owed.pk}/chasing/", {
        "chase-kind": "call", "chase-promised_amount": "0", "chase-promised_by": "2026-01-01",
    })  # fmt: skip
    assert bad.status_code == 400
    errors = bad.context["chase_form"].errors.as_data()
    assert {field: [e.code for e in errors[field]] for field in errors} == {
        "promised_amount": ["not_positive"], "promised_by": ["in_past"],
    }  # fmt: skip
    assert not ChasingEntry.objects.exists()


def test_R_FEE_03_site_b_cannot_read_or_issue_for_site_a(owed, clerk_a, clerk_b, today):
    from wuye.dunning import services

    notice = services.issue_notice(site=owed.site, actor=clerk_a, unit=owed, kind="dunning")
    other = signed_in(clerk_b)
    assert other.get(f"/dunning/units/{owed.pk}/").status_code == 404
    assert other.get(f"/dunning/notices/{notice.pk}.pdf").status_code == 404
    assert other.post(f"/dunning/units/{owed.pk}/notices/", {"kind": "dunning"}).status_code == 404
    assert (
        other.post(f"/dunning/notices/{notice.pk}/deliveries/", {"channel": "printed"}).status_code
        == 404
    )
    assert other.post(f"/dunning/units/{owed.pk}/chasing/", {"chase-kind": "call", "chase-note": "x"}).status_code == 404  # fmt: skip
    assert Notice.objects.count() == 1 and not NoticeDelivery.objects.exists() and not ChasingEntry.objects.exists()  # fmt: skip


def test_R_FEE_03_the_arrears_page_links_each_unit_to_its_notices(owed, finance, today):
    page = signed_in(finance["cashier"].user).get("/billing/arrears/").content.decode()
    assert f'href="/dunning/units/{owed.pk}/"' in page
