"""Resident accounts (docs/people.md, Resident accounts): sign-up, link requests, approval by the
centre or by the owner, and a resident who sees only their own household — tried through every
endpoint."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wuye.core.security import issue_api_token
from wuye.people.models import HouseholdMember, Person, Tenancy
from wuye.portal import services
from wuye.portal.models import ResidentLink

BASE = "/api/v1/portal"
JSON = "application/json"
PASSWORD = "Lianhua-2026!"


def sign_up(phone, name):
    return services.sign_up_resident(phone=phone, name=name, password=PASSWORD)


def bearer(account):
    _token, key = issue_api_token(user=account.user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def zhang_account(owned_unit, clerk_a):
    """张三 signed up and approved as the owner of 1-0801."""
    account = sign_up("13812345678", "张三")
    link = services.request_link(account=account, unit=owned_unit, role="owner")
    services.approve_link(link=link, actor=clerk_a)
    return account


def test_a_resident_signs_up_and_a_second_account_for_the_phone_is_refused(db, client):
    response = client.post(
        f"{BASE}/signup",
        {"phone": "139 0000 1111", "name": "王小明", "password": PASSWORD},
        content_type=JSON,
    )
    assert response.status_code == 201
    token = response.json()["token"]
    me = client.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me == {"name": "王小明", "phone": "139****1111"}
    again = client.post(
        f"{BASE}/signup",
        {"phone": "13900001111", "name": "王小明", "password": PASSWORD},
        content_type=JSON,
    )
    assert again.status_code == 400
    assert again.json()["fields"][0] == {
        "field": "phone",
        "message": again.json()["fields"][0]["message"],
        "code": "taken",
    }


def test_a_sign_up_with_no_name_a_bad_phone_and_a_weak_password_reports_every_bad_field_at_once(
    db, client
):
    response = client.post(
        f"{BASE}/signup", {"phone": "1234", "name": " ", "password": "123"}, content_type=JSON
    )
    assert response.status_code == 400
    fields = {f["field"] for f in response.json()["fields"]}
    assert fields == {"name", "phone", "password"}
    assert {f["code"] for f in response.json()["fields"] if f["field"] != "password"} == {
        "required",
        "bad_phone",
    }
    from wuye.portal.models import ResidentAccount

    assert not ResidentAccount.objects.exists()


def test_a_taken_phone_and_a_weak_password_are_told_together(db):
    sign_up("13900001111", "王小明")
    with pytest.raises(ValidationError) as refused:
        services.sign_up_resident(phone="13900001111", name="王大明", password="123")
    assert set(refused.value.error_dict) == {"phone", "password"}
    assert refused.value.error_dict["phone"][0].code == "taken"


def test_a_weak_password_or_a_placeholder_phone_is_a_field_error(db):
    with pytest.raises(ValidationError) as weak:
        services.sign_up_resident(phone="13900002222", name="赵", password="123")
    assert "password" in weak.value.error_dict
    with pytest.raises(ValidationError) as placeholder:
        services.sign_up_resident(phone="18999999999", name="赵", password=PASSWORD)
    assert placeholder.value.error_dict["phone"][0].code == "placeholder"


def test_a_resident_signs_in_with_phone_and_password(zhang_account, client):
    response = client.post(
        f"{BASE}/token", {"phone": "138-1234-5678", "password": PASSWORD}, content_type=JSON
    )
    assert response.status_code == 201
    wrong = client.post(
        f"{BASE}/token", {"phone": "13812345678", "password": "nope"}, content_type=JSON
    )
    assert wrong.status_code == 401


def test_until_approved_the_account_sees_nothing_of_the_unit(owned_unit, client):
    account = sign_up("13812345678", "张三")
    headers = bearer(account)
    created = client.post(
        f"{BASE}/links", {"unit": owned_unit.pk, "role": "owner"}, content_type=JSON, **headers
    )
    assert created.status_code == 201
    assert created.json()["state"] == "pending"
    assert client.get(f"{BASE}/units", **headers).json() == []
    assert client.get(f"{BASE}/units/{owned_unit.pk}/household", **headers).status_code == 404


def test_the_centre_approves_an_owner_who_then_sees_the_household(owned_unit, clerk_a, client):
    account = sign_up("13812345678", "张三")
    link = services.request_link(account=account, unit=owned_unit, role="owner")
    approved = services.approve_link(link=link, actor=clerk_a)
    assert approved.state == "approved"
    assert approved.person.name == "张三", "linked to the register's person, found by phone"
    household = client.get(f"{BASE}/units/{owned_unit.pk}/household", **bearer(account)).json()
    assert household == [{"name": "张三", "role": "owner", "phone": "138****5678"}]


def test_an_owner_link_needs_the_owners_register(vacant_units, clerk_a):
    account = sign_up("13700003333", "冒充者")
    link = services.request_link(account=account, unit=vacant_units[2], role="owner")
    with pytest.raises(ValidationError) as caught:
        services.approve_link(link=link, actor=clerk_a)
    assert caught.value.error_dict["__all__"][0].code == "not_an_owner"
    link.refresh_from_db()
    assert link.state == "pending"


def test_r_cus_01_the_owner_approves_a_tenant_who_is_registered_once(
    zhang_account, owned_unit, client
):
    tenant = sign_up("13600004444", "孙租")
    link = services.request_link(account=tenant, unit=owned_unit, role="tenant")
    response = client.post(
        f"{BASE}/links/{link.pk}/approve",
        {"lease_start": "2025-01-01", "lease_end": "2026-12-31"},
        content_type=JSON,
        **bearer(zhang_account),
    )
    assert response.status_code == 200
    assert response.json()["state"] == "approved"
    assert Tenancy.objects.get(unit=owned_unit).person.name == "孙租"
    assert Person.objects.filter(name="孙租").count() == 1


def test_an_owner_approves_household_but_never_another_owner(
    zhang_account, owned_unit, other_unit, client
):
    member = sign_up("13600005555", "张小三")
    link = services.request_link(account=member, unit=owned_unit, role="household")
    services.approve_link(link=link, actor=zhang_account.user)
    assert HouseholdMember.objects.get(unit=owned_unit).person.name == "张小三"
    claimant = sign_up("13600006666", "钱某")
    owner_claim = services.request_link(account=claimant, unit=owned_unit, role="owner")
    with pytest.raises(PermissionDenied):
        services.approve_link(link=owner_claim, actor=zhang_account.user)
    elsewhere = services.request_link(account=claimant, unit=other_unit, role="household")
    response = client.post(
        f"{BASE}/links/{elsewhere.pk}/approve", {}, content_type=JSON, **bearer(zhang_account)
    )
    assert response.status_code == 404, "an owner can't decide for another unit"


def test_a_resident_cannot_read_another_household_through_any_endpoint(
    zhang_account, other_unit, owned_unit, client
):
    headers = bearer(zhang_account)
    assert client.get(f"{BASE}/units/{other_unit.pk}/household", **headers).status_code == 404
    assert [u["id"] for u in client.get(f"{BASE}/units", **headers).json()] == [owned_unit.pk]
    # The staff API shows a resident nothing, whatever the id.
    people = client.get("/api/v1/people/persons", **headers)
    assert people.status_code in (400, 403) or people.json()["items"] == []
    assert client.get(f"/api/v1/people/units/{other_unit.pk}/occupants", **headers).status_code in (
        403,
        404,
    )
    assert client.get(f"/api/v1/estate/units/{other_unit.pk}", **headers).status_code == 404


def test_a_clerk_of_another_site_cannot_decide_site_a_requests(owned_unit, clerk_b, client_of):
    account = sign_up("13812345678", "张三")
    link = services.request_link(account=account, unit=owned_unit, role="owner")
    with pytest.raises(PermissionDenied):
        services.approve_link(link=link, actor=clerk_b)
    response = client_of(clerk_b).post(f"{BASE}/links/{link.pk}/approve", {}, content_type=JSON)
    assert response.status_code == 404
    assert ResidentLink.objects.get(pk=link.pk).state == "pending"


def test_the_centre_rejects_with_a_reason(owned_unit, clerk_a):
    account = sign_up("13812345678", "张三")
    link = services.request_link(account=account, unit=owned_unit, role="owner")
    rejected = services.reject_link(link=link, actor=clerk_a, reason="证件不符")
    assert (rejected.state, rejected.reason, rejected.decided_by) == (
        "rejected",
        "证件不符",
        clerk_a,
    )
    again = services.request_link(account=account, unit=owned_unit, role="owner")
    assert again.state == "pending", "a rejected request may be made again"


def test_a_second_request_with_a_bad_role_and_a_nul_in_its_note_reports_every_field(
    zhang_account, owned_unit
):
    with pytest.raises(ValidationError) as caught:
        services.request_link(account=zhang_account, unit=owned_unit, role="landlord", note="\x00")
    assert {f: [e.code for e in errors] for f, errors in caught.value.error_dict.items()} == {
        "role": ["invalid_choice"],
        "note": ["null_characters_not_allowed"],
        "unit": ["duplicate"],
    }
    with pytest.raises(ValidationError) as caught:
        sign_up("13900001111", "\x00")
    assert [e.code for e in caught.value.error_dict["name"]] == ["null_characters_not_allowed"]


def test_the_link_api_names_the_nul_in_the_note_and_the_unit_asked_for_twice(
    zhang_account, owned_unit, client
):
    response = client.post(
        f"{BASE}/links",
        {"unit": owned_unit.pk, "role": "tenant", "note": "请\u0000批准"},
        content_type="application/json",
        **bearer(zhang_account),
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("note", "null_characters_not_allowed"),
        ("unit", "duplicate"),
    }
    assert ResidentLink.objects.filter(account=zhang_account).count() == 1
