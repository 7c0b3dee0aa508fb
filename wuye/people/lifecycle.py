"""The lifecycle of a unit's occupants (R-CUS-03): move-in, ownership transfer, tenants moving
in and out. Old owners' and tenants' entries are ended, never overwritten, so the unit page
shows who is there now and who was before."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import record_create, record_update, snapshot
from wuye.core.errors import check_column, collecting, invalid
from wuye.core.permissions import ensure_can
from wuye.estate.models import Unit
from wuye.estate.services import update_unit

from .models import MoveIn, Ownership, OwnershipTransfer, Person, Tenancy
from .registers import REGISTERS
from .services import add_entry, check_entry, end_entry

# What the centre hands over at a move-in (入住), in the order of the checklist on the page.
MOVE_IN_CHECKLIST = [
    ("keys", gettext_lazy("Door keys")),
    ("access_card", gettext_lazy("Access cards")),
    ("residence_manual", gettext_lazy("Residence manual (住宅使用说明书)")),
    ("quality_guarantee", gettext_lazy("Quality guarantee (住宅质量保证书)")),
    ("management_rules", gettext_lazy("Management rules (管理规约)")),
    ("renovation_rules", gettext_lazy("Renovation rules (装修管理规定)")),
    ("meter_readings", gettext_lazy("Meter readings confirmed")),
    ("service_card", gettext_lazy("Service-centre contact card")),
]
CHECKLIST_CODES = {code for code, _label in MOVE_IN_CHECKLIST}
HUNDRED = Decimal("100")


@dataclass
class NewOwner:
    person: Person
    share: Decimal | None = None


def _check_past(field: str, value: datetime.date, label: str) -> None:
    if value is None:
        raise invalid(field, _("%(label)s is required.") % {"label": label}, "required")
    if value > timezone.localdate():
        raise invalid(field, _("%(label)s can't be in the future.") % {"label": label}, "future")


def split_shares(owners: list[NewOwner]) -> list[Decimal]:
    """The shares as given, or (none given) 100% split equally, the remainder to the first."""
    if not owners:
        raise invalid("owners", _("Name at least one owner."), "required")
    given = [o.share for o in owners]
    if all(share is None for share in given):
        each = (HUNDRED / len(owners)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        shares = [each] * len(owners)
        shares[0] += HUNDRED - each * len(owners)
        return shares
    if any(share is None for share in given):
        raise invalid("owners", _("Give every owner a share, or none."), "shares_partial")
    shares = [Decimal(share) for share in given]
    if any(share <= 0 for share in shares) or sum(shares) != HUNDRED:
        raise invalid(
            "owners",
            _("The owners' shares must be above 0 and add up to 100%% (they add up to %(sum)s%%).")
            % {"sum": sum(shares)},
            "shares_total",
        )
    return shares


def _check_owners(unit: Unit, owners: list[NewOwner]) -> list[Decimal]:
    shares = split_shares(owners)
    seen = set()
    for owner in owners:
        if owner.person.site_id != unit.site_id:
            raise invalid("owners", _("This person is not on this site."), "wrong_site")
        if owner.person.pk in seen:
            raise invalid(
                "owners",
                _("%(name)s is named twice.") % {"name": owner.person.name},
                "owner_twice",
            )
        seen.add(owner.person.pk)
    return shares


def _create_owners(actor, unit, owners, shares, title_date, **links) -> list[Ownership]:
    created = []
    for owner, share in zip(owners, shares, strict=True):
        ownership = Ownership(
            site_id=unit.site_id,
            unit=unit,
            person=owner.person,
            share=share,
            title_date=title_date,
            **links,
        )
        check_entry(REGISTERS["owners"], ownership)
        ownership.save()
        record_create(actor, ownership)
        created.append(ownership)
    return created


def _lock_unit(unit: Unit) -> Unit:
    return Unit.objects.select_for_update(of=("self",)).select_related("building").get(pk=unit.pk)


def register_move_in(
    *,
    unit: Unit,
    actor,
    moved_in_on: datetime.date,
    owners: list[NewOwner],
    checklist: list[str] | None = None,
    keys_handed: int = 0,
    note: str = "",
) -> MoveIn:
    """入住: register the owners, record what was handed over, mark the unit occupied."""
    ensure_can(actor, "people.add_movein", unit.site_id)
    checklist = list(dict.fromkeys(checklist or []))
    unknown = sorted(set(checklist) - CHECKLIST_CODES)
    with collecting() as errors:
        if unknown:
            errors.add("checklist", _("Unknown checklist item: %(items)s") % {"items": unknown})
        if keys_handed < 0:
            errors.add("keys_handed", _("Keys handed over can't be negative."), "negative")
        check_column(errors, MoveIn, "keys_handed", keys_handed)
        check_column(errors, MoveIn, "note", note)
        errors.check(_check_past, "moved_in_on", moved_in_on, _("Move-in date"))
        shares = errors.check(_check_owners, unit, owners)
    with transaction.atomic():
        unit = _lock_unit(unit)
        if Ownership.objects.filter(unit=unit, ended_on__isnull=True).exists():
            raise invalid(
                None,
                _(
                    "%(unit)s already has registered owners; a new owner comes in through an "
                    "ownership transfer."
                )
                % {"unit": unit.code},
                "has_owners",
            )
        move_in = MoveIn.objects.create(
            site_id=unit.site_id,
            unit=unit,
            moved_in_on=moved_in_on,
            checklist=checklist,
            keys_handed=keys_handed,
            recorded_by=actor,
            note=note,
        )
        record_create(actor, move_in)
        _create_owners(actor, unit, owners, shares, moved_in_on, move_in=move_in)
        if unit.state != Unit.State.OCCUPIED:
            update_unit(unit=unit, actor=actor, state=Unit.State.OCCUPIED)
    return move_in


def transfer_ownership(
    *,
    unit: Unit,
    actor,
    transferred_on: datetime.date,
    buyers: list[NewOwner],
    contract_number: str = "",
    note: str = "",
) -> OwnershipTransfer:
    """产权变更: the current owners' title ends on the transfer date and stays as history; the
    buyers' title starts that day."""
    ensure_can(actor, "people.add_ownershiptransfer", unit.site_id)
    with transaction.atomic():
        unit = _lock_unit(unit)
        current = list(
            Ownership.objects.select_for_update()
            .filter(unit=unit, ended_on__isnull=True)
            .order_by("pk")
        )
        if not current:
            raise invalid(
                None,
                _("%(unit)s has no registered owner to transfer from; register a move-in first.")
                % {"unit": unit.code},
                "no_owner",
            )
        with collecting() as errors:
            errors.check(_check_past, "transferred_on", transferred_on, _("Transfer date"))
            latest_title = max(o.title_date for o in current)
            if not errors.has("transferred_on") and transferred_on < latest_title:
                errors.add(
                    "transferred_on",
                    _("The transfer can't be before the current owners took title (%(date)s).")
                    % {"date": latest_title.isoformat()},
                    "before_title",
                )
            shares = errors.check(_check_owners, unit, buyers)
            contract_number = (contract_number or "").strip()
            check_column(errors, OwnershipTransfer, "contract_number", contract_number)
            check_column(errors, OwnershipTransfer, "note", note)
        transfer = OwnershipTransfer.objects.create(
            site_id=unit.site_id,
            unit=unit,
            transferred_on=transferred_on,
            contract_number=contract_number,
            recorded_by=actor,
            note=note,
        )
        record_create(actor, transfer)
        for ownership in current:
            before = snapshot(ownership)
            ownership.ended_on = transferred_on
            ownership.end_reason = Ownership.EndReason.TRANSFER
            ownership.transfer_out = transfer
            ownership.save()
            record_update(actor, ownership, before, verb=_("title ended by transfer"))
        _create_owners(actor, unit, buyers, shares, transferred_on, transfer_in=transfer)
    return transfer


def tenant_move_in(
    *,
    unit: Unit,
    actor,
    person: Person,
    lease_start: datetime.date,
    lease_end: datetime.date,
    note: str = "",
) -> Tenancy:
    """A tenant moves in: the lease is registered and a vacant unit becomes occupied."""
    with transaction.atomic():
        tenancy = add_entry(
            register="tenants",
            site=unit.site_id,
            actor=actor,
            person=person,
            unit=unit,
            lease_start=lease_start,
            lease_end=lease_end,
            note=note,
        )
        unit = _lock_unit(unit)
        if unit.state in (Unit.State.VACANT, Unit.State.UNSOLD):
            update_unit(unit=unit, actor=actor, state=Unit.State.OCCUPIED)
    return tenancy


def tenant_move_out(*, tenancy: Tenancy, actor, moved_out_on: datetime.date) -> Tenancy:
    """A tenant moves out; the tenancy stays as history. A unit left with neither owner nor
    tenant living there is the clerk's call, so its state is not changed here."""
    _check_past("moved_out_on", moved_out_on, _("Move-out date"))
    return end_entry(entry=tenancy, actor=actor, on=moved_out_on)


def last_move_in(unit: Unit) -> datetime.date | None:
    return MoveIn.objects.filter(unit=unit).aggregate(last=Max("moved_in_on"))["last"]
