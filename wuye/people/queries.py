"""Reads the register pages, the API, exports and reports share."""

from __future__ import annotations

import contextlib
import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from wuye.core.identity import normalize_phone, phone_digits, pinyin_query
from wuye.estate.models import Unit

from .models import (
    HouseholdMember,
    MoveIn,
    Ownership,
    OwnershipTransfer,
    Person,
    PersonalDataView,
    Tenancy,
    Vehicle,
)
from .registers import REGISTERS, Register
from .services import document_hash, normalize_plate, phone_hash, register_settings

# 1-2-1001, 1栋2单元1001室, 1幢1001, 1号楼2单元1001, 1#2-1001
_UNIT_TEXT = re.compile(
    r"^(?P<building>[0-9A-Za-z]+?)(?:栋|幢|座|号楼|#|-)"
    r"(?:(?P<entrance>[0-9A-Za-z]+?)(?:单元|-))?"
    r"(?P<number>[0-9A-Za-z]+?)(?:室|号|房)?$"
)


def unit_code_candidates(text: str) -> list[str]:
    """The unit codes a clerk or a legacy register may mean by `text`: 1栋2单元1001 and
    1-2-1001 both mean 1-2-1001; 1-2-801 may mean 1-2-0801."""
    compact = re.sub(r"\s+", "", text or "").upper()
    match = _UNIT_TEXT.match(compact)
    if not match:
        return [compact] if compact else []
    building, entrance, number = match.group("building", "entrance", "number")
    numbers = [number]
    if number.isdigit() and len(number) < 4:
        numbers.append(number.zfill(4))
    prefix = f"{building}-{entrance}-" if entrance else f"{building}-"
    return [prefix + n for n in numbers]


def _looks_like_plate(text: str) -> bool:
    return bool(re.match(r"^[\u4e00-\u9fff][A-Za-z]", text))


def _current_people_of_units(unit_ids) -> Q:
    return (
        Q(ownerships__unit__in=unit_ids, ownerships__ended_on__isnull=True)
        | Q(tenancies__unit__in=unit_ids, tenancies__moved_out_on__isnull=True)
        | Q(households__unit__in=unit_ids, households__left_on__isnull=True)
    )


def search_people(site, q: str = "", *, to_clean: str = "") -> QuerySet[Person]:
    """People of a site matching a search box: name, its pinyin or initials (`zhangsan`,
    `zs`), a unit (1-2-1001 or 1栋2单元1001), the last four digits of a phone, a whole phone
    or document number (by keyed hash — nothing is decrypted), or a plate."""
    people = Person.objects.of_site(site)
    if to_clean:
        people = people.filter(to_clean=True)
    text = (q or "").strip()
    if not text:
        return people
    condition = Q(name__contains=text)
    letters = pinyin_query(text)
    if letters.isascii() and letters.isalpha():
        condition |= Q(name_pinyin__contains=letters)
    digits = phone_digits(text)
    if text.isdigit() and len(text) == 4:
        condition |= Q(phone_last4=text)
    if len(digits) >= 7 and len(digits) == len(re.sub(r"[\s\-+]", "", text)):
        with contextlib.suppress(ValidationError):
            condition |= Q(phone_hash=phone_hash(normalize_phone(text)))
    if len(text) >= 8 and text.replace(" ", "").isalnum():
        condition |= Q(id_number_hash=document_hash(text))
    if any(ch.isdigit() for ch in text):
        codes = unit_code_candidates(text)
        units = Unit.objects.of_site(site).filter(
            Q(code__in=codes) | (Q(code__startswith=text) if "-" in text else Q(pk__in=[]))
        )
        condition |= _current_people_of_units(units.values("pk"))
    if _looks_like_plate(text):
        plates = Vehicle.objects.of_site(site).filter(
            plate__startswith=normalize_plate(text), ended_on__isnull=True
        )
        condition |= Q(pk__in=plates.values("person_id"))
    return people.filter(pk__in=people.filter(condition).values("pk"))


def with_current_units(people: QuerySet[Person]) -> QuerySet[Person]:
    """Prefetch each person's current ownerships, tenancies and households with their units:
    three queries however many people are shown."""
    unit = "unit"
    return people.prefetch_related(
        Prefetch(
            "ownerships",
            Ownership.objects.filter(ended_on__isnull=True).select_related(unit),
            to_attr="current_ownerships",
        ),
        Prefetch(
            "tenancies",
            Tenancy.objects.filter(moved_out_on__isnull=True).select_related(unit),
            to_attr="current_tenancies",
        ),
        Prefetch(
            "households",
            HouseholdMember.objects.filter(left_on__isnull=True).select_related(unit),
            to_attr="current_households",
        ),
    )


@dataclass
class Occupants:
    owners: list[Ownership]
    past_owners: list[Ownership]
    tenants: list[Tenancy]
    past_tenants: list[Tenancy]
    household: list[HouseholdMember]
    past_household: list[HouseholdMember]
    move_ins: list[MoveIn]
    transfers: list[OwnershipTransfer]

    @property
    def people(self) -> list[Person]:
        entries = (
            self.owners
            + self.past_owners
            + self.tenants
            + self.past_tenants
            + self.household
            + self.past_household
        )
        return list({e.person_id: e.person for e in entries}.values())


def unit_occupants(unit: Unit) -> Occupants:
    """Who is at `unit` now and who was before."""
    owners = list(Ownership.objects.filter(unit=unit).select_related("person", "transfer_in"))
    tenants = list(Tenancy.objects.filter(unit=unit).select_related("person"))
    household = list(HouseholdMember.objects.filter(unit=unit).select_related("person"))
    return Occupants(
        owners=[o for o in owners if o.ended_on is None],
        past_owners=sorted(
            (o for o in owners if o.ended_on), key=lambda o: o.ended_on, reverse=True
        ),
        tenants=[t for t in tenants if t.moved_out_on is None],
        past_tenants=[t for t in tenants if t.moved_out_on],
        household=[h for h in household if h.left_on is None],
        past_household=[h for h in household if h.left_on],
        move_ins=list(MoveIn.objects.filter(unit=unit)),
        transfers=list(OwnershipTransfer.objects.filter(unit=unit)),
    )


def person_entries(person: Person) -> list[tuple[Register, list]]:
    """Every register entry of one person, current and past, register by register."""
    found = []
    for register in REGISTERS.values():
        related = [register.unit_field] if register.unit_field else []
        entries = list(
            register.model.objects.filter(**{register.person_field: person}).select_related(
                *related
            )
        )
        if entries:
            found.append((register, entries))
    return found


# ---------------------------------------------------------------------------------------------
# Verification and expiry (R-CUS-02)


def period_start(site, today: datetime.date | None = None) -> datetime.datetime:
    """The start of the current verification period: the 1st of this month when the site
    verifies monthly, of this quarter when every three months, and so on."""
    months = register_settings(site).verification_months
    today = today or timezone.localdate()
    first_month = (today.month - 1) // months * months + 1
    start = datetime.date(today.year, first_month, 1)
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def overdue(register: Register, site, since: datetime.datetime) -> QuerySet:
    current = register.current(register.model.objects.of_site(site))
    return current.filter(Q(verified_at__isnull=True) | Q(verified_at__lt=since))


def verification_overview(site, today: datetime.date | None = None) -> list[dict]:
    """Per register: current entries and how many are not verified this period."""
    since = period_start(site, today)
    rows = []
    for register in REGISTERS.values():
        counts = register.current(register.model.objects.of_site(site)).aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(verified_at__isnull=True) | Q(verified_at__lt=since)),
        )
        rows.append({"register": register, **counts})
    return rows


def expiring(site, today: datetime.date | None = None, days: int | None = None) -> list[dict]:
    """Current entries whose visa, vaccination, lease, pass, parking term or committee term
    ends within the warning window (or has already ended), soonest first."""
    today = today or timezone.localdate()
    days = register_settings(site).expiry_warning_days if days is None else days
    horizon = today + datetime.timedelta(days=days)
    rows = []
    for register in REGISTERS.values():
        if not register.expiry_field:
            continue
        related = [register.person_field] + ([register.unit_field] if register.unit_field else [])
        entries = (
            register.current(register.model.objects.of_site(site))
            .filter(**{f"{register.expiry_field}__lte": horizon})
            .select_related(*related)
            .order_by(register.expiry_field)
        )
        for entry in entries:
            expires = getattr(entry, register.expiry_field)
            rows.append(
                {
                    "register": register,
                    "entry": entry,
                    "person": getattr(entry, register.person_field),
                    "unit": getattr(entry, register.unit_field) if register.unit_field else None,
                    "what": entry._meta.get_field(register.expiry_field).verbose_name,
                    "expires": expires,
                    "days_left": (expires - today).days,
                    "expired": expires < today,
                }
            )
    return sorted(rows, key=lambda row: row["expires"])


# ---------------------------------------------------------------------------------------------
# The confidentiality self-check (R-CUS-05)


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return (
        timezone.make_aware(datetime.datetime.combine(start, datetime.time.min)),
        timezone.make_aware(datetime.datetime.combine(end, datetime.time.min)),
    )


def privacy_views(site, start, end, department: int | None = None) -> QuerySet:
    views = PersonalDataView.objects.filter(site=site, at__gte=start, at__lt=end)
    if department:
        views = views.filter(department_id=department)
    return views.select_related("actor", "department", "person").order_by("-at", "-id")


def privacy_summary(views: QuerySet) -> list[dict]:
    """Views per department and viewer: how many, of how many people, first and last."""
    from django.db.models import Max, Min

    return list(
        views.order_by()
        .values("department__name", "actor__username", "actor__first_name", "actor__last_name")
        .annotate(
            views=Count("pk"),
            people=Count("person", distinct=True),
            first=Min("at"),
            last=Max("at"),
        )
        .order_by("department__name", "-views")
    )
