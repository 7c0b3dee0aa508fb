"""The staff workbench's side navigation, as data: groups of links, each shown to those who
hold one of its permissions. The link marked active is the one whose path is the longest
prefix of the page's path, so a page under /billing/arrears/ lights "Arrears" and any other
page under /billing/ lights "Cashier" — without each link listing the others' paths."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    perms: tuple[str, ...] = ()  # any of them; none: every signed-in staff member
    also: tuple[str, ...] = ()  # further paths that belong to this link
    exact: bool = False  # only its own path (the home page)
    staff_only: bool = False
    href: str = ""  # a fixed address instead of a URL name


@dataclass(frozen=True)
class Group:
    label: str
    links: tuple[Link, ...]


BILLING_DESK = ("ledger.view_billline",)
NAV = (
    Group("", (
        Link("workbench:home", _("Home"), exact=True),
        Link("approvals:inbox", _("Approvals"), ("approvals.view_approvalrequest",), also=("/billing/approvals/",)),
    )),
    Group(_("Service desk"), (
        Link("servicedesk:ticket_list", _("Tickets"), ("servicedesk.view_ticket",), also=("/desk/",)),
        Link("servicedesk:my_work", _("My work"), ("servicedesk.work_on_workorder",), also=("/desk/work",)),
    )),
    Group(_("Billing"), (
        Link("billing:cashier", _("Cashier"), BILLING_DESK),
        Link("billing:arrears", _("Arrears"), BILLING_DESK),
        Link("billing:late_fees", _("Late fees"), ("billing.view_latefee",)),
        Link("billing:relief_rules", _("Relief"), ("billing.view_reliefrule",)),
        Link("billing:collection_rate", _("Collection rate"), ("billing.view_collection_rate",)),
        Link("billing:fee_items", _("Fee items"), ("billing.view_feeitem",)),
        Link("billing:runs", _("Bill runs"), ("billing.view_billrun",)),
        Link("pastbills:history_import", _("Past bills"), ("billing.run_bills",), also=("/billing/history/",)),
        Link("billing:leases", _("Leases"), ("billing.view_lease",)),
        Link("billing:readings", _("Meter readings"), ("billing.add_meterreading",)),
        Link("billing:meters", _("Meters"), ("billing.view_meter",)),
    )),
    Group(_("Collections"), (
        Link("dunning:notices", _("Notices"), ("dunning.view_notice",)),
        Link("dunning:promises", _("Promises to pay"), ("dunning.view_chasingentry",)),
        Link("onlinepay:orders", _("Online payment"), ("onlinepay.view_onlineorder",), also=("/pay/",)),
    )),
    Group(_("Estate"), (
        Link("estate:building_list", _("Buildings")),
        Link("estate:unit_list", _("Units")),
        Link("estate:parking_list", _("Parking spaces")),
        Link("estate:facility_list", _("Facilities")),
    )),
    Group(_("Customers"), (
        Link("people:person_list", _("Customers")),
        Link("people:verification", _("Verification")),
        Link("portal:requests", _("Resident requests"), ("people.change_ownership",)),
        Link("people:privacy_report", _("Privacy report"), ("people.view_privacy_log",), also=("/people/privacy",)),
    )),
    Group(_("Staff"), (
        Link("staff:employee_list", _("Employees")),
        Link("staff:organisation", _("Organisation")),
        Link("staff:authority", _("Authority matrix")),
    )),
    Group(_("System"), (
        Link("", _("API"), href="/api/v1/docs"),
        Link("", _("Reference data"), href="/admin/", staff_only=True),
    )),
)  # fmt: skip


def _may_see(user, link: Link) -> bool:
    if link.staff_only and not user.is_staff:
        return False
    return not link.perms or any(user.has_perm(perm) for perm in link.perms)


def navigation(user, path: str) -> list[dict]:
    """The groups the user may see, each with its visible links and the active one marked."""
    groups, best, best_length = [], None, -1
    for group in NAV:
        links = []
        for link in group.links:
            if not _may_see(user, link):
                continue
            href = link.href or reverse(link.url_name)
            item = {"href": href, "label": link.label, "active": False}
            for prefix in (href, *link.also):
                matches = path == prefix if link.exact else path.startswith(prefix)
                if matches and len(prefix) > best_length:
                    best, best_length = item, len(prefix)
            links.append(item)
        if links:
            groups.append({"label": group.label, "links": links})
    if best is not None:
        best["active"] = True
    return groups
