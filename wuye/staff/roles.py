"""Roles: Django groups with the permissions each kind of staff needs.

A role is granted through an employee's post (`Post.role`) or directly to a user. Which site's
rows a user sees is a separate question, answered by site membership (`wuye.core.scoping`).
Later capabilities add their permissions to these roles here.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ESTATE_MODELS = ["building", "entrance", "unit", "parkingspace", "facility"]
REGISTER_MODELS = [
    "person",
    "ownership",
    "tenancy",
    "householdmember",
    "shop",
    "foreignresident",
    "domestichelper",
    "pet",
    "vehicle",
    "specialgroupmember",
    "supplierworker",
    "committeemember",
    "movein",
    "ownershiptransfer",
]
DESK_SETTINGS = ["desksettings", "category", "rootcause", "priceitem"]
DESK_WORK = [
    ("servicedesk", "view_ticket"),
    ("servicedesk", "view_workorder"),
    ("servicedesk", "work_on_workorder"),
]
DESK_CLERK = [
    ("servicedesk", "view_ticket"),
    ("servicedesk", "add_ticket"),
    ("servicedesk", "change_ticket"),
    ("servicedesk", "dispatch_ticket"),
    ("servicedesk", "view_workorder"),
    ("servicedesk", "view_callback"),
]
DESK_SUPERVISOR = DESK_CLERK + [
    ("servicedesk", "supervise_ticket"),
    ("servicedesk", "validate_complaint"),
    ("servicedesk", "view_desk_statistics"),
    ("servicedesk", "view_dailyreview"),
]
# Full ID, passport and phone numbers (R-CUS-04): the roles that call and meet residents.
PERSONAL_DATA = [("people", "view_personal_data")]


def _perms(app: str, actions: list[str], models: list[str]) -> list[tuple[str, str]]:
    return [(app, f"{action}_{model}") for model in models for action in actions]


BILLING_SETUP = _perms("billing", ["view", "add", "change"], ["feeitem", "rate", "meter", "lease"])
# 抄表: whoever walks the meters (engineers, cashiers at small sites, finance).
METER_READING = [
    ("billing", "view_meter"),
    ("billing", "view_meterreading"),
    ("billing", "add_meterreading"),
]
BILLING_POSTING = METER_READING + [
    ("billing", "view_lease"),
    ("billing", "view_deposit"),
    ("billing", "add_deposit"),
    ("billing", "view_refund"),
    ("approvals", "view_approvalrequest"),
    ("approvals", "add_approvalrequest"),
    ("billing", "view_cashierclose"),
    ("billing", "add_cashierclose"),
    ("billing", "view_payment"),
    ("billing", "add_payment"),
    ("billing", "view_receipt"),
    ("ledger", "view_billline"),
    ("ledger", "add_billline"),
    ("billing", "view_billrun"),
    # Online payment: orders, the gateway's notifications and the reconciliations, to read.
    ("onlinepay", "view_onlineorder"),
    ("onlinepay", "view_gatewaynotification"),
    ("onlinepay", "view_reconciliation"),
    # 滞纳金 (R-FEE-04): seen and posted at the counter; a waiver only asked for.
    ("billing", "view_latefeerule"),
    ("billing", "view_latefee"),
    # 减免: rules and entries seen at the counter (a pay-ahead offer is taken as a payment).
    ("billing", "view_reliefrule"),
    ("billing", "view_reliefentry"),
    ("billing", "view_vacancyapplication"),
]
BILLING_FINANCE = (
    BILLING_SETUP
    + BILLING_POSTING
    + [
        ("billing", "run_bills"),
        ("billing", "cancel_billline"),
        ("billing", "void_payment"),
        ("billing", "add_refund"),
        ("billing", "change_meterreading"),
        # Deciding approval requests, each within the post's authority (R-ADM-02).
        ("approvals", "change_approvalrequest"),
        ("onlinepay", "reconcile"),
        # Late-fee rules, and waivers within the post's authority (R-FEE-04, R-ADM-02).
        ("billing", "add_latefeerule"),
        ("billing", "change_latefeerule"),
        ("billing", "add_latefeewaiver"),
        # Relief rules, and vacancy relief applied for, inspected and decided (R-ADM-02).
        ("billing", "add_reliefrule"),
        ("billing", "change_reliefrule"),
        ("billing", "add_vacancyapplication"),
        ("billing", "inspect_vacancyapplication"),
        ("billing", "approve_vacancyapplication"),
    ]
)
# 空置房减免: the customer-service clerk applies and may record the inspection; an engineer
# inspects the unit.
VACANCY_CLERK = [
    ("billing", "view_reliefrule"),
    ("billing", "view_vacancyapplication"),
    ("billing", "add_vacancyapplication"),
    ("billing", "inspect_vacancyapplication"),
]
VACANCY_INSPECTION = [
    ("billing", "view_vacancyapplication"),
    ("billing", "inspect_vacancyapplication"),
]

# Notices and chasing arrears (R-FEE-03): the collections work of cashiers, finance and the
# customer-service clerks; the notices' layout is finance's.
DUNNING = _perms("dunning", ["view", "add"], ["notice", "noticedelivery", "chasingentry"]) + [
    ("dunning", "view_noticebatch")
]
DUNNING_LAYOUT = _perms("dunning", ["view", "change"], ["noticelayout"])
# The collection rate and its statistics (R-FEE-05, R-KPI-01): finance and the managers (the
# centre head holds the manager role); a site's own targets are the managers'.
COLLECTION_RATE = [("billing", "view_collection_rate")]

ROLES: dict[str, dict] = {
    "manager": {
        "label": _("Site manager"),
        "perms": _perms("estate", ["view", "add", "change"], ESTATE_MODELS)
        + _perms("staff", ["view", "add", "change"], ["employee"])
        + _perms("staff", ["view"], ["post", "department"])
        # Site overrides of the authority matrix; the company's rules need
        # `staff.set_company_authority`, which no site role holds.
        + _perms("staff", ["view", "change"], ["authorityrule"])
        + _perms("people", ["view", "add", "change"], REGISTER_MODELS)
        + _perms("people", ["view", "change"], ["registersettings"])
        + PERSONAL_DATA
        + [("people", "view_privacy_log"), ("core", "view_auditentry")]
        + DESK_SUPERVISOR
        + _perms("servicedesk", ["view", "add", "change"], DESK_SETTINGS)
        + BILLING_FINANCE
        + DUNNING
        + DUNNING_LAYOUT
        + COLLECTION_RATE
        + [("billing", "change_collectiontarget")],
    },
    "cs_clerk": {
        "label": _("Customer-service clerk"),
        "perms": _perms("estate", ["view", "add", "change"], ESTATE_MODELS)
        + _perms("staff", ["view"], ["employee"])
        + _perms("people", ["view", "add", "change"], REGISTER_MODELS)
        + PERSONAL_DATA
        + DESK_CLERK
        + _perms("servicedesk", ["view"], DESK_SETTINGS)
        + DUNNING
        + VACANCY_CLERK,
    },
    "cs_supervisor": {
        "label": _("Customer-service supervisor"),
        "perms": _perms("estate", ["view", "add", "change"], ESTATE_MODELS)
        + _perms("staff", ["view"], ["employee"])
        + _perms("people", ["view", "add", "change"], REGISTER_MODELS)
        + PERSONAL_DATA
        + DESK_SUPERVISOR
        + _perms("servicedesk", ["view"], DESK_SETTINGS),
    },
    "engineer": {
        "label": _("Engineer"),
        "perms": _perms("estate", ["view"], ESTATE_MODELS)
        + _perms("people", ["view"], ["person", "ownership", "tenancy"])
        + _perms("estate", ["change"], ["facility"])
        + _perms("staff", ["view"], ["employee"])
        + DESK_WORK
        + _perms("servicedesk", ["view"], ["priceitem"])
        + METER_READING
        + VACANCY_INSPECTION,
    },
    "guard": {
        "label": _("Guard"),
        "perms": _perms("estate", ["view"], ESTATE_MODELS)
        + _perms("people", ["view"], ["person", "vehicle", "supplierworker", "pet"])
        # Guards take help requests at night and record what they did (R-HLP-04, R-HLP-05).
        + [("servicedesk", c) for c in ("view_ticket", "add_ticket", "change_ticket")],
    },
    "cashier": {
        "label": _("Cashier"),
        "perms": _perms("estate", ["view"], ESTATE_MODELS)
        + _perms("people", ["view"], ["person", "ownership", "tenancy"])
        + _perms("billing", ["view"], ["feeitem", "rate"])
        + BILLING_POSTING
        + DUNNING,
    },
    "finance": {
        "label": _("Finance"),
        "perms": _perms("estate", ["view"], ESTATE_MODELS)
        + _perms("staff", ["view"], ["employee", "authorityrule"])
        + BILLING_FINANCE
        + DUNNING
        + DUNNING_LAYOUT
        + COLLECTION_RATE,
    },
    "environment": {
        "label": _("Environment supervisor"),
        "perms": _perms("estate", ["view"], ESTATE_MODELS)
        + _perms("staff", ["view"], ["employee"])
        + DESK_WORK
        + [("servicedesk", "change_ticket"), ("servicedesk", "dispatch_ticket")],
    },
    "environment_staff": {
        "label": _("Cleaning and greening staff"),
        "perms": _perms("estate", ["view"], ["building", "facility"]) + DESK_WORK,
    },
    "hr_admin": {
        "label": _("Administration and HR"),
        "perms": _perms("estate", ["view"], ["building"])
        + _perms("staff", ["view", "add", "change"], ["employee"])
        + _perms("staff", ["view"], ["authorityrule", "post", "department"])
        + [("people", "view_privacy_log"), ("core", "view_auditentry")],
    },
    "office_clerk": {
        "label": _("Office clerk"),
        "perms": _perms("estate", ["view"], ["building"]) + _perms("staff", ["view"], ["employee"]),
    },
}


def ensure_roles() -> dict[str, Group]:
    """Create or refresh every role group with exactly its permissions. Safe to run often."""
    groups = {}
    for code, spec in ROLES.items():
        group, _created = Group.objects.get_or_create(name=code)
        query = Q(pk__in=[])
        for app, codename in spec["perms"]:
            query |= Q(content_type__app_label=app, codename=codename)
        group.permissions.set(Permission.objects.filter(query))
        groups[code] = group
    return groups


def role_label(code: str) -> str:
    spec = ROLES.get(code)
    return str(spec["label"]) if spec else code
