"""The home page: each of the person's roles' work to do now (`work`), then the site's
figures their department looks at."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from wuye.estate.models import Building, Facility, ParkingSpace, Unit
from wuye.servicedesk.facts import site_zone
from wuye.staff.models import Department, Employee

from .work import sections_for, viewer


def home_panels(request) -> dict:
    site = request.site
    if not site:
        return {"department": None, "cards": [], "sections": []}
    who = viewer(request.user, site)
    kind = who.employee.post.department.kind if who.employee else None
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
    return {
        "department": kind,
        "department_label": _department_label(kind),
        "cards": cards,
        "sections": sections_for(who),
        "now": who.now,
        "zone": site_zone(site),
    }


def _department_label(kind: str | None) -> str:
    if kind is None:
        return _("Site overview")
    return str(Department.Kind(kind).label)
