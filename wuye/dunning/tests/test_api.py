"""The dunning API (R-FEE-03): notices for a unit and a building (a job), PDFs, deliveries,
the chasing log and broken promises; field errors as 400/422, another site's rows as 404."""

import io

import pytest
from pypdf import PdfReader

from tests.clients import signed_in
from wuye.dunning.models import ChasingEntry, Notice, NoticeDelivery

from .conftest import at

pytestmark = pytest.mark.django_db
BASE = "/api/v1/dunning"
JSON = "application/json"


def post(client, path, body):
    return client.post(f"{BASE}{path}", body, content_type=JSON)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(at(2026, 12, 20))


def test_R_FEE_03_notices_are_issued_listed_printed_and_delivered(owed, owners, clerk_a, today):
    client = signed_in(clerk_a)
    made = post(client, "/notices", {"unit": owed.pk, "kind": "dunning"})
    assert made.status_code == 201
    body = made.json()
    assert (body["number"], body["total"], body["snapshot"]["total"]) == ("DN-A-2026-000001", "300.00", "300.00")  # fmt: skip
    assert [line["owed"] for line in body["snapshot"]["lines"]] == ["100.00", "100.00", "100.00"]
    pdf = client.get(f"{BASE}/notices/{body['id']}/pdf")
    assert pdf["Content-Type"] == "application/pdf" and len(PdfReader(io.BytesIO(pdf.content)).pages) == 1  # fmt: skip
    sent = post(client, f"/notices/{body['id']}/deliveries", {"channel": "sms"})
    assert sent.status_code == 201 and sent.json()[0]["outcome"] == "sent" and sent.json()[0]["sent_by"] == clerk_a.pk  # fmt: skip
    listed = client.get(f"{BASE}/notices", {"unit": owed.pk}).json()
    assert listed["count"] == 1 and listed["items"][0]["deliveries"][0]["channel"] == "sms"


def test_R_FEE_03_bad_notice_input_is_a_field_error(owed, finance, clerk_a, today):
    from wuye.billing import payments

    client = signed_in(clerk_a)
    unknown = post(client, "/notices", {"unit": owed.pk, "kind": "reminder"})
    assert unknown.status_code == 400 and unknown.json()["fields"][0]["field"] == "kind"
    missing = post(client, "/notices", {"unit": owed.pk})
    assert missing.status_code == 422 and missing.json()["fields"][0]["field"] == "kind"
    payments.take_payment(site=owed.site, actor=finance["cashier"].user, unit=owed, method="cash", amount="300")  # fmt: skip
    nothing = post(client, "/notices", {"unit": owed.pk, "kind": "dunning"})
    assert nothing.status_code == 400 and nothing.json()["fields"][0]["code"] == "nothing_owed"
    assert not Notice.objects.exists()


def test_R_FEE_03_a_buildings_notices_run_as_a_job(owed, estate, clerk_a, today):
    client = signed_in(clerk_a)
    started = post(client, f"/buildings/{estate['b2'].pk}/notices", {"kind": "dunning"})
    assert started.status_code == 202
    job = client.get(f"{BASE}/jobs/{started.json()['id']}").json()
    assert job["state"] == "done" and job["done"] == 2 and job["batch"]
    batch = client.get(f"{BASE}/batches/{job['batch']}").json()
    assert batch["notices_count"] == 2 and batch["total"] == "600.00"
    pdf = client.get(f"{BASE}/batches/{job['batch']}/pdf")
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    delivered = post(client, f"/batches/{job['batch']}/delivered", {})
    assert delivered.status_code == 200 and delivered.json()["delivered_by"] == clerk_a.pk
    again = post(client, f"/batches/{job['batch']}/delivered", {})
    assert again.status_code == 400 and again.json()["fields"][0]["code"] == "already_delivered"
    bad = post(client, f"/buildings/{estate['b2'].pk}/notices", {"kind": "dunning", "only_overdue_over_days": -1})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["fields"][0]["field"] == "only_overdue_over_days"


def test_R_FEE_03_a_chasing_entry_reports_every_bad_field_at_once(owed, clerk_a, time_machine):
    time_machine.move_to(at(2026, 12, 20))
    body = {"kind": "fax", "note": "x", "promised_amount": "-20", "promised_by": "2026-12-01"}
    refused = post(signed_in(clerk_a), f"/units/{owed.pk}/chasing", body)
    assert refused.status_code == 400
    assert {(f["field"], f["code"]) for f in refused.json()["fields"]} == {
        ("kind", "invalid_choice"), ("promised_amount", "not_positive"), ("promised_by", "in_past"),
    }  # fmt: skip
    assert not ChasingEntry.objects.exists()


def test_R_FEE_03_the_chasing_log_and_broken_promises(owed, clerk_a, time_machine):
    time_machine.move_to(at(2026, 12, 20))
    client = signed_in(clerk_a)
    made = post(client, f"/units/{owed.pk}/chasing", {"kind": "call", "note": "答应周五缴", "promised_amount": "200", "promised_by": "2026-12-25"})  # fmt: skip
    assert made.status_code == 201 and made.json()["promise_state"] == "open"
    for body, field, code in [
        ({"kind": "call", "note": "x", "promised_amount": "200"}, "promised_by", "required"),
        ({"kind": "call", "note": "x", "promised_amount": "-20", "promised_by": "2026-12-25"}, "promised_amount", "not_positive"),
        ({"kind": "fax", "note": "x"}, "kind", "invalid_choice"),
    ]:  # fmt: skip
        refused = post(client, f"/units/{owed.pk}/chasing", body)
        assert refused.status_code == 400 and refused.json()["fields"] == [
            {"field": field, "message": refused.json()["message"], "code": code}
        ]
    assert post(client, f"/units/{owed.pk}/chasing", {"kind": "call", "promised_by": "soon"}).status_code == 422  # fmt: skip
    assert ChasingEntry.objects.count() == 1
    time_machine.move_to(at(2026, 12, 27))
    log = client.get(f"{BASE}/units/{owed.pk}/chasing").json()
    assert [(e["promise_state"], e["paid_towards"]) for e in log] == [("broken", "0.00")]
    broken = client.get(f"{BASE}/promises").json()
    assert broken["count"] == 1 and broken["items"][0]["unit_code"] == "1-0101"


def test_R_FEE_03_site_b_gets_404_for_site_as_units_and_notices(owed, estate, clerk_a, clerk_b, today):  # fmt: skip
    from wuye.dunning import services

    notice = services.issue_notice(site=owed.site, actor=clerk_a, unit=owed, kind="dunning")
    other = signed_in(clerk_b)
    assert post(other, "/notices", {"unit": owed.pk, "kind": "dunning"}).status_code == 404
    assert other.get(f"{BASE}/notices/{notice.pk}").status_code == 404
    assert other.get(f"{BASE}/notices/{notice.pk}/pdf").status_code == 404
    assert (
        post(other, f"/notices/{notice.pk}/deliveries", {"channel": "printed"}).status_code == 404
    )
    assert (
        post(other, f"/buildings/{estate['b1'].pk}/notices", {"kind": "dunning"}).status_code == 404
    )
    assert other.get(f"{BASE}/units/{owed.pk}/chasing").status_code == 404
    assert (
        post(other, f"/units/{owed.pk}/chasing", {"kind": "call", "note": "x"}).status_code == 404
    )
    job = post(
        signed_in(clerk_a), f"/buildings/{estate['b2'].pk}/notices", {"kind": "dunning"}
    ).json()
    assert other.get(f"{BASE}/jobs/{job['id']}").status_code == 404
    assert other.get(f"{BASE}/batches/{job['batch']}/pdf").status_code == 404
    assert other.get(f"{BASE}/notices", {"site": owed.site.pk}).status_code == 403
    assert other.get(f"{BASE}/notices").json()["count"] == 0
    assert Notice.objects.filter(unit=owed).count() == 1 and not NoticeDelivery.objects.exists() and not ChasingEntry.objects.exists()  # fmt: skip
