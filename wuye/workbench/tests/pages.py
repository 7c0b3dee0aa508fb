"""Reading a home page in tests: its sections and lists, one list's text, and the rows the list
a count links to shows."""

import re

from django.urls import reverse

from wuye.servicedesk import services


def home(client):
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 200
    sections = response.context["panels"]["sections"]
    lists = {listing.key: listing for section in sections for listing in section.listings}
    return response, [s.key for s in sections], lists


def block(response, key: str) -> str:
    """The text of one list on the page, tags stripped."""
    html = response.content.decode()
    start = html.index(f'id="list-{key}"')
    end = html.find('class="home-list"', start + 1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : end if end > 0 else None]))


def rows_behind(client, listing) -> tuple[list, int]:
    """The rows the list a count links to shows (its first page) and how many it has in all."""
    response = client.get(listing.url)
    assert response.status_code == 200, listing.url
    context = response.context
    if listing.key in ("orders", "pool"):
        shown = list(context[listing.key])
        return shown, len(shown)
    if listing.key == "approvals":
        return list(context["waiting"]), len(context["waiting"])
    if listing.key == "resident_requests":
        shown = list(context["pending"])
        return shown, len(shown)
    return list(context["page_obj"].object_list), context["page_obj"].paginator.count


def assert_counts_open_their_lists(client, lists):
    """Each count's link opens a list of that many rows, which begins with the home's rows in
    the same order."""
    for listing in lists.values():
        if listing.count is None:
            continue
        shown, total = rows_behind(client, listing)
        assert total == listing.count, listing.key
        assert [r.pk for r in shown[: len(listing.rows)]] == [r.pk for r in listing.rows], (
            listing.key
        )


def dispatch(ticket, team, visit_at, worker="tech1", **kwargs):
    worker = team[worker] if worker else None
    return services.dispatch_ticket(
        ticket=ticket, actor=team["clerk"].user, assignee=worker, visit_at=visit_at, **kwargs
    )
