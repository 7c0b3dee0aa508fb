from wuye.core.middleware import SESSION_KEY


def test_the_current_site_starts_as_the_default_membership(client_of, manager, site_a):
    response = client_of(manager).get("/")
    assert response.context["current_site"] == site_a


def test_switching_to_a_member_site_makes_it_current(client_of, manager, site_b):
    client = client_of(manager)
    response = client.post("/switch-site/", {"site": site_b.pk}, follow=True)
    assert response.context["current_site"] == site_b
    assert client.session[SESSION_KEY] == site_b.pk


def test_switching_to_a_site_of_which_one_is_not_a_member_is_refused(
    client_of, clerk_a, site_a, site_b
):
    client = client_of(clerk_a)
    response = client.post("/switch-site/", {"site": site_b.pk}, follow=True)
    assert response.context["current_site"] == site_a
    assert SESSION_KEY not in client.session


def test_a_session_pointing_at_a_site_no_longer_allowed_falls_back(
    client_of, clerk_a, site_a, site_b
):
    client = client_of(clerk_a)
    session = client.session
    session[SESSION_KEY] = site_b.pk
    session.save()
    assert client.get("/").context["current_site"] == site_a


def test_the_switcher_only_offers_member_sites(client_of, clerk_a, site_a, site_b):
    html = client_of(clerk_a).get("/").content.decode()
    assert site_a.name in html
    assert site_b.name not in html


def test_switching_does_not_redirect_off_site(client_of, manager, site_b):
    response = client_of(manager).post(
        "/switch-site/", {"site": site_b.pk, "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"
