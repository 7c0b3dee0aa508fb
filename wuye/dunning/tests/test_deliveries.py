"""How notices went out (R-FEE-03): printed and delivered, SMS to the owners' phones and app
messages to the residents linked to the unit, each recorded with its channel, recipient (a phone
only masked), the clerk and the outcome; the sender is pluggable and logs by default."""

import logging

import pytest
from django.core.exceptions import ValidationError

from tests.errors import codes
from wuye.dunning import jobs, senders, services
from wuye.dunning.models import NoticeBatch, NoticeDelivery
from wuye.dunning.senders import Outcome

from .conftest import at

pytestmark = pytest.mark.django_db


class RecordingSender:
    """A sender for tests: keeps what it was asked to send."""

    sent: list = []

    def send_sms(self, to, text):
        self.sent.append(("sms", to, text))
        return Outcome(ok=True, reference="m-1")

    def send_app_message(self, user, text):
        self.sent.append(("app", user.pk, text))
        return Outcome(ok=True)


class BrokenGateway:
    def send_sms(self, to, text):
        raise ConnectionError("gateway timed out")

    def send_app_message(self, user, text):
        return Outcome(ok=False, error="no device registered")


@pytest.fixture
def recording(settings):
    RecordingSender.sent = []
    settings.WUYE_MESSAGE_SENDER = "wuye.dunning.tests.test_deliveries.RecordingSender"
    return RecordingSender.sent


@pytest.fixture
def dunned(owed, owners, clerk, time_machine):
    time_machine.move_to(at(2026, 12, 20))
    return services.issue_notice(site=owed.site, actor=clerk, unit=owed, kind="dunning")


def test_R_FEE_03_a_printed_notice_is_recorded_with_how_and_by_whom(dunned, clerk_a):
    [row] = services.record_delivery(notice=dunned, actor=clerk_a, channel="printed")
    row.refresh_from_db()
    assert (row.channel, row.outcome, row.sent_by, row.recipient, row.error) == ("printed", "sent", clerk_a, "张三", "")  # fmt: skip
    with pytest.raises(ValidationError) as unknown:
        services.record_delivery(notice=dunned, actor=clerk_a, channel="fax")
    assert codes(unknown.value) == {"invalid_choice"} and NoticeDelivery.objects.count() == 1


def test_R_FEE_03_an_sms_goes_through_the_configured_sender_to_the_owners_phone(dunned, clerk, recording):  # fmt: skip
    [row] = services.record_delivery(notice=dunned, actor=clerk, channel="sms")
    [(channel, to, text)] = recording
    assert channel == "sms" and to == "13812345678"
    assert "1-0101" in text and "¥300.00" in text and dunned.number in text and "2027-01-04" in text
    assert row.outcome == "sent" and row.sent_by == clerk and row.channel == "sms"
    assert "13812345678" not in row.recipient and row.recipient.startswith("张三 ")  # masked


def test_R_FEE_03_an_owner_without_a_phone_is_a_field_error_and_nothing_is_recorded(owed, owners, estate, clerk, recording, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    notice = services.issue_notice(site=owed.site, actor=clerk, unit=estate["units"][1], kind="dunning")  # fmt: skip
    for channel in ("sms", "app"):
        with pytest.raises(ValidationError) as refused:
            services.record_delivery(notice=notice, actor=clerk, channel=channel)
        assert codes(refused.value) == {"no_recipient"}
    assert not NoticeDelivery.objects.exists() and recording == []


def test_R_FEE_03_an_app_message_goes_to_the_residents_linked_to_the_unit(dunned, resident, clerk, recording):  # fmt: skip
    [row] = services.record_delivery(notice=dunned, actor=clerk, channel="app")
    assert recording == [("app", resident.pk, services.message_text(dunned))]
    assert row.recipient == "张三 139****1111" and row.outcome == "sent"


def test_R_FEE_03_a_failing_sender_is_recorded_as_failed_with_its_error(dunned, resident, clerk, settings):  # fmt: skip
    settings.WUYE_MESSAGE_SENDER = "wuye.dunning.tests.test_deliveries.BrokenGateway"
    [sms] = services.record_delivery(notice=dunned, actor=clerk, channel="sms")
    [app] = services.record_delivery(notice=dunned, actor=clerk, channel="app")
    assert (sms.outcome, sms.error) == ("failed", "gateway timed out")
    assert (app.outcome, app.error) == ("failed", "no device registered")


def test_R_FEE_03_the_default_sender_writes_to_the_log_with_the_phone_masked(dunned, resident, clerk, caplog):  # fmt: skip
    from django.conf import settings

    assert settings.WUYE_MESSAGE_SENDER == "wuye.dunning.senders.ConsoleSender"
    assert isinstance(senders.get_sender(), senders.ConsoleSender)
    with caplog.at_level(logging.INFO, logger="wuye.messages"):
        services.record_delivery(notice=dunned, actor=clerk, channel="sms")
        services.record_delivery(notice=dunned, actor=clerk, channel="app")
    logged = [r.getMessage() for r in caplog.records if r.name == "wuye.messages"]
    assert len(logged) == 2 and logged[0].startswith("SMS to ") and "1-0101" in logged[0]
    assert "13812345678" not in logged[0] and "5678" in logged[0]
    assert logged[1].startswith(f"app message to user {resident.pk}: ")


def test_R_FEE_03_a_printed_batch_is_marked_delivered_once(owed, owners, estate, clerk, clerk_a, time_machine):  # fmt: skip
    time_machine.move_to(at(2026, 12, 20))
    job = jobs.start_building_notices(site=owed.site, actor=clerk, building=estate["b2"], kind="dunning")  # fmt: skip
    job.refresh_from_db()
    batch = NoticeBatch.objects.get(pk=job.result["batch"])
    batch = services.mark_batch_delivered(batch=batch, actor=clerk_a)
    assert batch.delivered_by == clerk_a and batch.delivered_at is not None
    rows = NoticeDelivery.objects.filter(notice__batch=batch)
    assert rows.count() == 2 and {(r.channel, r.sent_by_id, r.outcome) for r in rows} == {("printed", clerk_a.pk, "sent")}  # fmt: skip
    with pytest.raises(ValidationError) as twice:
        services.mark_batch_delivered(batch=batch, actor=clerk_a)
    assert codes(twice.value) == {"already_delivered"} and rows.count() == 2
