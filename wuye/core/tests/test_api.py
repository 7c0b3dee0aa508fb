from wuye.core.security import issue_api_token


def test_a_token_is_issued_for_a_right_password_and_then_authenticates(client, clerk_a, site_a):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "clerk_a", "password": "pass-Word-123", "name": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 201
    token = response.json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["username"] == "clerk_a"
    assert [s["code"] for s in me.json()["sites"]] == ["a"]
    assert me.json()["roles"] == ["cs_clerk"]


def test_a_wrong_password_gets_401_with_the_error_body(client, clerk_a):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "clerk_a", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json() == {
        "message": response.json()["message"],
        "code": "bad_credentials",
        "fields": [],
    }


def test_the_token_endpoint_locks_out_after_repeated_failures(client, clerk_a, settings):
    settings.WUYE_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        client.post(
            "/api/v1/auth/token",
            {"username": "clerk_a", "password": "x"},
            content_type="application/json",
        )
    response = client.post(
        "/api/v1/auth/token",
        {"username": "clerk_a", "password": "pass-Word-123"},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_a_missing_field_gets_422_naming_the_field(client, db):
    response = client.post(
        "/api/v1/auth/token", {"username": "clerk_a"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert [f["field"] for f in body["fields"]] == ["password"]


def test_an_unknown_or_revoked_token_gets_401(client, clerk_a):
    from django.utils import timezone

    token, key = issue_api_token(user=clerk_a, name="t")
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer wy_nonsense").status_code == 401


def test_the_browser_session_authenticates_the_api(client_of, manager):
    response = client_of(manager).get("/api/v1/sites")
    assert response.status_code == 200
    assert sorted(s["code"] for s in response.json()) == ["a", "b"]


def test_the_openapi_document_and_docs_are_served(client, db):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "wuye API"
    assert client.get("/api/v1/docs").status_code in (200, 302)


def test_anonymous_requests_get_401(client, db):
    assert client.get("/api/v1/me").status_code == 401
