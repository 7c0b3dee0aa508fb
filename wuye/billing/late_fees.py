"""滞纳金 (R-FEE-04): a fee item's late-fee rule, the daily accrual on overdue
lines, posting the late fee once its principal is settled, and waivers under the authority
matrix (R-ADM-02).

A late fee is kept apart from its principal (the overdue bill line) in a `LateFee` row until it
is posted as a line of the site's late-fee item. The daily job (`accrue_late_fees`) is a few
set-based statements over the whole company or one site:

- every line of an item with an active rule, overdue beyond its grace days
  (`due_date + grace_days < today`) with something outstanding, gets its `LateFee` row,
  accrued through the latest of its due date, the day the rule was set and the day the site's
  late fees were last accrued through (so a new rule charges no days before it, a line open
  again after a void or refund is charged from when it is found, and a run after missed days
  still charges them all);
- every unposted late fee whose principal is not cancelled is brought up to `today`, once:
  the statement only touches rows with `accrued_through < today` and sets it to `today`, so a
  second run the same day (or a second worker) changes nothing, and a run after missed days
  catches up on all of them.

With S = due_date + grace_days (the last day of grace), F = max(accrued_through, S) and
outstanding = the principal's open amount, as the receivables ledger keeps it (docs/ledger.md):

- daily:   outstanding × rate% × (today − F) days;
- monthly: outstanding × rate% × (m(today) − m(F)), where m(d) is the number of whole months
  from S to d — a month is complete on the same day of the month as S (a month whose day is
  missing completes on the 1st of the next), so each month is charged once, when it ends.

Each run's addition is kept to 1/100 of a fen (4 decimals, half up); the accrued total never
exceeds cap% × the principal's amount (cut down to 4 decimals) and never goes down. Catching
up charges the missed days at the outstanding amount of the day the job runs. While the rule
is out of use the late fee stands still: the job moves `accrued_through` on without adding.

Posting: once the principal is settled (nothing outstanding) the job posts accrued − waived,
rounded half up to the fen, as a one-off line of the site's late-fee item (`services.add_charge`,
keyed by the late fee, so posting twice posts once) and links it as `charge_line`; a remainder
below one fen is not charged. A cashier may post one at once ("post now", e.g. when the resident
settles at the counter): it is accrued through today first, and accrues no more afterwards.
A cancelled principal's late fee stops and is never posted.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateField, F, Max, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.approvals.authority import require_authority
from wuye.core import clock
from wuye.core.audit import record_action, record_create, record_update, snapshot
from wuye.core.errors import collecting, invalid
from wuye.core.models import Job, Site
from wuye.core.money import format_yuan
from wuye.core.permissions import ensure_can
from wuye.ledger.models import BillLine
from wuye.staff.models import AuthorityRule

from . import services
from .arrears import open_amount
from .authority import within_authority
from .models import FeeItem, LateFee, LateFeeRule, LateFeeWaiver
from .money import CENT, ZERO, as_decimal

log = logging.getLogger(__name__)

Basis = LateFeeRule.Basis
ACTION = AuthorityRule.Action.WAIVE_LATE_FEE
RULE_PERM = "billing.change_latefeerule"
WAIVE_PERM = "billing.add_latefeewaiver"
POST_PERM = "ledger.add_billline"
# Kinds that can't carry a rule: a late fee on a late fee, or on money only held.
NO_RULE_KINDS = {FeeItem.Kind.LATE_FEE, FeeItem.Kind.DEPOSIT}
LATE_FEE_CODE = "late_fee"
JOB_KIND = "billing.late_fees"
E4 = Decimal("0.0001")


# ---------------------------------------------------------------------------------------------
# The rule


def _decimal(field: str, value, message: str) -> Decimal:
    if value in (None, ""):
        raise invalid(field, message, "required")
    try:
        number = as_decimal(value)
    except (ValueError, InvalidOperation):
        raise invalid(field, message, "invalid") from None
    if not number.is_finite():
        raise invalid(field, message, "invalid")
    return number


def _checked_rule(basis, rate_percent, grace_days, cap_percent) -> dict:
    """The rule's values, or every bad one's error at once."""
    with collecting() as errors:
        if basis not in Basis.values:
            errors.add("basis", _("Choose per day or per month."), "invalid_choice")
        rate = errors.check(
            _decimal, "rate_percent", rate_percent, _("Enter the rate in percent, like 0.05.")
        )
        if rate is not None and rate <= 0:
            errors.add("rate_percent", _("The rate must be more than zero."), "not_positive")
        elif rate is not None and (rate > 100 or rate != rate.quantize(E4)):
            errors.add("rate_percent", _("The rate is at most 100%, to 4 decimals."), "range")
        cap = errors.check(
            _decimal,
            "cap_percent",
            cap_percent,
            _("A late fee needs a cap: at most this percent of the principal (1 to 100)."),
        )
        if cap is not None and (not 0 < cap <= 100 or cap != cap.quantize(CENT)):
            errors.add(
                "cap_percent",
                _("The cap is more than 0% and at most 100% of the principal, to 2 decimals."),
                "range",
            )
        try:
            grace = int(grace_days if grace_days not in (None, "") else 0)
        except (TypeError, ValueError):
            errors.add("grace_days", _("Enter the grace days as a whole number."), "invalid")
        else:
            if grace < 0:
                errors.add("grace_days", _("Grace days can't be negative."), "negative")
            if grace > 366:
                errors.add("grace_days", _("Grace is at most 366 days."), "range")
    return {"basis": basis, "rate_percent": rate.quantize(E4), "grace_days": grace, "cap_percent": cap.quantize(CENT)}  # fmt: skip


def save_late_fee_rule(
    *, fee_item: FeeItem, actor, basis: str, rate_percent, grace_days, cap_percent,
    is_active: bool = True,
) -> LateFeeRule:  # fmt: skip
    """Set (or change) the fee item's late-fee rule. A change applies from the next run: what
    has accrued stays."""
    ensure_can(actor, RULE_PERM, fee_item.site_id)
    if fee_item.kind in NO_RULE_KINDS:
        raise invalid(
            "fee_item", _("Late fees and deposits can't carry a late fee."), "not_chargeable"
        )
    fields = _checked_rule(basis, rate_percent, grace_days, cap_percent)
    fields["is_active"] = bool(is_active)
    with transaction.atomic():
        FeeItem.objects.select_for_update().filter(pk=fee_item.pk).first()  # one change at a time
        rule = LateFeeRule.objects.filter(fee_item=fee_item).first()
        if rule is None:
            rule = LateFeeRule.objects.create(site_id=fee_item.site_id, fee_item=fee_item, **fields)
            record_create(actor, rule)
        else:
            before = snapshot(rule)
            for name, value in fields.items():
                setattr(rule, name, value)
            rule.save()
            record_update(actor, rule, before)
    return rule


def rule_of(fee_item: FeeItem) -> LateFeeRule | None:
    return LateFeeRule.objects.filter(fee_item=fee_item).first()


# ---------------------------------------------------------------------------------------------
# The daily accrual


def _principals(site=None):
    """Lines that may carry a late fee — of a unit, not cancelled — with `open` (outstanding)."""
    lines = BillLine.objects.filter(unit__isnull=False, cancelled_at__isnull=True)
    if site is not None:
        lines = lines.of_site(site)
    # No ordering: these are compiled into set-based statements (a sort there is wasted work).
    return lines.order_by().annotate(open=open_amount())


def _beyond_grace(today: datetime.date, site=None) -> Q | None:
    """Lines due more than their item's grace days before `today`: one condition per distinct
    grace of the active rules (there are few), so no date arithmetic is needed in SQL."""
    rules = LateFeeRule.objects.filter(is_active=True)
    if site is not None:
        rules = rules.of_site(site)
    graces = sorted(set(rules.values_list("grace_days", flat=True)))
    if not graces:
        return None
    condition = Q(pk__in=[])
    for grace in graces:
        condition |= Q(
            fee_item__late_fee_rule__grace_days=grace,
            due_date__lt=today - datetime.timedelta(days=grace),
        )
    return condition


def _compiled(queryset) -> tuple[str, list]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, list(params)


def _date_param(day: datetime.date):
    return connection.ops.adapt_datefield_value(day)


def _local_day(moment: datetime.datetime, site: Site) -> datetime.date:
    return timezone.localtime(moment, ZoneInfo(site.time_zone or "Asia/Shanghai")).date()


def _accrued_from(site=None):
    """SQL: the day a new late fee counts as accrued through — nothing is charged for it or
    before it. The latest of: the principal's due date; the day its rule was set (a new rule
    charges no arrears of the days before it); the day the site's late fees were last accrued
    through (an earlier day's run would have found the line if it was overdue and open then,
    so a line open again after a void or a refund, or posted late, is charged from the day
    it is found — while a run after missed days still charges all of them)."""
    rules = LateFeeRule.objects.filter(is_active=True).select_related("site")
    ran = LateFee.objects.filter(charge_line__isnull=True, bill_line__cancelled_at__isnull=True)
    if site is not None:
        rules, ran = rules.of_site(site), ran.of_site(site)
    set_on = [When(fee_item_id=r.fee_item_id, then=Value(_local_day(r.created_at, r.site))) for r in rules]  # fmt: skip
    last_run = [
        When(site_id=row["site"], then=Value(row["last"]))
        for row in ran.order_by().values("site").annotate(last=Max("accrued_through"))
    ]
    day = DateField()
    return Greatest(
        "due_date",
        Case(*set_on, default=F("due_date"), output_field=day),
        Case(*last_run, default=F("due_date"), output_field=day),
        output_field=day,
    )


def _create_missing(today: datetime.date, site=None) -> int:
    """A LateFee row for each newly overdue principal, with nothing accrued yet (`_accrued_from`).
    Concurrent runs insert nothing twice (the principal is unique)."""
    beyond = _beyond_grace(today, site)
    if beyond is None:
        return 0
    new = (
        _principals(site)
        .filter(beyond, fee_item__late_fee_rule__is_active=True, late_fee__isnull=True, open__gt=0)
        .values("id", "site_id", "unit_id", start=_accrued_from(site))
    )
    inner, params = _compiled(new)
    q = connection.ops.quote_name
    meta = LateFee._meta
    columns = ", ".join(
        q(meta.get_field(name).column)
        for name in (
            "site",
            "created_at",
            "updated_at",
            "bill_line",
            "unit",
            "accrued",
            "waived",
            "accrued_through",
        )  # fmt: skip
    )
    now = connection.ops.adapt_datetimefield_value(clock.now())
    # SQLite needs a WHERE in an INSERT … SELECT followed by ON CONFLICT.
    sql = f"""
        INSERT INTO {q(meta.db_table)} ({columns})
        SELECT c.site_id, %s, %s, c.id, c.unit_id, 0, 0, c.start FROM ({inner}) c WHERE 1 = 1
        ON CONFLICT DO NOTHING
    """  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, *params])
        return max(cursor.rowcount, 0)


def _vendor_sql(today: datetime.date) -> tuple[dict, list]:
    """The date and integer arithmetic of the accrual in the database's own dialect, with the
    parameters it needs (in order of use in `_accrue_sql`)."""
    if connection.vendor == "postgresql":
        start = "(c.due_date + c.r_grace)"
        frm = f"GREATEST(lf.accrued_through, {start})"

        def ymd(part, day):
            return f"CAST(EXTRACT({part} FROM {day}) AS INTEGER)"

        days = f"(CAST(%s AS DATE) - {frm})"
        v = {
            "integer": "NUMERIC", "greatest": "GREATEST", "least": "LEAST",
            "div": lambda a, b: f"FLOOR(({a}) / {b})", "yuan": lambda e4: f"CAST({e4} AS NUMERIC) / 10000",
        }  # fmt: skip
    else:
        start = "date(c.due_date, '+' || c.r_grace || ' days')"
        frm = f"MAX(lf.accrued_through, {start})"

        def ymd(part, day):
            fmt = {"YEAR": "%%Y", "MONTH": "%%m", "DAY": "%%d"}[part]
            return f"CAST(strftime('{fmt}', {day}) AS INTEGER)"

        days = f"CAST(julianday(%s) - julianday({frm}) AS INTEGER)"
        v = {
            "integer": "INTEGER", "greatest": "MAX", "least": "MIN",
            "div": lambda a, b: f"(({a}) / {b})", "yuan": lambda e4: f"(({e4}) / 10000.0)",
        }  # fmt: skip

    def months(day):
        """Whole months from S to `day` (negative before S)."""
        return (
            f"(({ymd('YEAR', day)} - {ymd('YEAR', start)}) * 12 + {ymd('MONTH', day)} - {ymd('MONTH', start)}"
            f" - CASE WHEN {ymd('DAY', day)} < {ymd('DAY', start)} THEN 1 ELSE 0 END)"
        )  # fmt: skip

    # months(today) with today given as year, month and day parameters
    today_months = (
        f"((%s - {ymd('YEAR', start)}) * 12 + %s - {ymd('MONTH', start)}"
        f" - CASE WHEN %s < {ymd('DAY', start)} THEN 1 ELSE 0 END)"
    )
    v["periods"] = (
        f"(CASE WHEN c.r_basis = '{Basis.DAILY}' THEN {days}"
        f" ELSE {today_months} - {months(frm)} END)"
    )
    return v, [_date_param(today), today.year, today.month, today.day]


def _accrue_sql(inner: str, today: datetime.date) -> tuple[str, list]:
    v, params = _vendor_sql(today)
    integer, g, least, div = v["integer"], v["greatest"], v["least"], v["div"]
    periods = f"{g}({v['periods']}, 0)"
    # Integers: outstanding in fen × rate in 1/10000 % × periods = 1e-8 yuan; accrued and the
    # cap in 1e-4 yuan. Exact on both databases; the addition rounded half up.
    open_fen = f"CAST(ROUND(c.open * 100) AS {integer})"
    rate_e4 = f"CAST(ROUND(c.r_rate * 10000) AS {integer})"
    added = div(f"{open_fen} * {rate_e4} * {periods} + 5000", 10000)
    added = f"(CASE WHEN c.r_active AND c.open > 0 THEN {added} ELSE 0 END)"
    accrued = f"CAST(ROUND(lf.accrued * 10000) AS {integer})"
    cap = div(f"CAST(ROUND(c.amount * 100) AS {integer}) * CAST(ROUND(c.r_cap * 100) AS {integer})", 100)  # fmt: skip
    new = f"{g}({accrued}, {least}({accrued} + {added}, {cap}))"
    q = connection.ops.quote_name
    table = q(LateFee._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(clock.now())
    # `lf` is the row updated: PostgreSQL and SQLite (3.33+) both take UPDATE … FROM.
    day = _date_param(today)
    sql = f"""
        UPDATE {table} AS lf
        SET {q("accrued")} = {v["yuan"](new)}, {q("accrued_through")} = %s, {q("updated_at")} = %s
        FROM ({inner}) c
        WHERE lf.id = c.fee AND lf.accrued_through < %s AND lf.charge_line_id IS NULL
    """  # fmt: skip
    # In order of appearance: SET (the periods' today, then accrued_through and updated_at);
    # the caller adds the subquery's and WHERE's.
    return sql, [*params, day, now]


def _accrue(today: datetime.date, site=None, late_fee_ids=None) -> int:
    lines = _principals(site).filter(
        late_fee__isnull=False,
        late_fee__charge_line__isnull=True,
        late_fee__accrued_through__lt=today,
        fee_item__late_fee_rule__isnull=False,
    )
    if late_fee_ids is not None:
        lines = lines.filter(late_fee__in=late_fee_ids)
    rule = "fee_item__late_fee_rule__"
    rows = lines.values(
        "amount", "due_date", "open", fee=F("late_fee__id"), r_grace=F(f"{rule}grace_days"),
        r_basis=F(f"{rule}basis"), r_rate=F(f"{rule}rate_percent"), r_cap=F(f"{rule}cap_percent"),
        r_active=F(f"{rule}is_active"),
    )  # fmt: skip
    inner, inner_params = _compiled(rows)
    sql, params = _accrue_sql(inner, today)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *inner_params, _date_param(today)])
        return max(cursor.rowcount, 0)


def accrue_late_fees(*, today: datetime.date, site=None) -> int:
    """Bring every unposted late fee (of `site`, or of every site) up to `today`, creating those
    of newly overdue principals first. Returns how many late fees were brought up. Safe to run
    again the same day: it changes nothing."""
    with transaction.atomic():
        _create_missing(today, site)
        return _accrue(today, site)


# ---------------------------------------------------------------------------------------------
# Posting


def to_post(late_fee: LateFee) -> Decimal:
    """What posting would charge now: accrued − waived, half up to the fen; nothing for a
    remainder below one fen (what a waiver of "all" to the fen leaves)."""
    left = Decimal(late_fee.accrued) - Decimal(late_fee.waived)
    return left.quantize(CENT, ROUND_HALF_UP) if left >= CENT else ZERO


def waivable(late_fee: LateFee) -> Decimal:
    """What can still be waived: accrued − waived, cut down to the fen (a waiver never exceeds
    what accrued)."""
    left = Decimal(late_fee.accrued) - Decimal(late_fee.waived)
    return max(left.quantize(CENT, ROUND_DOWN), ZERO)


def late_fee_item(site, actor=None) -> FeeItem:
    """The site's late-fee item (滞纳金), set up the first time a late fee is posted: one-off,
    a fixed amount per line, never in a bill run."""
    site_id = site if isinstance(site, int) else site.pk
    found = FeeItem.objects.filter(site_id=site_id, kind=FeeItem.Kind.LATE_FEE).order_by("pk").first()  # fmt: skip
    if found is not None:
        return found
    try:
        with transaction.atomic():
            item = FeeItem.objects.create(
                site_id=site_id, code=LATE_FEE_CODE, name="滞纳金", kind=FeeItem.Kind.LATE_FEE,
                is_cyclic=False, method=FeeItem.Method.PER_UNIT,
            )  # fmt: skip
            record_create(actor, item)
            return item
    except IntegrityError:  # made meanwhile by another worker, or the code is taken
        found = FeeItem.objects.filter(site_id=site_id, kind=FeeItem.Kind.LATE_FEE).order_by("pk").first()  # fmt: skip
        if found is None:
            raise invalid(
                "fee_item",
                _(
                    "Another fee item has the code late_fee: give it another code or make it the late-fee item."
                ),
                "code_taken",
            ) from None
        return found


def _post(late_fee: LateFee, actor, today: datetime.date) -> BillLine | None:
    """Post one late fee (in the caller's transaction, its row locked): the line, once."""
    late_fee = LateFee.objects.select_for_update(of=("self",)).select_related("bill_line__fee_item", "bill_line__unit").get(pk=late_fee.pk)  # fmt: skip
    if late_fee.charge_line_id is not None:
        return late_fee.charge_line
    amount = to_post(late_fee)
    if amount <= 0:
        return None
    principal = late_fee.bill_line
    line = services.add_charge(
        site=principal.site, actor=actor, fee_item=late_fee_item(principal.site_id, actor),
        unit=principal.unit, period_start=today, amount=amount, key=f"late_fee:{late_fee.pk}",
        note=_("late fee on %(item)s %(period)s") % {"item": principal.fee_item.name, "period": f"{principal.period_start:%Y-%m}"},
    )  # fmt: skip
    late_fee.charge_line = line
    late_fee.save(update_fields=["charge_line", "updated_at"])
    record_action(actor, late_fee, _("posted"), {"charge_line": [None, f"¥{line.amount}"]})
    return line


def settled(site=None):
    """Unposted late fees whose principal is paid off (not cancelled), with something to post:
    the principal's open amount, as the receivables ledger keeps it, is nothing."""
    fees = LateFee.objects.filter(
        charge_line__isnull=True,
        accrued__gte=F("waived") + CENT,
        bill_line__unit__isnull=False,
        bill_line__cancelled_at__isnull=True,
        bill_line__open_amount__lte=0,
    )
    if site is not None:
        fees = fees.of_site(site)
    return fees


def post_late_fees(*, today: datetime.date, site=None, actor=None) -> int:
    """Post the late fees of settled principals (of `site`, or of every site); each once."""
    posted = 0
    found = settled(site).order_by("site_id", "pk").values_list("pk", "site_id")
    actors: dict[int, object] = {}
    for pk, site_id in found.iterator():
        who = actor or actors.get(site_id) or actors.setdefault(site_id, system_actor(site_id))
        with transaction.atomic():
            if _post(LateFee(pk=pk), who, today) is not None:
                posted += 1
    return posted


def post_late_fee(*, late_fee: LateFee, actor, today: datetime.date | None = None) -> BillLine:
    """Post one late fee now (the resident settles at the counter): accrued through today
    first, then charged as a line; it accrues no more. Refused when there is nothing to post."""
    ensure_can(actor, POST_PERM, late_fee.site_id)
    today = today or local_today(late_fee.site)
    with transaction.atomic():
        locked = LateFee.objects.select_for_update().get(pk=late_fee.pk)
        if locked.charge_line_id is not None:
            raise invalid(None, _("This late fee is already posted."), "posted")
        if BillLine.objects.filter(pk=locked.bill_line_id, cancelled_at__isnull=False).exists():
            raise invalid(None, _("Its principal was cancelled: there is nothing to charge."), "cancelled")  # fmt: skip
        _accrue(today, late_fee.site_id, late_fee_ids=[locked.pk])
        line = _post(locked, actor, today)
        if line is None:
            raise invalid(None, _("Nothing is left to charge on this late fee."), "nothing_to_post")
    return line


def system_actor(site_id: int):
    """The user the daily job posts as: the bill run's system user, who may also post lines."""
    from .jobs import system_actor as billing_system_user

    user = billing_system_user(Site.objects.get(pk=site_id))
    perm = Permission.objects.get(content_type__app_label="ledger", codename="add_billline")
    if not user.has_perm(POST_PERM):
        user.user_permissions.add(perm)
        user = type(user).objects.get(pk=user.pk)  # no permission cache from before the grant
    return user


# ---------------------------------------------------------------------------------------------
# Waivers


def checked_waiver(late_fee: LateFee, amount) -> Decimal:
    """The amount of a waiver of this late fee now, or a field error (nothing posted, no more
    than what is left)."""
    try:
        amount = as_decimal(amount)
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise ValueError(amount)
        amount = amount.quantize(CENT)
    except (ValueError, InvalidOperation):
        raise invalid("amount", _("Enter the amount in yuan, like 12.50."), "invalid") from None
    if amount <= 0:
        raise invalid("amount", _("A waiver must be more than zero."), "not_positive")
    if late_fee.charge_line_id is not None:
        raise invalid(None, _("This late fee is posted: cancel its line instead."), "posted")
    available = waivable(late_fee)
    if amount > available:
        raise invalid(
            "amount",
            _("Only %(available)s of this late fee can be waived.")
            % {"available": format_yuan(available)},
            "more_than_available",
        )
    return amount


def waive_late_fee(
    *, late_fee: LateFee, actor, amount, reason: str, approval=None
) -> LateFeeWaiver:
    """Waive part or all of an unposted late fee, with a reason, if the actor's post may waive
    that much (authority matrix: waive late fee); otherwise the refusal names who may, and the
    actor can ask them (`approvals.request_approval`). Nothing is written on a refusal."""
    reason = (reason or "").strip()
    if late_fee.charge_line_id is not None:  # a state, told before the fields
        raise invalid(None, _("This late fee is posted: cancel its line instead."), "posted")
    with collecting() as errors:
        if not reason:
            errors.add("reason", _("Say why the late fee is waived."), "required")
        amount = errors.check(checked_waiver, late_fee, amount)
    site = late_fee.site
    within_authority(actor, site, ACTION, amount)
    ensure_can(actor, WAIVE_PERM, site)
    with transaction.atomic():
        late_fee = LateFee.objects.select_for_update().get(pk=late_fee.pk)
        amount = checked_waiver(late_fee, amount)
        require_authority(actor, site.pk, ACTION, amount)
        waiver = LateFeeWaiver.objects.create(
            site=site, late_fee=late_fee, amount=amount, reason=reason[:200], waived_by=actor,
            waived_at=clock.now(), approval=approval,
        )  # fmt: skip
        LateFee.objects.filter(pk=late_fee.pk).update(waived=F("waived") + amount, updated_at=clock.now())  # fmt: skip
        record_create(actor, waiver)
    return waiver


# ---------------------------------------------------------------------------------------------
# The daily job


def local_today(site) -> datetime.date:
    site = site if isinstance(site, Site) else Site.objects.get(pk=site)
    return timezone.localdate(clock.now(), ZoneInfo(site.time_zone or "Asia/Shanghai"))


@dataclass(frozen=True)
class DayResult:
    site: str
    day: datetime.date
    created: int
    accrued: int
    posted: int


def run_site_day(site: Site, today: datetime.date) -> DayResult:
    """One site's day: new late fees, the accrual through `today`, then posting the settled."""
    with transaction.atomic():
        created = _create_missing(today, site)
        accrued = _accrue(today, site)
    posted = post_late_fees(today=today, site=site)
    return DayResult(site.code, today, created, accrued, posted)


def run_daily(now: datetime.datetime | None = None) -> dict:
    """Hourly: each site with a late-fee rule is run once on its own local day (a job row marks
    the day done); running it again would change nothing anyway."""
    now = now or clock.now()
    done = []
    sites = Site.objects.filter(is_active=True, pk__in=LateFeeRule.objects.values("site")).order_by("code")  # fmt: skip
    for site in sites:
        today = timezone.localdate(now, ZoneInfo(site.time_zone or "Asia/Shanghai"))
        day = today.isoformat()
        if Job.objects.filter(site=site, kind=JOB_KIND, params__day=day, state=Job.State.DONE).exists():  # fmt: skip
            continue
        try:
            result = run_site_day(site, today)
        except Exception:
            log.exception("late fees of %s %s failed", site.code, day)
            continue
        Job.objects.create(
            site=site, kind=JOB_KIND, title=_("Late fees %(day)s") % {"day": day},
            params={"day": day}, state=Job.State.DONE, finished_at=clock.now(),
            result={"created": result.created, "accrued": result.accrued, "posted": result.posted},
        )  # fmt: skip
        done.append(site.code)
    return {"sites": done}
