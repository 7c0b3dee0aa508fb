"""The service-desk benchmark runs end to end on a small site and reports what the issue asks:
each page at two sizes, and query counts that do not grow with the tickets."""

import pytest

from wuye.servicedesk import bench
from wuye.servicedesk.models import Ticket, TicketFact


@pytest.mark.django_db
def test_the_benchmark_builds_tickets_set_based_and_times_every_page():
    result = bench.run(small=300, large=3000)
    assert set(result["pages"]) == {"open_list", "daily_review", "monthly_statistics", "duplicates"}
    for page in result["pages"].values():
        assert set(page) == {"small_ms", "large_ms", "small_queries", "large_queries"}
        assert page["small_queries"] == page["large_queries"]
    assert result["worst_ratio"] > 0 and result["tickets"] == 3000
    assert Ticket.objects.count() == 3000
    # The aggregate agrees with the tickets it was rebuilt from.
    assert sum(TicketFact.objects.values_list("received", flat=True)) == 3000
    kinds = set(Ticket.objects.values_list("kind", flat=True))
    assert kinds == {"repair", "complaint", "help", "inquiry", "suggestion", "praise"}
    assert (
        Ticket.objects.filter(state="closed").exists()
        and Ticket.objects.filter(state="open").exists()
    )
    # Every complaint stands for an event of its own, as registering one makes it (R-CMP-07).
    complaints = Ticket.objects.filter(kind="complaint")
    assert complaints.exists()
    assert not complaints.filter(event__isnull=True).exists()
    assert complaints.filter(is_event_primary=True).count() == complaints.count()
