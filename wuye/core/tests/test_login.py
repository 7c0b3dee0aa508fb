import pytest
from django.test import override_settings


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_a_staff_member_signs_in_and_lands_on_the_home_page(client, clerk_a):
    response = _login(client, "clerk_a", "pass-Word-123")
    assert response.status_code == 302
    assert response["Location"] == "/"


@override_settings(WUYE_LOGIN_MAX_FAILURES=3)
def test_repeated_failures_lock_the_account_even_for_the_right_password(client, clerk_a):
    for _ in range(3):
        response = _login(client, "clerk_a", "wrong")
        assert response.status_code == 200
    response = _login(client, "clerk_a", "pass-Word-123")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        response.context["form"].errors["__all__"][0].startswith(("登录失败次数过多", "Too many"))
    )


@override_settings(WUYE_LOGIN_MAX_FAILURES=3)
def test_a_successful_sign_in_clears_earlier_failures(client, clerk_a):
    for _ in range(2):
        _login(client, "clerk_a", "wrong")
    assert _login(client, "clerk_a", "pass-Word-123").status_code == 302
    client.logout()
    for _ in range(2):
        _login(client, "clerk_a", "wrong")
    assert _login(client, "clerk_a", "pass-Word-123").status_code == 302


def test_the_login_page_speaks_chinese_by_default(client, db):
    html = client.get("/login/").content.decode()
    assert "登录" in html


def test_the_login_page_speaks_english_on_request(client, db):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in html


def test_pages_need_a_signed_in_user(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_signing_out_needs_a_post(client_of, clerk_a):
    client = client_of(clerk_a)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/", "/estate/buildings/", "/staff/employees/"])
def test_a_user_of_no_site_gets_a_page_not_an_error(client_of, outsider, path):
    assert client_of(outsider).get(path).status_code in (200, 403, 404)


def test_the_language_switch_turns_the_workbench_to_english_and_back(client_of, clerk_a):
    client = client_of(clerk_a)
    assert "首页" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Home" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "首页" in client.get("/").content.decode()
