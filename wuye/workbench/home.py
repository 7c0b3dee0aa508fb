"""The home page: what each department's staff look at first."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.estate.models import Building, Facility, ParkingSpace, Unit
from wuye.staff.models import Department, Employee


def department_of(user) -> str | None:
    employee = getattr(user, "employee", None) if user.is_authenticated else None
    if employee is None:
        return None
    return employee.post.department.kind


def desk_cards(user, site) -> list[dict]:
    """The service desk's figures first: what is open, what is late, who to call back."""
    from wuye.servicedesk import queries as desk
    from wuye.servicedesk.services import employee_of

    cards = []
    if user.has_perm("servicedesk.view_ticket"):
        counts = desk.review_counts(site, timezone.localdate())
        desk_url = reverse("servicedesk:ticket_list")
        cards += [
            {"label": _("Open tickets"), "value": counts["open"], "url": desk_url},
            {
                "label": _("Overdue tickets"),
                "value": counts["overdue"],
                "url": desk_url + "?overdue=1",
            },
            {
                "label": _("Callbacks due"),
                "value": desk.callbacks_due(site).count(),
                "url": reverse("servicedesk:callbacks"),
            },
        ]
    me = employee_of(user, site)
    if me is not None and user.has_perm("servicedesk.work_on_workorder"):
        cards.append(
            {
                "label": _("My work orders"),
                "value": desk.my_work_orders(me).count(),
                "url": reverse("servicedesk:my_work"),
            }
        )
    return cards


def home_panels(request) -> dict:
    site = request.site
    if not site:
        return {"department": None, "cards": []}
    kind = department_of(request.user)
    units = Unit.objects.of_site(site)
    by_state = dict(units.values_list("state").annotate(n=Count("id")).order_by())
    cards = [
        {
            "label": _("Buildings"),
            "value": Building.objects.of_site(site).count(),
            "url": reverse("estate:building_list"),
        },
        {"label": _("Units"), "value": sum(by_state.values()), "url": reverse("estate:unit_list")},
        {
            "label": _("Occupied units"),
            "value": by_state.get(Unit.State.OCCUPIED, 0),
            "url": reverse("estate:unit_list") + "?state=occupied",
        },
        {
            "label": _("Vacant units"),
            "value": by_state.get(Unit.State.VACANT, 0),
            "url": reverse("estate:unit_list") + "?state=vacant",
        },
        {
            "label": _("Units under renovation"),
            "value": by_state.get(Unit.State.RENOVATING, 0),
            "url": reverse("estate:unit_list") + "?state=renovating",
        },
    ]
    cards = desk_cards(request.user, site) + cards
    if kind in (
        None,
        Department.Kind.MANAGEMENT,
        Department.Kind.ENGINEERING,
        Department.Kind.SECURITY,
    ):
        faulty = (
            Facility.objects.of_site(site)
            .filter(state__in=[Facility.State.FAULTY, Facility.State.UNDER_REPAIR])
            .count()
        )
        cards.append(
            {
                "label": _("Facilities faulty or under repair"),
                "value": faulty,
                "url": reverse("estate:facility_list") + "?state=faulty",
            }
        )
    if kind in (
        None,
        Department.Kind.MANAGEMENT,
        Department.Kind.SECURITY,
        Department.Kind.FINANCE,
    ):
        cards.append(
            {
                "label": _("Parking spaces"),
                "value": ParkingSpace.objects.of_site(site).count(),
                "url": reverse("estate:parking_list"),
            }
        )
    if kind in (None, Department.Kind.MANAGEMENT, Department.Kind.ADMINISTRATION):
        cards.append(
            {
                "label": _("Employees in service"),
                "value": Employee.objects.of_site(site).filter(is_active=True).count(),
                "url": reverse("staff:employee_list"),
            }
        )
    return {"department": kind, "department_label": _department_label(kind), "cards": cards}


def _department_label(kind: str | None) -> str:
    if kind is None:
        return _("Site overview")
    return str(Department.Kind(kind).label)
