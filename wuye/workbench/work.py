"""Work to do now: the sections of the home page, one per role a person holds.

The desk (customer-service clerks and supervisors), a worker with work orders, the cashier and a
head (the project manager, the centre head, a department's supervisor) each get a section of
short lists — at most `ROWS` rows with the key facts and a link to each record — and each
list's count links to its full, filtered list. The reads are the apps' own (`queries`); each
list costs a fixed number of queries, however many rows it has.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.approvals import queries as approval_queries
from wuye.approvals.queries import describe
from wuye.approvals.services import DECIDE
from wuye.billing import queries as billing
from wuye.billing.models import Payment, VacancyApplication
from wuye.billing.relief import applications_of
from wuye.portal.queries import pending_for_site
from wuye.servicedesk import queries as desk
from wuye.servicedesk.facts import site_zone
from wuye.staff.models import Department, Employee

ROWS = 8
ROWS_TEMPLATE = "workbench/_home_rows.html#"
DESK_ROLES = {"cs_clerk", "cs_supervisor"}
CASHIER_ROLES = {"cashier"}


@dataclass
class Listing:
    key: str  # the element's id and the name of its rows' partial
    title: str
    url: str  # the full, filtered list
    rows: list
    count: int | None = None  # None: a list without a count (the last receipts)
    link_label: str = ""  # for a list without a count: what its link opens

    @property
    def template(self) -> str:
        return ROWS_TEMPLATE + self.key

    @property
    def more(self) -> bool:
        return self.count is not None and self.count > len(self.rows)


@dataclass
class Section:
    key: str
    title: str
    listings: list[Listing] = field(default_factory=list)
    takings: object = None  # the cashier's day (`billing.daily_close.CashierDay`)
    methods: list = field(default_factory=list)  # (label, amount) of the takings, in order


@dataclass
class Viewer:
    """Who is looking, read once: their employee record at the site and their roles."""

    user: object
    site: object
    employee: Employee | None
    roles: set[str]
    now: datetime.datetime

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now, timezone=site_zone(self.site))

    @property
    def heads_the_site(self) -> bool:
        """The project manager, the centre head, and manager accounts of no post."""
        if self.employee is None:
            return self.user.is_superuser or "manager" in self.roles
        return self.employee.post.department.kind == Department.Kind.MANAGEMENT

    @property
    def is_head(self) -> bool:
        return self.heads_the_site or bool(self.employee and self.employee.post.is_head)


def viewer(user, site, now: datetime.datetime | None = None) -> Viewer:
    employee = (
        Employee.objects.filter(user=user, site=site, is_active=True)
        .select_related("post__department", "post__superior", "superior", "site")
        .first()
    )
    roles = set(user.groups.values_list("name", flat=True))
    return Viewer(user, site, employee, roles, now or timezone.now())


def _url(name: str, **params) -> str:
    return reverse(name) + (f"?{urlencode(params)}" if params else "")


def _listing(key: str, title: str, found: QuerySet, url: str, rows=None) -> Listing:
    """The first `ROWS` of `found` and how many there are in all (two queries)."""
    return Listing(
        key, title, url, rows if rows is not None else list(found[:ROWS]), count=found.count()
    )


def _on_the_clock(listing: Listing, now: datetime.datetime) -> Listing:
    """Each ticket row's seconds to its deadline (negative: overdue), for the clock badges to
    say "under a minute" where Django's `timeuntil` would say "0 minutes"."""
    for ticket in listing.rows:
        ticket.seconds_left = int((ticket.due_at - now).total_seconds())
    return listing


# ---------------------------------------------------------------------------------------------
# The sections


def desk_section(who: Viewer) -> Section:
    """Help requests on their 5-minute clock, tickets about to breach, callbacks due today."""
    tickets = desk.open_tickets(who.site)
    return Section("desk", _("At the desk"), [
        _on_the_clock(_listing("help", _("Help requests waiting for the first answer"),
                               desk.awaiting_first_answer(tickets, who.now),
                               _url("servicedesk:ticket_list", kind="help", waiting=1)), who.now),
        _on_the_clock(_listing("due_soon", _("About to breach"), desk.due_soon(tickets, who.now),
                               _url("servicedesk:ticket_list", clock="due_soon")), who.now),
        _listing("callbacks", _("Callbacks due today"), desk.callbacks_due_by(who.site, who.today),
                 _url("servicedesk:callbacks", due="today")),
    ])  # fmt: skip


def work_section(who: Viewer) -> Section:
    """The worker's orders by visit time (the late ones first) and the pool's he may take."""
    mine = desk.my_work_orders(who.employee)
    pool = desk.pool(who.site, who.employee)
    url = reverse("servicedesk:my_work")
    orders = _listing("orders", _("My work orders by visit time"), mine, url)
    for order in orders.rows:
        order.late = order.visit_at <= who.now and order.arrived_at is None
    return Section("work", _("My work"), [
        orders, _listing("pool", _("In the pool for you to take"), pool, url + "#pool"),
    ])  # fmt: skip


def cashier_section(who: Viewer) -> Section:
    """Today's takings, by method, and the last receipts."""
    day = billing.takings_today(who.site, who.user)
    methods = [
        (label, day.by_method[value])
        for value, label in Payment.Method.choices
        if value in day.by_method
    ]
    close = _url("billing:daily_close", day=who.today.isoformat())
    receipts = Listing(
        "receipts", _("Last receipts"), close, list(billing.last_receipts(who.site, who.user, ROWS)),
        link_label=_("Daily close"),
    )  # fmt: skip
    return Section("cashier", _("At the counter today"), [receipts], takings=day, methods=methods)


def head_section(who: Viewer) -> Section:
    """What waits for the head's decision and what breached under them, side by side first;
    then the vacancy reliefs and residents' requests, for those who decide them."""
    user, site = who.user, who.site
    listings = []
    if user.has_perm(DECIDE):
        found = approval_queries.to_decide(user, site)
        listings.append(_listing(
            "approvals", _("Approval requests for you to decide"), found,
            _url("approvals:inbox", for_me=1), rows=describe(site, list(found[:ROWS])),
        ))  # fmt: skip
    if user.has_perm("servicedesk.view_ticket"):
        late = desk.overdue(desk.open_tickets(site), who.now)
        if who.heads_the_site or who.employee is None:
            title, url = _("Overdue tickets"), _url("servicedesk:ticket_list", overdue=1)
        else:
            late = desk.overseen_by(late, who.employee)
            title = _("Overdue in your department or escalated to you")
            url = _url("servicedesk:ticket_list", overdue=1, oversee=1)
        breached = _listing("breached", title, late.select_related("escalated_to"), url)
        listings.append(_on_the_clock(breached, who.now))
    if user.has_perm("billing.approve_vacancyapplication"):
        inspected = VacancyApplication.State.INSPECTED
        listings.append(_listing(
            "vacancy", _("Vacancy relief to decide"), applications_of(site, state=inspected),
            _url("billing:vacancy_applications", state=inspected),
        ))  # fmt: skip
    if user.has_perm("people.change_ownership"):
        listings.append(_listing(
            "resident_requests", _("Residents asking to see a unit"), pending_for_site(site),
            reverse("portal:requests"),
        ))  # fmt: skip
    return Section("head", _("Waiting for you"), listings)


def sections_for(who: Viewer) -> list[Section]:
    """Each of the viewer's sections, in the order a day's work comes."""
    user = who.user
    found = []
    if who.roles & DESK_ROLES and user.has_perm("servicedesk.view_ticket"):
        found.append(desk_section(who))
    if who.employee is not None and user.has_perm("servicedesk.work_on_workorder"):
        found.append(work_section(who))
    if who.roles & CASHIER_ROLES and user.has_perm("billing.add_payment"):
        found.append(cashier_section(who))
    if who.is_head:
        head = head_section(who)
        if head.listings:
            found.append(head)
    return found
