"""Issuing notices (R-FEE-03) — for one unit, or for every unit of a building that qualifies —
recording how each went out, and the collections clerk's chasing log.

A fee notice (费用通知单) lists everything open on the unit: lines not yet due and any overdue.
A dunning notice (催费通知书) lists only what is overdue (a line is overdue the day after its due
date while something on it is open, as in `billing.arrears`), and is refused when nothing is.
What the notice says is frozen into its snapshot when it is issued, numbered without gaps per
site, kind and year inside the same transaction.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.billing import arrears
from wuye.billing.money import CENT, ZERO, as_decimal
from wuye.billing.payments import with_outstanding
from wuye.core.audit import record_action, record_bulk_create, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.money import format_yuan
from wuye.core.numbering import format_document_number, next_document_number
from wuye.core.permissions import ensure_can
from wuye.estate.models import Building, Unit
from wuye.ledger.models import BillLine
from wuye.people.models import Ownership

from .layouts import body_of, company_of, fill, layout_of, title_of
from .models import ChasingEntry, Notice, NoticeBatch, NoticeDelivery, NoticeKind

NUMBERING = {NoticeKind.FEE: ("fee_notice", "FN-"), NoticeKind.DUNNING: ("dunning_notice", "DN-")}
MAX_OVERDUE_FILTER = 3650


def site_today(site, now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(now or timezone.now(), ZoneInfo(site.time_zone))


def checked_kind(kind) -> str:
    if kind not in NoticeKind.values:
        raise invalid("kind", _("Choose a fee notice or a dunning notice."), "invalid_choice")
    return kind


def _period(start: datetime.date, end: datetime.date) -> str:
    same_month = (start.year, start.month) == (end.year, end.month)
    return f"{start:%Y-%m}" if same_month else f"{start:%Y-%m}~{end:%Y-%m}"


# ---------------------------------------------------------------------------------------------
# What a notice lists


def owed_lines(site, today: datetime.date, *, kind: str, units=None, building=None):
    """The open lines a notice of `kind` lists, for `units` (ids) or a whole `building`, in one
    query: every open line for a fee notice, only the overdue ones for a dunning notice. Each
    line has `paid` and `open`; ordered by unit, then due date."""
    if kind == NoticeKind.DUNNING:
        lines = arrears.overdue_lines(site, today)
    else:
        lines = with_outstanding(
            BillLine.objects.filter(site=site, unit__isnull=False, cancelled_at__isnull=True)
        )
        lines = lines.annotate(open=arrears.open_amount()).filter(open__gt=0)
    if units is not None:
        lines = lines.filter(unit_id__in=list(units))
    if building is not None:
        lines = lines.filter(unit__building=building)
    return lines.select_related("fee_item").order_by(
        "unit_id", "due_date", "period_start", "fee_item__code", "id"
    )


def _line_row(line: BillLine, today: datetime.date) -> dict | None:
    # SQLite hands the sums back with float digits: to the fen before anything is compared.
    paid = Decimal(line.paid).quantize(CENT)
    relief = Decimal(line.relief).quantize(CENT)
    owed = line.amount - paid - relief
    if owed <= 0:
        return None
    late = (today - line.due_date).days if line.due_date < today else 0
    return {
        "fee_item": line.fee_item.name,
        "period": _period(line.period_start, line.period_end),
        "due_date": line.due_date.isoformat(),
        "amount": str(line.amount),
        "paid": str(paid),
        "relief": str(relief),
        "owed": str(owed),
        "days_overdue": late,
        "line": line.pk,
    }


def _aging(rows: list[dict]) -> dict[str, str]:
    """The overdue rows summed into arrears' buckets (1–30, 31–90, 91–180, over 180 days)."""
    sums = {key: ZERO for key, _first, _last in arrears.BUCKETS}
    for row in rows:
        days = row["days_overdue"]
        for key, first, last in arrears.BUCKETS:
            if days >= first and (last is None or days <= last):
                sums[key] += Decimal(row["owed"])
    return {key: str(value) for key, value in sums.items()}


def owners_of(unit_ids: Iterable[int]) -> dict[int, str]:
    """The current owners' names of each unit, joined with 、, in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    current = Ownership.objects.filter(unit_id__in=list(unit_ids), ended_on__isnull=True)
    for unit_id, name in current.order_by("unit_id", "title_date", "id").values_list(
        "unit_id", "person__name"
    ):
        names[unit_id].append(name)
    return {unit_id: "、".join(found) for unit_id, found in names.items()}


def lines_by_unit(site, today, *, kind, units=None, building=None) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    for line in owed_lines(site, today, kind=kind, units=units, building=building):
        row = _line_row(line, today)
        if row is not None:
            found[line.unit_id].append(row)
    return found


def qualifies(rows: list[dict], only_overdue_over_days: int | None) -> bool:
    if not rows:
        return False
    if only_overdue_over_days is None:
        return True
    return any(r["days_overdue"] > only_overdue_over_days for r in rows)


def build_snapshot(*, site, unit: Unit, kind: str, rows: list[dict], owner: str, layout,
                   today: datetime.date, number: str) -> dict:  # fmt: skip
    """Everything the notice's PDF shows, frozen: lines, totals, aging and the layout's texts
    with the placeholders filled. Amounts are Decimal strings."""
    total = sum((Decimal(r["owed"]) for r in rows), ZERO)
    overdue = [r for r in rows if r["days_overdue"] > 0]
    pay_by = today + datetime.timedelta(days=layout.pay_by_days)
    earliest = min(r["due_date"] for r in rows)
    company = company_of(layout, site)
    phone = layout.contact_phone or site.phone
    values = {
        "owner": owner or "业主", "unit": unit.code, "total": f"{total:,.2f}",
        "due_date": earliest, "pay_by": pay_by.isoformat(), "today": today.isoformat(),
        "site": site.name, "company": company, "phone": phone, "number": number,
    }  # fmt: skip
    return {
        "kind": kind,
        "number": number,
        "site": site.name,
        "unit": {"id": unit.pk, "code": unit.code, "building": unit.building.name},
        "owner": owner,
        "as_of": today.isoformat(),
        "pay_by": pay_by.isoformat(),
        "earliest_due": earliest,
        "lines": rows,
        "total": str(total),
        "overdue_total": str(sum((Decimal(r["owed"]) for r in overdue), ZERO)),
        "aging": _aging(overdue),
        "layout": {
            "company": company,
            "title": title_of(layout, kind),
            "body": fill(body_of(layout, kind), values),
            "contact_phone": phone,
            "payment_instructions": fill(layout.payment_instructions, values),
            "footer": fill(layout.footer, values),
            "seal_text": layout.seal_text,
        },
    }


def _new_notice(*, site, actor, unit, kind, rows, owner, layout, now, batch=None) -> Notice:
    """A notice with its number taken (inside the caller's transaction) and its snapshot."""
    today = site_today(site, now)
    year = timezone.localtime(now, ZoneInfo(site.time_zone)).year
    sequence_kind, prefix = NUMBERING[kind]
    sequence = next_document_number(site=site, kind=sequence_kind, year=year)
    number = format_document_number(prefix, site, year, sequence)
    shot = build_snapshot(site=site, unit=unit, kind=kind, rows=rows, owner=owner,
                          layout=layout, today=today, number=number)  # fmt: skip
    return Notice(
        site=site, kind=kind, unit=unit, year=year, sequence=sequence, number=number,
        snapshot=shot, total=Decimal(shot["total"]), issued_by=actor, issued_at=now, batch=batch,
    )  # fmt: skip


def issue_notice(*, site, actor, unit: Unit, kind: str) -> Notice:
    """Issue a fee or dunning notice for `unit`: refused when there is nothing to put on it."""
    ensure_can(actor, "dunning.add_notice", site)
    kind = checked_kind(kind)
    if unit.site_id != site.pk:
        raise invalid("unit", _("No such unit at this site."), "not_found")
    now = timezone.now()
    with transaction.atomic():
        # One notice at a time per unit: a double click does not number two identical notices
        # in an order nobody chose.
        list(Unit.objects.select_for_update(of=("self",)).filter(pk=unit.pk).order_by())
        rows = lines_by_unit(site, site_today(site, now), kind=kind, units=[unit.pk])[unit.pk]
        if not rows:
            if kind == NoticeKind.DUNNING:
                message = _("%(unit)s owes nothing overdue: there is nothing to dun.")
            else:
                message = _("%(unit)s owes nothing: there is nothing to give notice of.")
            raise invalid("unit", message % {"unit": unit.code}, "nothing_owed")
        notice = _new_notice(
            site=site, actor=actor, unit=unit, kind=kind, rows=rows,
            owner=owners_of([unit.pk]).get(unit.pk, ""), layout=layout_of(site), now=now,
        )  # fmt: skip
        notice.save()
        record_create(actor, notice)
    return notice


def checked_overdue_filter(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if not 0 <= days <= MAX_OVERDUE_FILTER:
        raise invalid(
            "only_overdue_over_days",
            _("Give a number of days between 0 and %(most)s.") % {"most": MAX_OVERDUE_FILTER},
            "out_of_range",
        )
    return days


def qualifying_units(site, building: Building, kind: str, only_overdue_over_days, today):
    """{unit id: rows} of the building's units that get a notice of `kind`."""
    found = lines_by_unit(site, today, kind=kind, building=building)
    return {u: rows for u, rows in found.items() if qualifies(rows, only_overdue_over_days)}


def _checked_run(site, actor, building: Building, kind, only_overdue_over_days):
    ensure_can(actor, "dunning.add_notice", site)
    with collecting() as errors:
        kind = errors.check(checked_kind, kind)
        if building.site_id != site.pk:
            errors.add("building", _("No such building at this site."), "not_found")
        over = errors.check(checked_overdue_filter, only_overdue_over_days)
    return kind, over


def _nobody_qualifies(building: Building):
    return invalid("building", _("No unit of %(building)s qualifies for this notice.")
                   % {"building": building.name}, "nothing_owed")  # fmt: skip


def check_building_run(*, site, actor, building: Building, kind: str, only_overdue_over_days=None):
    """What a building's run needs, checked before it is queued: the right, the building of
    this site, a known kind and at least one unit to give a notice to."""
    kind, over = _checked_run(site, actor, building, kind, only_overdue_over_days)
    if not qualifying_units(site, building, kind, over, site_today(site)):
        raise _nobody_qualifies(building)
    return kind, over


def issue_building_notices(
    *, site, actor, building: Building, kind: str, only_overdue_over_days=None,
    progress: Callable[[int, int], None] | None = None,
) -> NoticeBatch:  # fmt: skip
    """One notice for every unit of `building` that qualifies (owes something; for a dunning
    notice, something overdue; with `only_overdue_over_days`, something overdue longer than
    that), as one batch in one transaction: all of them or none."""
    kind, over = _checked_run(site, actor, building, kind, only_overdue_over_days)
    now = timezone.now()
    layout = layout_of(site)
    with transaction.atomic():
        found = qualifying_units(site, building, kind, over, site_today(site, now))
        if not found:
            raise _nobody_qualifies(building)
        units = {u.pk: u for u in Unit.objects.filter(pk__in=found).select_related("building")}
        owners = owners_of(found)
        batch = NoticeBatch.objects.create(
            site=site, building=building, kind=kind, only_overdue_over_days=over,
            issued_by=actor, issued_at=now,
        )  # fmt: skip
        order = sorted(found, key=lambda u: units[u].code)
        notices = []
        for done, unit_id in enumerate(order, start=1):
            notices.append(
                _new_notice(
                    site=site,
                    actor=actor,
                    unit=units[unit_id],
                    kind=kind,
                    rows=found[unit_id],
                    owner=owners.get(unit_id, ""),
                    layout=layout,
                    now=now,
                    batch=batch,
                )  # fmt: skip
            )
            if progress:
                progress(done, len(order))
        Notice.objects.bulk_create(notices, batch_size=500)
        batch.notices_count = len(notices)
        batch.total = sum((n.total for n in notices), ZERO)
        batch.save(update_fields=["notices_count", "total"])
        record_create(actor, batch)
        record_bulk_create(actor, Notice.objects.filter(batch=batch))
    return batch


# ---------------------------------------------------------------------------------------------
# How notices went out


def message_text(notice: Notice) -> str:
    """The SMS / app message for a notice: short, with the total and the date to pay by."""
    shot, layout = notice.snapshot, notice.snapshot["layout"]
    text = (
        f"【{layout['company']}】{shot['owner'] or '业主'}您好：您的房屋{shot['unit']['code']}"
        f"{layout['title']}（{notice.number}），应缴合计{format_yuan(shot['total'])}，"
        f"请于{shot['pay_by']}前缴纳。"
    )
    if layout.get("contact_phone"):
        text += f"咨询电话：{layout['contact_phone']}"
    return text


def sms_recipients(unit_id: int) -> list[tuple[str, str]]:
    """(number, masked number) of each current owner with a usable phone."""
    from wuye.core.crypto import decrypt
    from wuye.core.identity import is_placeholder_phone

    found = []
    owners = Ownership.objects.filter(unit_id=unit_id, ended_on__isnull=True).exclude(
        person__phone_cipher=""
    )
    for cipher, masked, name in owners.order_by("title_date", "id").values_list(
        "person__phone_cipher", "person__phone_masked", "person__name"
    ):
        number = decrypt(cipher)
        if number and not is_placeholder_phone(number):
            found.append((number, f"{name} {masked}"))
    return found


def app_recipients(unit_id: int) -> list[tuple[object, str]]:
    """(user, how they are shown) of each resident account linked to the unit and approved.

    The link lives in the portal app, a layer above this one, so it is read through the
    relations the ORM already knows (`resident_account__links`) rather than by importing it."""
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            resident_account__links__unit_id=unit_id,
            resident_account__links__state="approved",
        )
        .distinct()
        .order_by("pk")
    )
    return [
        (user, f"{user.resident_account.name} {user.resident_account.phone_masked}")
        for user in users.select_related("resident_account")
    ]


def _send_all(channel: str, recipients, text: str):
    from .senders import send

    return [(shown, send(channel, to, text)) for to, shown in recipients]


def record_delivery(*, notice: Notice, actor, channel: str) -> list[NoticeDelivery]:
    """Record that `notice` went out by `channel`: printed and delivered by hand, or sent — an
    SMS to each current owner with a phone, an app message to each resident account linked to
    the unit — through the configured sender. One row per recipient, sent or failed."""
    ensure_can(actor, "dunning.add_noticedelivery", notice.site_id)
    if channel not in NoticeDelivery.Channel.values:
        raise invalid(
            "channel", _("Choose printed and delivered, SMS or app message."), "invalid_choice"
        )
    if channel == NoticeDelivery.Channel.PRINTED:
        outcomes = [(notice.snapshot.get("owner") or "", None)]
    else:
        found = sms_recipients(notice.unit_id) if channel == "sms" else app_recipients(notice.unit_id)  # fmt: skip
        if not found:
            if channel == "sms":
                message = _("No current owner of this unit has a phone number on file.")
            else:
                message = _("No resident account is linked to this unit.")
            raise invalid("channel", message, "no_recipient")
        # Sent before the rows are written: a gateway is not part of the transaction, and
        # what it answered is what gets recorded.
        outcomes = _send_all(channel, found, message_text(notice))
    now = timezone.now()
    rows = [
        NoticeDelivery(
            site_id=notice.site_id,
            notice=notice,
            channel=channel,
            recipient=shown[:120],
            sent_by=actor,
            sent_at=now,
            outcome="sent" if outcome is None or outcome.ok else "failed",
            error="" if outcome is None or outcome.ok else outcome.error[:300],
        )  # fmt: skip
        for shown, outcome in outcomes
    ]
    with transaction.atomic():
        NoticeDelivery.objects.bulk_create(rows)
        record_bulk_create(actor, rows)
    return rows


def mark_batch_delivered(*, batch: NoticeBatch, actor) -> NoticeBatch:
    """Record every notice of a printed batch as printed and delivered, once."""
    ensure_can(actor, "dunning.add_noticedelivery", batch.site_id)
    now = timezone.now()
    with transaction.atomic():
        claimed = NoticeBatch.objects.filter(pk=batch.pk, delivered_at__isnull=True).update(
            delivered_at=now, delivered_by=actor
        )
        if claimed != 1:
            raise invalid(None, _("This batch is already recorded as delivered."), "already_delivered")  # fmt: skip
        rows = [
            NoticeDelivery(
                site_id=batch.site_id,
                notice=notice,
                channel=NoticeDelivery.Channel.PRINTED,
                recipient=(notice.snapshot.get("owner") or "")[:120],
                sent_by=actor,
                sent_at=now,
                outcome=NoticeDelivery.Outcome.SENT,
            )  # fmt: skip
            for notice in batch.notices.order_by("pk")
        ]
        NoticeDelivery.objects.bulk_create(rows, batch_size=500)
        batch.refresh_from_db()
        record_action(actor, batch, _("printed and delivered"),
                      {"notices": [None, str(len(rows))]})  # fmt: skip
    return batch


# ---------------------------------------------------------------------------------------------
# The chasing log


def _promised_amount(promised_amount) -> Decimal:
    if promised_amount in (None, ""):
        raise invalid("promised_amount", _("Say how much was promised."), "required")
    try:
        amount = as_decimal(str(promised_amount).strip())
    except (TypeError, ValueError):
        raise invalid("promised_amount", _("Enter the amount in yuan, like 350.00."), "invalid") from None  # fmt: skip
    if not amount.is_finite():
        raise invalid("promised_amount", _("Enter the amount in yuan, like 350.00."), "invalid")
    if amount <= 0:
        raise invalid("promised_amount", _("A promised amount must be more than zero."), "not_positive")  # fmt: skip
    if amount != amount.quantize(CENT) or amount >= Decimal("10000000000"):
        raise invalid("promised_amount", _("Enter the amount in yuan, like 350.00."), "invalid")
    return amount


def _promise(site, promised_amount, promised_by, now) -> tuple[Decimal | None, datetime.datetime | None]:  # fmt: skip
    """The promise's amount and when it ends, or the errors of both its amount and its date."""
    if promised_amount in (None, "") and promised_by in (None, ""):
        return None, None
    with collecting() as errors:
        amount = errors.check(_promised_amount, promised_amount)
        if promised_by in (None, ""):
            errors.add("promised_by", _("Say by when the payment was promised."), "required")
        elif not isinstance(promised_by, datetime.date) or isinstance(promised_by, datetime.datetime):  # fmt: skip
            errors.add("promised_by", _("Enter a date like 2026-12-31."), "invalid")
        elif promised_by < site_today(site, now):
            errors.add("promised_by", _("A promise to pay can't be due in the past."), "in_past")
    zone = ZoneInfo(site.time_zone)
    ends = datetime.datetime.combine(promised_by + datetime.timedelta(days=1), datetime.time(), zone)  # fmt: skip
    return amount.quantize(CENT), ends


def record_chasing(
    *, site, actor, unit: Unit, kind: str, note: str = "", promised_amount=None,
    promised_by: datetime.date | None = None,
) -> ChasingEntry:  # fmt: skip
    """Log a call, visit, letter or other contact with a unit in arrears, with the promise to
    pay an amount by a date when one was made (both, or neither)."""
    ensure_can(actor, "dunning.add_chasingentry", site)
    note = (note or "").strip()
    now = timezone.now()
    with collecting() as errors:
        if unit.site_id != site.pk:
            errors.add("unit", _("No such unit at this site."), "not_found")
        if kind not in ChasingEntry.Kind.values:
            errors.add("kind", _("Choose a call, a visit, a letter or other."), "invalid_choice")
        if len(note) > 2000:
            errors.add("note", _("Keep the note under 2,000 characters."), "too_long")
        amount, ends = errors.check(_promise, site, promised_amount, promised_by, now) or (None, None)  # fmt: skip
        # A promise made but mistyped is no missing note: its own errors say what to fix.
        if not note and amount is None and not errors.has("promised_amount", "promised_by"):
            errors.add("note", _("Say what happened, or record a promise."), "required")
    with transaction.atomic():
        entry = ChasingEntry.objects.create(
            site=site, unit=unit, kind=kind, note=note, promised_amount=amount,
            promised_by=promised_by if amount is not None else None, promise_ends_at=ends,
            recorded_by=actor, recorded_at=now,
        )  # fmt: skip
        record_create(actor, entry)
    return entry


def preview_snapshot(*, site, layout, kind: str) -> dict:
    """A sample notice drawn with `layout` (saved or not), for the layout page's preview."""
    kind = checked_kind(kind)
    today = site_today(site)
    due = today - datetime.timedelta(days=45 if kind == NoticeKind.DUNNING else -10)
    rows = [
        {"fee_item": "物业管理费", "period": f"{due:%Y-%m}", "due_date": due.isoformat(),
         "amount": "356.80", "paid": "100.00", "owed": "256.80",
         "days_overdue": max((today - due).days, 0), "line": None},
        {"fee_item": "公共水电分摊", "period": f"{due:%Y-%m}", "due_date": due.isoformat(),
         "amount": "23.40", "paid": "0.00", "owed": "23.40",
         "days_overdue": max((today - due).days, 0), "line": None},
    ]  # fmt: skip
    sample = Unit(site=site, code="1-0101", building=Building(site=site, code="1", name="1栋"))
    return build_snapshot(site=site, unit=sample, kind=kind, rows=rows, owner="张三", layout=layout,
                          today=today, number="样张 SAMPLE")  # fmt: skip
