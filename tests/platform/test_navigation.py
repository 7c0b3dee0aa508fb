"""The side navigation: each role sees its own links, and the page's own link is the active
one — the longest path that the page's path starts with."""

import pytest
from django.utils import translation

from tests.clients import signed_in
from wuye.workbench.nav import navigation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def labels(groups) -> list[str]:
    return [str(link["label"]) for group in groups for link in group["links"]]


def active(groups) -> list[str]:
    return [str(link["label"]) for group in groups for link in group["links"] if link["active"]]


def test_the_longest_matching_link_is_active(manager):
    assert active(navigation(manager, "/billing/units/12/")) == ["Cashier"]
    assert active(navigation(manager, "/billing/arrears/?building=3")) == ["Arrears"]
    assert active(navigation(manager, "/billing/history/import/5/")) == ["Past bills"]
    assert active(navigation(manager, "/desk/tickets/8/")) == ["Tickets"]
    assert active(navigation(manager, "/")) == ["Home"]
    assert active(navigation(manager, "/estate/units/3/")) == ["Units"]


def test_links_follow_the_roles_permissions(clerk_a, manager):
    clerk = labels(navigation(clerk_a, "/"))
    assert "Tickets" in clerk and "Notices" in clerk
    assert "Collection rate" not in clerk and "Past bills" not in clerk
    assert {"Collection rate", "Past bills", "Late fees"} <= set(labels(navigation(manager, "/")))


def test_the_page_marks_its_link(manager):
    page = signed_in(manager, HTTP_ACCEPT_LANGUAGE="en").get("/billing/arrears/").content.decode()
    assert 'href="/billing/arrears/" class="active" aria-current="page"' in page
    assert page.count('aria-current="page"') == 1
