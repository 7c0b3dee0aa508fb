"""Resident accounts: sign-up, link requests and their approval.

The centre (a staff user whose role may change the owners' register on the unit's site)
approves any request; an approved owner of a unit approves its tenants and household members,
never another owner. Approving registers the resident in the people registers — the person is
found by phone number or registered once — and, for tenants and household members, adds the
register entry.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create
from wuye.core.crypto import decrypt
from wuye.core.errors import check_column, collecting, invalid
from wuye.core.identity import normalize_phone
from wuye.core.scoping import can_access_site
from wuye.estate.models import Unit
from wuye.people.models import Ownership, Person
from wuye.people.services import add_entry, phone_columns, register_person
from wuye.servicedesk.models import Channel, WorkOrder
from wuye.servicedesk.services import (
    RESIDENT_KINDS,
    Intake,
    hurry_ticket,
    register_ticket,
    sign_off_work_order,
)

from . import queries
from .models import ResidentAccount, ResidentLink


def resident_username(phone: str) -> str:
    return f"r{phone}"


def sign_up_resident(*, phone: str, name: str, password: str) -> ResidentAccount:
    """A new resident account; refused for a phone number that already has one."""
    name = " ".join((name or "").split())
    with collecting() as errors:
        if not name:
            errors.add("name", _("Name is required."), "required")
        check_column(errors, ResidentAccount, "name", name)
        number = None
        if not (phone or "").strip():
            errors.add("phone", _("A mobile number is required."), "required")
        else:
            number = errors.check(normalize_phone, phone)
        columns = errors.check(phone_columns, number) if number else None
        if columns and ResidentAccount.objects.filter(phone_hash=columns["phone_hash"]).exists():
            errors.add("phone", _("This mobile number already has an account."), "taken")
        # The password is checked against the login it would have, even when the number is bad.
        user = get_user_model()(username=resident_username(number or ""), first_name=name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.absorb(ValidationError({"password": exc.error_list}))
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            account = ResidentAccount.objects.create(
                user=user,
                name=name,
                phone_cipher=columns["phone_cipher"],
                phone_hash=columns["phone_hash"],
                phone_masked=columns["phone_masked"],
            )
            record_create(user, account)
    except IntegrityError as exc:
        raise invalid("phone", _("This mobile number already has an account."), "taken") from exc
    return account


OPEN_STATES = (ResidentLink.State.PENDING, ResidentLink.State.APPROVED)  # resident_link_one_open


def request_link(
    *, account: ResidentAccount, unit: Unit, role: str, note: str = ""
) -> ResidentLink:
    note = (note or "")[:200]
    with collecting() as errors:
        if role not in ResidentLink.Role.values:
            errors.add("role", _("Choose owner, tenant or household member."), "invalid_choice")
        check_column(errors, ResidentLink, "note", note)
        open_links = ResidentLink.objects.filter(account=account, unit=unit)
        if open_links.filter(state__in=OPEN_STATES).exists():
            errors.absorb(_link_taken())
    try:
        with transaction.atomic():
            link = ResidentLink.objects.create(
                site_id=unit.site_id, account=account, unit=unit, role=role, note=note
            )
            record_create(account.user, link)
    except IntegrityError as exc:
        raise _link_taken() from exc
    return link


def _link_taken() -> ValidationError:
    return invalid(
        "unit", _("You have already asked for this unit or are linked to it."), "duplicate"
    )


def is_owner_of(user, unit_id: int) -> bool:
    """An approved owner link to the unit."""
    return ResidentLink.objects.filter(
        account__user=user,
        unit_id=unit_id,
        role=ResidentLink.Role.OWNER,
        state=ResidentLink.State.APPROVED,
    ).exists()


def may_decide(user, link: ResidentLink) -> bool:
    """The centre decides any request; an approved owner decides tenants and household."""
    if can_access_site(user, link.site_id) and user.has_perm("people.change_ownership"):
        return True
    return link.role != ResidentLink.Role.OWNER and is_owner_of(user, link.unit_id)


def _decidable(link: ResidentLink, actor) -> ResidentLink:
    link = (
        ResidentLink.objects.select_for_update().select_related("account", "unit").get(pk=link.pk)
    )
    if not may_decide(actor, link):
        raise PermissionDenied(_("You may not decide this request."))
    if link.state != ResidentLink.State.PENDING:
        raise invalid(None, _("This request has already been decided."), "decided")
    return link


def approve_link(
    *,
    link: ResidentLink,
    actor,
    lease_start: datetime.date | None = None,
    lease_end: datetime.date | None = None,
) -> ResidentLink:
    """Approve a request: the resident is registered once (found by phone number) and, as a
    tenant or household member, entered in that register. An owner must already be in the
    owners' register — owners are registered by the centre at move-in."""
    from wuye.core.crypto import decrypt

    with transaction.atomic():
        link = _decidable(link, actor)
        account = link.account
        person = Person.objects.of_site(link.site_id).filter(phone_hash=account.phone_hash).first()
        if link.role == ResidentLink.Role.OWNER:
            owns = (
                person is not None
                and Ownership.objects.filter(
                    unit=link.unit, person=person, ended_on__isnull=True
                ).exists()
            )
            if not owns:
                raise invalid(
                    None,
                    _("%(name)s is not in the owners' register of %(unit)s; the centre "
                      "registers owners at move-in.") % {"name": account.name, "unit": link.unit},
                    "not_an_owner",
                )  # fmt: skip
        else:
            if person is None:
                person, _created = register_person(
                    site=link.site_id,
                    actor=actor,
                    name=account.name,
                    phone=decrypt(account.phone_cipher),
                    authorised=True,
                )
            if link.role == ResidentLink.Role.TENANT:
                if lease_start is None or lease_end is None:
                    raise invalid("lease_end", _("Give the lease's start and end."), "required")
                add_entry(
                    register="tenants",
                    site=link.site_id,
                    actor=actor,
                    authorised=True,
                    person=person,
                    unit=link.unit,
                    lease_start=lease_start,
                    lease_end=lease_end,
                )
            else:
                add_entry(
                    register="household",
                    site=link.site_id,
                    actor=actor,
                    authorised=True,
                    person=person,
                    unit=link.unit,
                )
        link.state = ResidentLink.State.APPROVED
        link.person = person
        link.decided_by = actor
        link.decided_at = timezone.now()
        link.save()
        record_action(actor, link, _("approved"))
    return link


def reject_link(*, link: ResidentLink, actor, reason: str = "") -> ResidentLink:
    reason = (reason or "")[:200]
    with collecting() as errors:
        check_column(errors, ResidentLink, "reason", reason)
    with transaction.atomic():
        link = _decidable(link, actor)
        link.state = ResidentLink.State.REJECTED
        link.reason = reason
        link.decided_by = actor
        link.decided_at = timezone.now()
        link.save()
        record_action(actor, link, _("rejected"), {"reason": [None, link.reason]})
    return link


# ---------------------------------------------------------------------------------------------
# Residents' own tickets: repairs, complaints, inquiries and suggestions, by the online channel
# (R-DSK-01; docs/servicedesk.md, Intake)


def file_ticket(*, account: ResidentAccount, unit_id: int, kind: str, subject: str,
                description: str = "", agreed_at=None, files=()):  # fmt: skip
    """A resident files a ticket about a unit they are linked to (approved)."""
    unit = queries.resident_unit(account.user, unit_id)
    with collecting() as errors:
        if kind not in RESIDENT_KINDS:
            errors.add("kind", _("Choose a repair, complaint, inquiry or suggestion."), "invalid_choice")  # fmt: skip
            # No kind the desk knows: register_ticket refuses it and still checks the rest,
            # so the subject's error comes with this one and nothing is registered.
            kind = ""
        return register_ticket(
            site=unit.site, actor=account.user, resident=account.user, authorised=True,
            intake=Intake(
                kind=kind, channel=Channel.ONLINE, subject=subject, description=description,
                caller_name=account.name, caller_phone=decrypt(account.phone_cipher), unit=unit,
                agreed_at=agreed_at if kind == "repair" else None, files=list(files),
            ),
        )  # fmt: skip


def hurry_own_ticket(*, user, ticket_id: int, note: str = ""):
    return hurry_ticket(ticket=queries.resident_ticket(user, ticket_id), actor=user, note=note,
                        authorised=True)  # fmt: skip


def rate_own_ticket(*, user, ticket_id: int, rating: int, comment: str = ""):
    """The resident rates the finished job of their own ticket (1–5 and a comment)."""
    ticket = queries.resident_ticket(user, ticket_id)
    order = WorkOrder.objects.filter(ticket=ticket, state=WorkOrder.State.DONE).order_by("-finished_at").first()  # fmt: skip
    if order is None:
        raise invalid(None, _("There is no finished job to rate yet."), "not_done")
    account = queries.account_of(user)
    return sign_off_work_order(work_order=order, actor=user, signed_by=account.name, rating=rating,
                               comment=comment, authorised=True)  # fmt: skip
