"""Leases (租赁): the company lets a shop or a parking space for a monthly rent with a yearly
escalation. Bill runs post the rent month by month (`bill_runs._post_rent`), prorated by days
in the first and last month. Terminating a lease early re-prices the month it ends in and
cancels months after it, while they are unpaid."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.permissions import ensure_can
from wuye.estate.models import ParkingSpace, Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import BillLine

from . import figures
from .charges import rent_charge
from .models import FeeItem, Lease
from .money import as_decimal
from .payments import line_paid


def _overlapping(lease: Lease):
    others = Lease.objects.filter(site_id=lease.site_id).exclude(pk=lease.pk)
    if lease.parking_space_id:
        others = others.filter(parking_space_id=lease.parking_space_id)
    else:
        others = others.filter(unit_id=lease.unit_id, parking_space__isnull=True)
    others = others.filter(starts_on__lte=lease.ends_on)
    return others.filter(
        Q(terminated_on__isnull=True, ends_on__gte=lease.starts_on)
        | Q(terminated_on__gte=lease.starts_on)
    ).first()


def sign_lease(
    *, site, actor, number: str, fee_item: FeeItem, unit: Unit, lessee: str, monthly_rent,
    starts_on: datetime.date, ends_on: datetime.date, escalation_percent=0,
    parking_space: ParkingSpace | None = None, lessee_phone: str = "",
) -> Lease:  # fmt: skip
    """A lease of `unit` (a shop), or of `parking_space` billed to `unit` (the lessee's home)."""
    ensure_can(actor, "billing.add_lease", site)
    number, lessee = (number or "").strip(), (lessee or "").strip()
    with collecting() as errors:
        if not number:
            errors.add("number", _("Give the lease number."), "required")
        if not lessee:
            errors.add("lessee", _("Name the lessee."), "required")
        if fee_item.site_id != site.pk or fee_item.method != FeeItem.Method.RENT:
            errors.add("fee_item", _("Choose a rent fee item of this site."), "not_rent")
        if unit.site_id != site.pk:
            errors.add("unit", _("No such unit at this site."), "not_found")
        if parking_space is not None and parking_space.site_id != site.pk:
            errors.add("parking_space", _("No such parking space at this site."), "not_found")
        if ends_on < starts_on:
            errors.add("ends_on", _("The lease ends before it starts."), "order")
        try:
            monthly_rent = as_decimal(monthly_rent).quantize(as_decimal("0.01"))
            escalation_percent = as_decimal(escalation_percent)
        except ValueError:
            errors.add("monthly_rent", _("Enter the rent in yuan, like 3500.00."), "invalid")
        else:
            if monthly_rent <= 0:
                errors.add("monthly_rent", _("The rent must be more than zero."), "not_positive")
            if not 0 <= escalation_percent <= 100:
                errors.add(
                    "escalation_percent", _("The escalation is 0 to 100 percent a year."), "range"
                )
    lease = Lease(
        site=site, number=number[:40], fee_item=fee_item, unit=unit, parking_space=parking_space,
        lessee=lessee[:100], lessee_phone=(lessee_phone or "").strip()[:30],
        monthly_rent=monthly_rent, escalation_percent=escalation_percent, starts_on=starts_on,
        ends_on=ends_on,
    )  # fmt: skip
    try:
        with transaction.atomic():
            clash = _overlapping(lease)
            if clash is not None:
                raise invalid("starts_on", _("Lease %(number)s already lets it then.") % {"number": clash.number}, "overlap")  # fmt: skip
            lease.save()
            record_create(actor, lease)
    except IntegrityError:
        raise invalid("number", _("Another lease has this number."), "duplicate") from None
    return lease


def terminate_lease(*, lease: Lease, actor, on: datetime.date, reason: str) -> Lease:
    """End a lease early (退租) on `on`, its last day. Months billed after it are cancelled, and
    the month it ends in is re-priced for the days let — refused while those months are paid
    (refund them first)."""
    ensure_can(actor, "billing.change_lease", lease.site_id)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the lease ends early."), "required")
    with transaction.atomic():
        lease = (
            Lease.objects.select_for_update(of=("self",))
            .select_related("fee_item")
            .get(pk=lease.pk)
        )
        if lease.terminated_on is not None:
            raise invalid(None, _("This lease is already terminated."), "terminated")
        if not lease.starts_on <= on < lease.ends_on:
            raise invalid("on", _("Terminate on a day within the lease, before its end."), "range")
        later = list(
            BillLine.objects.select_for_update(of=("self",))
            .filter(lease=lease, period_end__gt=on, cancelled_at__isnull=True)
            .order_by("period_start")
        )
        if any(line_paid(line) > 0 for line in later):
            raise invalid("on", _("Rent after this day is paid; refund it first."), "paid")
        lease.terminated_on, lease.termination_reason = on, reason[:200]
        lease.save()
        now = timezone.now()
        receivables.lines_cancelled(lines=[line.pk for line in later], day=figures.local_day(lease.site_id, now))  # fmt: skip
        figures.lines_cancelled(site_id=lease.site_id, lines=[line.pk for line in later])
        repriced = []
        for line in later:
            # Cancelled as if reversed, so the month it ends in can be posted again for its days.
            line.cancelled_at, line.cancelled_by, line.reversed = now, actor, True
            line.cancel_reason = (_("lease terminated") + f" · {reason}")[:200]
            line.save()
            if line.period_start <= on:
                charge = rent_charge(lease.fee_item, lease, line.period_start, line.period_end)
                repriced.append(BillLine.objects.create(
                    site_id=lease.site_id, fee_item=lease.fee_item, target=line.target,
                    unit_id=lease.unit_id, parking_space_id=lease.parking_space_id, lease=lease,
                    period_start=line.period_start, period_end=line.period_end,
                    quantity=charge.quantity, rate=charge.rate, amount=charge.amount,
                    due_date=line.due_date, run=line.run, note=line.note,
                ).pk)  # fmt: skip
        figures.lines_posted(site_id=lease.site_id, lines=repriced)
        record_action(actor, lease, _("terminated"), {"terminated_on": [None, str(on)], "termination_reason": [None, reason]})  # fmt: skip
    return lease
