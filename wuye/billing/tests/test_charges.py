"""One-off charges from the unit account and the API (posted once per key), and the service
desk's paid jobs posted from a service item's page (R-REP-03)."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.clients import signed_in
from wuye.billing.models import FeeItem
from wuye.ledger.models import BillLine

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def card(fee_item):
    return fee_item("card", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.OTHER, is_cyclic=False,
                    name="门禁卡补办")  # fmt: skip


def test_a_cashier_adds_a_one_off_charge_once_however_often_the_form_is_sent(finance, estate, card):
    unit, cashier = estate["units"][0], signed_in(finance["cashier"].user)
    account = cashier.get(reverse("billing:unit_account", args=[unit.pk])).content.decode()
    assert "门禁卡补办" in account and 'id="add_charge"' in account
    url = reverse("billing:add_charge", args=[unit.pk])
    data = {"charge-fee_item": card.pk, "charge-amount": "30", "charge-period_start": "2026-11-20",
            "charge-note": "丢失补办", "charge-key": "a" * 32}  # fmt: skip
    assert cashier.post(url, data).status_code == 302
    assert cashier.post(url, data).status_code == 302  # a double click posts one charge
    line = BillLine.objects.get(fee_item=card)
    assert (line.unit, line.amount, line.note, line.period_start) == (unit, D("30.00"), "丢失补办", datetime.date(2026, 11, 20))  # fmt: skip
    bad = cashier.post(url, {**data, "charge-amount": "-3", "charge-key": "b" * 32})
    assert bad.status_code == 400 and BillLine.objects.count() == 1


def test_the_api_posts_a_charge_once_per_idempotency_key_and_refuses_bad_ones(finance, estate, card, clerk_b):  # fmt: skip
    unit, cashier = estate["units"][0], signed_in(finance["cashier"].user)
    body = {"unit": unit.pk, "fee_item": card.pk, "period_start": "2026-11-20", "amount": "30"}
    first = cashier.post("/api/v1/billing/charges", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k1")  # fmt: skip
    again = cashier.post("/api/v1/billing/charges", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k1")  # fmt: skip
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and BillLine.objects.count() == 1
    zero = cashier.post("/api/v1/billing/charges", {**body, "amount": "0"}, content_type=JSON)
    assert zero.status_code == 400 and "amount" in str(zero.json())
    other = signed_in(clerk_b).post("/api/v1/billing/charges", body, content_type=JSON)
    assert other.status_code in (403, 404) and BillLine.objects.count() == 1


def test_a_deposit_item_is_not_charged(finance, estate, fee_item):
    from django.core.exceptions import ValidationError

    from wuye.billing import services

    keys = fee_item("keys", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.DEPOSIT, is_cyclic=False)
    with pytest.raises(ValidationError):
        services.add_charge(site=keys.site, actor=finance["cashier"].user, fee_item=keys,
                            unit=estate["units"][0], period_start=datetime.date(2026, 11, 1), amount="100")  # fmt: skip


def test_finance_posts_the_desks_paid_jobs_from_the_service_items_page(finance, estate, fee_item):
    item = fee_item("svc", FeeItem.Method.PER_UNIT, kind=FeeItem.Kind.SERVICE, is_cyclic=False)
    sup = signed_in(finance["sup"].user)
    page = sup.get(reverse("billing:fee_item", args=[item.pk])).content.decode()
    assert 'id="paid-services"' in page
    response = sup.post(reverse("billing:post_paid_services", args=[item.pk]), follow=True)
    assert response.status_code == 200 and not BillLine.objects.exists()
    api = sup.post(f"/api/v1/billing/fee-items/{item.pk}/post-paid-services")
    assert api.status_code == 200 and api.json() == {"posted": 0}
