"""The desk's own records: the supervisor's daily review (R-CMP-04), the duty log and handover
(R-DSK-03), and the site's settings and reference lists (categories, root causes, prices)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.audit import record_create, record_update, snapshot
from wuye.core.errors import collecting, invalid
from wuye.core.money import format_yuan
from wuye.core.permissions import ensure_can

from .facts import site_zone
from .models import (
    Category,
    CategoryWorker,
    DailyReview,
    DeskSettings,
    DutyLogEntry,
    DutyShift,
    PriceItem,
    RootCause,
)
from .queries import open_tickets, review_counts
from .services import _now, _staff_of_site, _text, desk_settings


def sign_daily_review(*, site, actor, day: datetime.date, note: str = "") -> DailyReview:
    """The supervisor signs a day's review: what came in that day and what is still open,
    counted as they stand now (R-CMP-04)."""
    ensure_can(actor, "servicedesk.supervise_ticket", site)
    today = timezone.localdate(timezone=site_zone(site))
    if day > today:
        raise invalid("day", _("A day can be reviewed once it has begun."), "future")
    counts = review_counts(site, day)
    try:
        with transaction.atomic():
            review = DailyReview.objects.create(
                site=site, day=day, note=(note or "").strip(), signed_by=actor, signed_at=_now(),
                received_count=counts["received"], open_count=counts["open"],
                overdue_count=counts["overdue"],
            )  # fmt: skip
            record_create(actor, review)
    except IntegrityError:
        raise invalid("day", _("This day has already been signed off."), "signed") from None
    return review


def start_shift(*, site, actor) -> DutyShift:
    ensure_can(actor, "servicedesk.add_ticket", site)
    try:
        with transaction.atomic():
            shift = DutyShift.objects.create(site=site, on_duty=actor, started_at=_now())
            record_create(actor, shift)
    except IntegrityError:
        raise invalid(None, _("A shift is already on duty; take it over by handover."), "open_shift") from None  # fmt: skip
    return shift


def _my_open_shift(site, actor) -> DutyShift:
    shift = DutyShift.objects.select_for_update().filter(site=site, ended_at__isnull=True).first()
    if shift is None:
        raise invalid(None, _("No shift is on duty; start one first."), "no_shift")
    if shift.on_duty_id != actor.pk:
        raise invalid(None, _("Only the person on duty writes this shift's log."), "not_on_duty")
    return shift


def log_duty(*, site, actor, text: str, ticket=None) -> DutyLogEntry:
    ensure_can(actor, "servicedesk.add_ticket", site)
    with transaction.atomic():
        shift = _my_open_shift(site, actor)
        return DutyLogEntry.objects.create(
            shift=shift, at=_now(), text=_text(text, "text", _("Write what happened.")),
            ticket=ticket,
        )  # fmt: skip


def hand_over(*, site, actor, to_user, note: str) -> DutyShift:
    """End the shift, listing the open tickets as they stand, and start the next one's."""
    ensure_can(actor, "servicedesk.add_ticket", site)
    if to_user is None or to_user.pk == actor.pk:
        raise invalid("to_user", _("Hand over to the next person on duty."), "required")
    ensure_can(to_user, "servicedesk.add_ticket", site)
    with transaction.atomic():
        shift = _my_open_shift(site, actor)
        now = _now()
        shift.open_tickets = [
            {
                "number": t.number, "subject": t.subject, "state": t.state,
                "due_at": t.due_at.isoformat() if t.due_at else None,
            }
            for t in open_tickets(site)[:500]
        ]  # fmt: skip
        shift.ended_at, shift.handed_to = now, to_user
        shift.handover_note = _text(note, "note", _("Write what the next shift must know."))
        shift.save()
        DutyShift.objects.create(site=site, on_duty=to_user, started_at=now)
    return shift


# ---------------------------------------------------------------------------------------------
# Settings and reference lists

SETTINGS_FIELDS = [
    "help_answer_minutes", "inquiry_answer_minutes", "written_answer_days",
    "complaint_answer_hours", "repair_visit_hours", "warn_percent", "complaint_autoclose_days",
    "callback_within_days", "duplicate_window_days",
]  # fmt: skip


def update_desk_settings(*, site, actor, **values) -> DeskSettings:
    ensure_can(actor, "servicedesk.change_desksettings", site)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = desk_settings(site)
        before = snapshot(current) if current.pk else None
        with collecting() as errors:
            for name, value in values.items():
                number = _whole_number(value)
                if number is None:
                    errors.add(name, _("Enter a whole number from 0 to 32767."), "invalid")
                else:
                    setattr(current, name, number)
            if not 10 <= current.warn_percent <= 99 and not errors.has("warn_percent"):
                errors.add("warn_percent", _("Warn between 10% and 99% of the time."), "range")
            for name in ("help_answer_minutes", "inquiry_answer_minutes"):
                if getattr(current, name) < 1 and not errors.has(name):
                    errors.add(name, _("Allow at least one minute."), "range")
        current.save()
        _record(actor, current, before)
    return current


def _whole_number(value) -> int | None:
    """A setting's value: a whole number a small-integer column holds, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 <= number <= 32767 else None


def _record(actor, obj, before: dict | None) -> None:
    """The audit entry of a saved settings row: created, or what changed."""
    if before is None:
        record_create(actor, obj)
    else:
        record_update(actor, obj, before)


def save_category(
    *, site, actor, kind: str, name: str, department, dispatch_mode: str, workers=(),
    category: Category | None = None, is_active: bool = True,
) -> Category:  # fmt: skip
    ensure_can(actor, "servicedesk.change_category", site)
    from .models import DispatchMode, Kind

    with collecting() as errors:
        if kind not in Kind.values:
            errors.add("kind", _("Choose a ticket kind."), "invalid_choice")
        if dispatch_mode not in DispatchMode.values:
            errors.add("dispatch_mode", _("Choose how work is dispatched."), "invalid_choice")
        if department is None or department.company_id != site.company_id:
            errors.add("department", _("Choose the department responsible."), "required")
        employees = [errors.check(_staff_of_site, w, site, "workers") for w in workers]
        if dispatch_mode == DispatchMode.ROTATION and not employees:
            errors.add("workers", _("A rotation needs at least one worker."), "required")
        name = (errors.check(_text, name, "name", _("Give the category a name.")) or "")[:50]
    try:
        with transaction.atomic():
            before = snapshot(category) if category else None
            category = category or Category(site=site)
            category.kind, category.name, category.department = kind, name, department
            category.dispatch_mode, category.is_active = dispatch_mode, is_active
            category.save()
            keep = {e.pk for e in employees}
            CategoryWorker.objects.filter(category=category).exclude(employee_id__in=keep).delete()
            have = set(CategoryWorker.objects.filter(category=category).values_list("employee_id", flat=True))  # fmt: skip
            CategoryWorker.objects.bulk_create(
                [
                    CategoryWorker(category=category, employee=e)
                    for e in employees
                    if e.pk not in have
                ]
            )
            _record(actor, category, before)
    except IntegrityError:
        raise invalid("name", _("This category already exists."), "duplicate") from None
    return category


def save_root_cause(*, site, actor, name: str, root_cause: RootCause | None = None,
                    is_active: bool = True) -> RootCause:  # fmt: skip
    ensure_can(actor, "servicedesk.change_rootcause", site)
    name = _text(name, "name", _("Name the root cause."))[:50]
    try:
        with transaction.atomic():
            before = snapshot(root_cause) if root_cause else None
            root_cause = root_cause or RootCause(site=site)
            root_cause.name, root_cause.is_active = name, is_active
            root_cause.save()
            _record(actor, root_cause, before)
    except IntegrityError:
        raise invalid("name", _("This root cause already exists."), "duplicate") from None
    return root_cause


PRICE_LIMIT = Decimal("99999999.99")  # what the price column (10 digits, 2 places) holds


def save_price_item(*, site, actor, name: str, price, unit_label: str = "次",
                    item: PriceItem | None = None, is_active: bool = True) -> PriceItem:  # fmt: skip
    ensure_can(actor, "servicedesk.change_priceitem", site)
    with collecting() as errors:
        name = (errors.check(_text, name, "name", _("Name the service.")) or "")[:60]
        try:
            price = Decimal(str(price)).quantize(Decimal("0.01"))
        except ArithmeticError:
            errors.add("price", _("Enter a price in yuan, like 80.00."), "invalid")
        else:
            if not price.is_finite():
                errors.add("price", _("Enter a price in yuan, like 80.00."), "invalid")
            elif price < 0:
                errors.add("price", _("A price can't be negative."), "negative")
            elif price > PRICE_LIMIT:
                errors.add("price", _("A price is at most %(limit)s.") % {"limit": format_yuan(PRICE_LIMIT)}, "too_large")  # fmt: skip
    try:
        with transaction.atomic():
            before = snapshot(item) if item else None
            item = item or PriceItem(site=site)
            item.name, item.price, item.is_active = name, price, is_active
            item.unit_label = (unit_label or "次")[:10]
            item.save()
            _record(actor, item, before)
    except IntegrityError:
        raise invalid("name", _("This service is already on the price list."), "duplicate") from None  # fmt: skip
    return item
