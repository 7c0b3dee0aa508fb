"""减免 / 优惠 (docs/collections.md, Relief): relief rules with their validity windows, applied in bill
runs, at payment (paying months ahead) and on approved vacant-unit applications, each grant
recorded as its own ledger entry (`ReliefEntry`) on one bill line.

A relief entry lowers what the line owes — amount − paid − relief (`payments.with_outstanding`),
so open lines, arrears, late fees, notices and the statement all see it — and never below
nothing: an entry is at most what is open on the line when it is granted. It lowers what the
line makes due in the collection rate (due = charged − relief, `figures`). Entries are
cancelled, never edited; cancelling gives the amount back to the line.

The kinds, for a line of amount A (relief rounded half up to the fen, once):
- discount:   A × percent / 100 on each line whose period the window covers (bill runs); with
              `months_ahead`, only on the lines paid ahead (`pay_ahead`);
- reduction:  min(amount, A) on each line whose period the window covers (bill runs);
- gift months: paying `months_ahead` months ahead posts `gift_months` more, each relieved in
              full (`pay_ahead`);
- vacancy:    A × percent / 100 on the lines of a unit whose approved application's window and
              the rule's window both cover the line's period — the lines there when it is
              approved, and those later bill runs post.
A rule's window covers a line when valid_from ≤ period start and period end ≤ valid_to (no
valid_to: open-ended). A pay-ahead rule's window is when the offer stands: the day paid must lie
in it. A line gets at most one live relief of each kind; a building's rule comes before the
site's. Several kinds on one line are each capped by what is left open.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.approvals.authority import require_authority
from wuye.core import clock
from wuye.core.audit import record_action, record_create
from wuye.core.errors import FieldErrors, collecting, invalid
from wuye.core.permissions import ensure_can
from wuye.estate.models import Building, Unit
from wuye.ledger import services as receivables
from wuye.ledger.models import BillLine
from wuye.staff.models import AuthorityRule

from . import charges, figures, payments
from .charges import compute, rate_for
from .models import BillRun, FeeItem, Payment, ReliefEntry, ReliefRule, VacancyApplication
from .money import CENT, ZERO, as_decimal
from .services import due_date_for

Kind = ReliefRule.Kind
State = VacancyApplication.State
RULE_PERM = "billing.add_reliefrule"
END_PERM = "billing.change_reliefrule"
APPLY_PERM = "billing.add_vacancyapplication"
INSPECT_PERM = "billing.inspect_vacancyapplication"
APPROVE_PERM = "billing.approve_vacancyapplication"
CANCEL_PERM = "billing.cancel_billline"
PAY_PERM = "billing.add_payment"
# The relief row of the authority matrix (R-ADM-02) bounds approving a vacancy relief (beyond
# it: an approval request, `approvals`) and cancelling a relief entry.
AUTHORITY = AuthorityRule.Action.RELIEF
# Pay-ahead lines are posted one unit at a time the way the bill run posts them.
PAY_AHEAD_METHODS = {
    FeeItem.Method.FLOOR_AREA,
    FeeItem.Method.INDOOR_AREA,
    FeeItem.Method.PER_UNIT,
    FeeItem.Method.FORMULA,
}  # fmt: skip
NOT_RELIEVED = (FeeItem.Kind.LATE_FEE, FeeItem.Kind.DEPOSIT)
HUNDRED = Decimal(100)


# ---------------------------------------------------------------------------------------------
# Amounts


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` of `amount`, half up to the fen — the same arithmetic as the bill run's SQL."""
    return (Decimal(amount) * Decimal(percent) / HUNDRED).quantize(CENT, ROUND_HALF_UP)


def relief_for(rule: ReliefRule, amount: Decimal) -> Decimal:
    """What `rule` takes off a line of `amount` (before the cap of what is open)."""
    if rule.kind == Kind.REDUCTION:
        return min(rule.amount, amount)
    if rule.kind == Kind.GIFT_MONTHS:
        return amount
    return percent_of(amount, rule.percent)


def is_pay_ahead(rule: ReliefRule) -> bool:
    return rule.kind == Kind.GIFT_MONTHS or (rule.kind == Kind.DISCOUNT and bool(rule.months_ahead))


def covers(rule_or_window, start: datetime.date, end: datetime.date) -> bool:
    valid_from, valid_to = rule_or_window
    return valid_from <= start and (valid_to is None or end <= valid_to)


# ---------------------------------------------------------------------------------------------
# Rules


def _money(name: str, value, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise invalid(name, _("Enter this for the kind of relief chosen."), "required")
        return None
    try:
        return as_decimal(value).quantize(CENT)
    except (ValueError, InvalidOperation):
        raise invalid(name, _("Enter a number, like 10.00."), "invalid") from None


def _count(name: str, value, *, required: bool) -> int | None:
    if value in (None, "", 0):
        if required:
            raise invalid(name, _("Enter this for the kind of relief chosen."), "required")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(name, _("Enter a whole number of months."), "invalid") from None
    if not 1 <= number <= 120:
        raise invalid(name, _("Between 1 and 120 months."), "range")
    return number


def _day(name: str, value, *, required: bool) -> datetime.date | None:
    if value in (None, ""):
        if required:
            raise invalid(name, _("Enter a date."), "required")
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise invalid(name, _("Enter a date like 2026-09-01."), "invalid") from None


def checked_window(valid_from, valid_to, *, to_field: str = "valid_to") -> tuple:
    """The window's days, or the field errors of both; the order is told once both are days."""
    with collecting() as errors:
        start = errors.check(_day, "valid_from", valid_from, required=True)
        end = errors.check(_day, to_field, valid_to, required=False)
        if start is not None and end is not None and end < start:
            errors.add(to_field, _("The relief window ends before it starts."), "order")
    return start, end


def _rule_fields(
    site, errors: FieldErrors, *, kind, fee_item, percent, amount, months_ahead, gift_months
) -> dict:
    if kind not in Kind.values:
        errors.add("kind", _("Choose the kind of relief."), "invalid_choice")
    if fee_item is None or fee_item.site_id != site.pk:
        errors.add("fee_item", _("Choose a fee item of this site."), "not_found")
    elif fee_item.kind in NOT_RELIEVED:
        errors.add("fee_item", _("Late fees and deposits get no relief."), "not_relieved")
    fields = {"percent": None, "amount": None, "months_ahead": None, "gift_months": None}
    if kind in (Kind.DISCOUNT, Kind.VACANCY):
        fields["percent"] = errors.check(_money, "percent", percent, required=True)
        if fields["percent"] is not None and not ZERO < fields["percent"] <= HUNDRED:
            errors.add("percent", _("A percentage above 0 and at most 100."), "range")
    if kind == Kind.DISCOUNT:
        fields["months_ahead"] = errors.check(_count, "months_ahead", months_ahead, required=False)
    if kind == Kind.REDUCTION:
        fields["amount"] = errors.check(_money, "amount", amount, required=True)
        if fields["amount"] is not None and fields["amount"] <= 0:
            errors.add("amount", _("A reduction must be more than zero."), "not_positive")
    if kind == Kind.GIFT_MONTHS:
        fields["months_ahead"] = errors.check(_count, "months_ahead", months_ahead, required=True)
        fields["gift_months"] = errors.check(_count, "gift_months", gift_months, required=True)
    if (
        fields["months_ahead"]
        and not errors.has("fee_item")
        and (
            fee_item.method not in PAY_AHEAD_METHODS
            or not fee_item.is_cyclic
            or fee_item.cycle != FeeItem.Cycle.MONTHLY
        )
    ):
        errors.add("fee_item", _("Paying ahead is for monthly fee items charged by area, per unit or by formula."), "not_monthly")  # fmt: skip
    return fields


def save_rule(
    *, site, actor, name: str, kind: str, fee_item: FeeItem | None, valid_from, valid_to=None,
    percent=None, amount=None, months_ahead=None, gift_months=None,
    building: Building | None = None,
) -> ReliefRule:  # fmt: skip
    """A new relief rule. Its window must not end before it starts, nor overlap a rule in use
    of the same kind, fee item and scope (a building's rule may sit inside the site's)."""
    ensure_can(actor, RULE_PERM, site)
    name = (name or "").strip()
    with collecting() as errors:
        if not name:
            errors.add("name", _("Give the rule a name."), "required")
        window = errors.check(checked_window, valid_from, valid_to)
        fields = _rule_fields(
            site, errors, kind=kind, fee_item=fee_item, percent=percent, amount=amount,
            months_ahead=months_ahead, gift_months=gift_months,
        )  # fmt: skip
        if building is not None and building.site_id != site.pk:
            errors.add("building", _("Choose a building of this site."), "not_found")
    valid_from, valid_to = window
    with transaction.atomic():
        same = ReliefRule.objects.select_for_update(of=("self",)).filter(
            site=site, kind=kind, fee_item=fee_item, building=building, is_active=True,
            months_ahead__isnull=fields["months_ahead"] is None,
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))  # fmt: skip
        if valid_to is not None:
            same = same.filter(valid_from__lte=valid_to)
        clash = same.first()
        if clash is not None:
            raise invalid("valid_from", _("The window overlaps the rule “%(name)s” in use; end that one first.") % {"name": clash.name}, "overlap")  # fmt: skip
        rule = ReliefRule.objects.create(
            site=site, name=name[:60], kind=kind, fee_item=fee_item, valid_from=valid_from,
            valid_to=valid_to, building=building, created_by=actor, **fields,
        )  # fmt: skip
        record_create(actor, rule)
    return rule


def end_rule(*, rule: ReliefRule, actor, ends_on=None) -> ReliefRule:
    """End a rule on `ends_on` (today): bill runs of later periods and payments after it get
    none of it. What it granted stays."""
    ensure_can(actor, END_PERM, rule.site_id)
    day = _day("ends_on", ends_on, required=False) or figures.local_day(rule.site_id)
    with transaction.atomic():
        rule = ReliefRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
        if day < rule.valid_from:
            raise invalid("ends_on", _("The relief window ends before it starts."), "order")
        if rule.valid_to is not None and rule.valid_to <= day:
            raise invalid("ends_on", _("The rule already ends on %(day)s.") % {"day": rule.valid_to}, "ended")  # fmt: skip
        before = rule.valid_to
        rule.valid_to = day
        rule.save(update_fields=["valid_to", "updated_at"])
        record_action(actor, rule, _("ended"), {"valid_to": [str(before) if before else None, str(day)]})  # fmt: skip
    return rule


def rules_in_use(site, kinds, on: datetime.date | None = None):
    """The site's active rules of `kinds`, a building's before the site's."""
    rules = ReliefRule.objects.of_site(site).filter(is_active=True, kind__in=list(kinds))
    if on is not None:
        rules = rules.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))  # fmt: skip
    return rules.order_by(F("building_id").asc(nulls_last=True), "pk").select_related("fee_item")


def _most_specific(rules, line: BillLine, building_id) -> ReliefRule | None:
    for rule in sorted(rules, key=lambda r: (r.building_id is None, r.pk)):
        if (
            rule.fee_item_id == line.fee_item_id
            and rule.building_id in (None, building_id)
            and covers((rule.valid_from, rule.valid_to), line.period_start, line.period_end)
        ):
            return rule
    return None


# ---------------------------------------------------------------------------------------------
# Bill runs: set-based, one INSERT … SELECT per rule in use


def _sql_cents(column: str) -> str:
    kind = "BIGINT" if connection.vendor == "postgresql" else "INTEGER"
    return f"CAST(ROUND({column} * 100) AS {kind})"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if connection.vendor == "postgresql" else f"MIN({a}, {b})"


def _yuan(cents: str) -> str:
    return f"CAST({cents} AS NUMERIC) * 0.01" if connection.vendor == "postgresql" else f"({cents}) * 0.01"  # fmt: skip


def _insert_for_run(run: BillRun, rule: ReliefRule, actor, day, vacancy: bool) -> int:
    q = connection.ops.quote_name
    lines, entries, units = q(BillLine._meta.db_table), q(ReliefEntry._meta.db_table), q(Unit._meta.db_table)  # fmt: skip
    cents = _sql_cents("l.amount")
    if rule.kind == Kind.REDUCTION:
        relief = _least(str(int(rule.amount * 100)), cents)
    else:  # a percentage: half up on whole fen, integer arithmetic on SQLite and PostgreSQL alike
        relief = f"(({cents}) * {int(rule.percent * 100)} + 5000) / 10000"
    already = f"COALESCE((SELECT {_sql_cents('SUM(e2.amount)')} FROM {entries} e2 WHERE e2.bill_line_id = l.id AND e2.cancelled_at IS NULL), 0)"  # fmt: skip
    capped = _least(relief, f"{cents} - {already}")
    where = [
        "l.run_id = %s", "l.cancelled_at IS NULL", "l.unit_id IS NOT NULL", "l.fee_item_id = %s",
        "l.period_start >= %s",
    ]  # fmt: skip
    params: list = [run.pk, rule.fee_item_id, rule.valid_from]
    if rule.valid_to is not None:
        where.append("l.period_end <= %s")
        params.append(rule.valid_to)
    if rule.building_id:
        where.append("u.building_id = %s")
        params.append(rule.building_id)
    joins, application = "", "NULL"
    if vacancy:
        applications = q(VacancyApplication._meta.db_table)
        joins = f"""JOIN {applications} a ON a.unit_id = l.unit_id AND a.state = '{State.APPROVED}'
                     AND (a.fee_item_id IS NULL OR a.fee_item_id = l.fee_item_id)
                     AND a.starts_on <= l.period_start AND a.ends_on >= l.period_end"""  # fmt: skip
        application = "a.id"
    columns = [
        "site_id", "created_at", "updated_at", "unit_id", "bill_line_id", "rule_id",
        "application_id", "kind", "amount", "granted_by_id", "granted_on", "reason", "cancel_reason",
    ]  # fmt: skip
    now = connection.ops.adapt_datetimefield_value(clock.now())
    sql = f"""
        INSERT INTO {entries} ({", ".join(q(c) for c in columns)})
        SELECT l.site_id, %s, %s, l.unit_id, l.id, %s, {application}, %s, {_yuan(capped)}, %s, %s, %s, ''
        FROM {lines} l JOIN {units} u ON u.id = l.unit_id {joins}
        WHERE {" AND ".join(where)} AND {capped} > 0
          AND NOT EXISTS (SELECT 1 FROM {entries} e WHERE e.bill_line_id = l.id
                          AND e.kind = %s AND e.cancelled_at IS NULL)"""  # fmt: skip
    head = [now, now, rule.pk, rule.kind, actor.pk, day, rule.name[:200]]
    params = [*head, *params, rule.kind]
    params = [connection.ops.adapt_datefield_value(p) if isinstance(p, datetime.date) else p for p in params]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def apply_to_run(run: BillRun, actor) -> int:
    """Grant the relief of every rule in use on the run's lines their windows cover — discounts
    and reductions on every unit's lines, vacancy relief on the lines of units with an approved
    application — in the run's transaction. Returns how many entries were made."""
    rules = [
        rule for rule in rules_in_use(run.site_id, (Kind.DISCOUNT, Kind.REDUCTION, Kind.VACANCY))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=run.period))
        if not is_pay_ahead(rule)
    ]  # fmt: skip
    if not rules:
        return 0
    day = figures.local_day(run.site_id)
    made = sum(_insert_for_run(run, rule, actor, day, rule.kind == Kind.VACANCY) for rule in rules)
    if made:
        receivables.relief_granted(run=run)
        figures.relief_granted(site_id=run.site_id, run=run)
    return made


def undo_run(run: BillRun, actor, reason: str) -> int:
    """A reversed run's relief is cancelled with its lines (call before they are cancelled)."""
    live = ReliefEntry.objects.filter(bill_line__run=run, cancelled_at__isnull=True)
    if not live.exists():
        return 0
    receivables.relief_cancelled(run=run, day=figures.local_day(run.site_id))
    figures.relief_cancelled(site_id=run.site_id, run=run)
    return live.update(
        cancelled_at=timezone.now(), cancelled_by=actor, cancel_reason=(reason or _("run reversed"))[:200]
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Paying ahead


@dataclass
class PaidAhead:
    lines: list[BillLine]
    entries: list[ReliefEntry]
    payment: Payment | None
    relief: Decimal = ZERO
    to_pay: Decimal = ZERO
    months: list[datetime.date] = field(default_factory=list)


def _next_month(month: datetime.date) -> datetime.date:
    return figures.next_month(month)


def _last_day(month: datetime.date) -> datetime.date:
    return _next_month(month) - datetime.timedelta(days=1)


def ahead_months(rule: ReliefRule, unit: Unit, today: datetime.date) -> list[datetime.date]:
    """The months a pay-ahead posts for `unit`: from the month after its latest line of the
    item (this month at the earliest), `months_ahead` of them, plus the gift months."""
    latest = (
        BillLine.objects.filter(fee_item=rule.fee_item, target=f"unit:{unit.pk}", reversed=False)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    first = figures.month_of(today)
    if latest is not None and latest >= first:
        first = _next_month(figures.month_of(latest))
    count = rule.months_ahead + (rule.gift_months or 0 if rule.kind == Kind.GIFT_MONTHS else 0)
    months = [first]
    while len(months) < count:
        months.append(_next_month(months[-1]))
    return months


def quote_ahead(*, rule: ReliefRule, unit: Unit) -> PaidAhead:
    """What paying ahead by `rule` would post, grant and cost — nothing is written."""
    return _plan(rule, unit, figures.local_day(rule.site_id))


def _plan(rule: ReliefRule, unit: Unit, today: datetime.date) -> PaidAhead:
    if not is_pay_ahead(rule) or not rule.is_active:
        raise invalid("rule", _("Choose a rule in use for paying ahead."), "not_pay_ahead")
    if not covers((rule.valid_from, rule.valid_to), today, today):
        raise invalid("rule", _("The offer is not valid today."), "outside_window")
    if rule.building_id and rule.building_id != unit.building_id:
        raise invalid("rule", _("The offer is for another building."), "other_building")
    item = rule.fee_item
    months = ahead_months(rule, unit, today)
    gifts = len(months) - rule.months_ahead
    plan = PaidAhead(lines=[], entries=[], payment=None, months=months)
    for number, month in enumerate(months):
        start, end = month, _last_day(month)
        rate = rate_for(item, unit, start)
        if rate is None:
            raise invalid("rule", _("%(item)s has no rate in force for %(month)s.") % {"item": item.name, "month": f"{month:%Y-%m}"}, "no_rate")  # fmt: skip
        factor = charges.unit_factor(item, unit, start, end)
        charge = compute(item, rate, unit=unit, factor=factor)
        if charge.amount <= 0:
            raise invalid("rule", _("Nothing is charged for this unit to pay ahead."), "nothing")
        line = BillLine(
            site_id=unit.site_id, fee_item=item, target=f"unit:{unit.pk}", unit=unit,
            period_start=start, period_end=end, quantity=charge.quantity, rate=charge.rate,
            amount=charge.amount, due_date=due_date_for(item, start, end),
            note=_("paid ahead · %(rule)s") % {"rule": rule.name},
        )  # fmt: skip
        gift = rule.kind == Kind.GIFT_MONTHS and number >= len(months) - gifts
        off = line.amount if gift else (percent_of(line.amount, rule.percent) if rule.kind == Kind.DISCOUNT else ZERO)  # fmt: skip
        plan.lines.append(line)
        if off > 0:
            kind = Kind.GIFT_MONTHS if gift else Kind.DISCOUNT
            plan.entries.append(ReliefEntry(
                site_id=unit.site_id, unit=unit, bill_line=line, rule=rule, kind=kind, amount=off,
                granted_on=today, reason=rule.name[:200],
            ))  # fmt: skip
            plan.relief += off
        plan.to_pay += line.amount - off
    return plan


def pay_ahead(
    *, site, actor, unit: Unit, rule: ReliefRule, method: str, tendered=None, payer: str = "",
    reference: str = "", idempotency_key: str = "",
) -> PaidAhead:  # fmt: skip
    """收费 · 预交优惠: the unit pays `rule.months_ahead` months of the rule's fee item ahead.
    In one transaction: the months' lines are posted (so later bill runs skip them), the
    discount or the gift months granted on them as relief entries, and the payment taken for
    what is left. Refused while the unit has anything open on the item."""
    ensure_can(actor, PAY_PERM, site)
    if unit.site_id != site.pk or rule.site_id != site.pk:
        raise invalid("unit", _("No such unit at this site."), "not_found")
    key = (idempotency_key or "").strip()[:80]
    if key:
        earlier = Payment.objects.filter(site=site, idempotency_key=key).exclude(idempotency_key="").first()  # fmt: skip
        if earlier is not None:
            if earlier.unit_id != unit.pk:
                raise invalid("idempotency_key", _("This key was used for another payment."), "key_reused")  # fmt: skip
            lines = list(BillLine.objects.filter(allocations__payment=earlier).order_by("period_start"))  # fmt: skip
            return PaidAhead(lines=lines, entries=list(ReliefEntry.objects.filter(bill_line__in=lines)), payment=earlier)  # fmt: skip
    payments.checked_money(method, "1", None)  # the method, before anything is written
    with transaction.atomic():
        Unit.objects.select_for_update(of=("self",)).filter(
            pk=unit.pk
        ).first()  # one pay-ahead of a unit at a time
        if any(line.fee_item_id == rule.fee_item_id for line in payments.open_lines(unit)):
            raise invalid("rule", _("Settle what is open on %(item)s first.") % {"item": rule.fee_item.name}, "open_lines")  # fmt: skip
        plan = _plan(rule, unit, figures.local_day(site))
        try:
            with transaction.atomic():
                BillLine.objects.bulk_create(plan.lines)
        except IntegrityError:
            raise invalid("rule", _("These months were just billed; try again."), "taken") from None
        figures.lines_posted(site_id=site.pk, lines=[line.pk for line in plan.lines])
        for entry in plan.entries:
            entry.bill_line_id, entry.granted_by = entry.bill_line.pk, actor
        ReliefEntry.objects.bulk_create(plan.entries)
        receivables.relief_granted(entries=[e.pk for e in plan.entries])
        figures.relief_granted(site_id=site.pk, entries=[e.pk for e in plan.entries])
        for line in plan.lines:
            record_create(actor, line)
        if plan.to_pay > 0:
            plan.payment = payments.take_payment(
                site=site, actor=actor, unit=unit, method=method, amount=plan.to_pay,
                lines=[line.pk for line in plan.lines], tendered=tendered, payer=payer,
                reference=reference, idempotency_key=key,
                note=_("paid ahead · %(rule)s") % {"rule": rule.name},
            )  # fmt: skip
        record_action(actor, unit, _("paid ahead"), {
            "rule": [None, rule.name], "months": [None, ", ".join(f"{m:%Y-%m}" for m in plan.months)],
            "relief": [None, str(plan.relief)], "paid": [None, str(plan.to_pay)],
        })  # fmt: skip
    return plan


# ---------------------------------------------------------------------------------------------
# Vacant units: apply → inspect → approve (or reject)


def _vacancy_rules(site, fee_item: FeeItem | None):
    rules = rules_in_use(site, (Kind.VACANCY,))
    return rules.filter(fee_item=fee_item) if fee_item is not None else rules


def apply_for_vacancy(
    *, site, actor, unit: Unit, starts_on, ends_on, reason: str, fee_item: FeeItem | None = None
) -> VacancyApplication:
    """A unit's application for vacancy relief (empty fee item: every item a vacancy rule is
    for). Refused when its window ends before it starts or overlaps another live application."""
    ensure_can(actor, APPLY_PERM, site)
    reason = (reason or "").strip()
    with collecting() as errors:
        if unit is None or unit.site_id != site.pk:
            errors.add("unit", _("No such unit at this site."), "not_found")
        if fee_item is not None and fee_item.site_id != site.pk:
            errors.add("fee_item", _("Choose a fee item of this site."), "not_found")
        start = errors.check(_day, "starts_on", starts_on, required=True)
        end = errors.check(_day, "ends_on", ends_on, required=True)
        if start is not None and end is not None and end < start:
            errors.add("ends_on", _("The relief window ends before it starts."), "order")
        if not reason:
            errors.add("reason", _("Say why the unit is vacant."), "required")
        if not errors.has("fee_item") and not _vacancy_rules(site, fee_item).exists():
            errors.add("fee_item", _("No vacancy relief rule is in use for this fee item."), "no_rule")  # fmt: skip
    with transaction.atomic():
        Unit.objects.select_for_update(of=("self",)).filter(pk=unit.pk).first()
        clash = VacancyApplication.objects.filter(
            unit=unit, state__in=[State.APPLIED, State.INSPECTED, State.APPROVED],
            starts_on__lte=end, ends_on__gte=start,
        )  # fmt: skip
        if fee_item is not None:
            clash = clash.filter(Q(fee_item__isnull=True) | Q(fee_item=fee_item))
        if clash.exists():
            raise invalid("starts_on", _("Another application of this unit covers part of this window."), "overlap")  # fmt: skip
        application = VacancyApplication.objects.create(
            site=site, unit=unit, fee_item=fee_item, starts_on=start, ends_on=end,
            reason=reason[:200], applied_by=actor,
        )  # fmt: skip
        record_create(actor, application)
    return application


def _locked(application: VacancyApplication) -> VacancyApplication:
    return VacancyApplication.objects.select_for_update(of=("self",)).select_related("site", "unit", "fee_item").get(pk=application.pk)  # fmt: skip


def record_inspection(
    *, application: VacancyApplication, actor, found_vacant, inspected_on=None, note: str = ""
) -> VacancyApplication:
    """The unit was inspected: found vacant or not (say what was found when it is not)."""
    ensure_can(actor, INSPECT_PERM, application.site_id)
    note = (note or "").strip()
    today = figures.local_day(application.site_id)
    with collecting() as errors:
        if found_vacant not in (True, False):
            errors.add("found_vacant", _("Say whether the unit was found vacant."), "required")
        elif not found_vacant and not note:
            errors.add("note", _("Say what the inspection found."), "required")
        day = errors.check(_day, "inspected_on", inspected_on, required=False)
        day = today if day is None and not errors.has("inspected_on") else day
        if day is not None and day > today:
            errors.add("inspected_on", _("An inspection can't be in the future."), "future")
    with transaction.atomic():
        application = _locked(application)
        if application.state != State.APPLIED:
            raise invalid(None, _("This application was already inspected or decided."), "wrong_state")  # fmt: skip
        application.state, application.inspected_by, application.inspected_on = State.INSPECTED, actor, day  # fmt: skip
        application.found_vacant, application.inspection_note = found_vacant, note[:200]
        application.save()
        record_action(actor, application, _("inspected"), {"found_vacant": [None, found_vacant], "note": [None, note]})  # fmt: skip
    return application


def _covered_periods(application: VacancyApplication) -> list[tuple[FeeItem, datetime.date, datetime.date]]:  # fmt: skip
    """(item, period start, period end) of every cyclic period of the items relieved that the
    window covers."""
    items = (
        [application.fee_item] if application.fee_item_id
        else list(FeeItem.objects.of_site(application.site_id).filter(is_active=True, is_cyclic=True))
    )  # fmt: skip
    found, month = [], figures.month_of(application.starts_on)
    while month <= application.ends_on:
        for item in items:
            period = charges.period_of(item, month)
            if period and application.starts_on <= period[0] and period[1] <= application.ends_on:
                found.append((item, *period))
        month = _next_month(month)
    return found


def estimated_relief(application: VacancyApplication) -> Decimal:
    """The relief the application's window would bring: each period's line (posted, or as the
    rate in force would charge it) × the vacancy rule's share — what approving it is bounded by."""
    rules = list(_vacancy_rules(application.site_id, application.fee_item))
    unit = application.unit
    posted = {
        (line.fee_item_id, line.period_start): line
        for line in BillLine.objects.filter(unit=unit, cancelled_at__isnull=True,
                                            period_start__gte=application.starts_on,
                                            period_end__lte=application.ends_on)
    }  # fmt: skip
    total = ZERO
    for item, start, end in _covered_periods(application):
        line = posted.get((item.pk, start)) or BillLine(fee_item=item, period_start=start, period_end=end)  # fmt: skip
        rule = _most_specific(rules, line, unit.building_id)
        if rule is None:
            continue
        if line.pk is None:
            rate = rate_for(item, unit, start)
            if rate is None or item.method not in PAY_AHEAD_METHODS:
                continue
            line.amount = compute(item, rate, unit=unit, factor=charges.unit_factor(item, unit, start, end)).amount  # fmt: skip
        total += percent_of(line.amount, rule.percent)
    return total


def check_approvable(application: VacancyApplication) -> None:
    """Refuse unless the relief may be approved now: undecided, inspected and found vacant."""
    if application.state not in (State.APPLIED, State.INSPECTED):
        raise invalid(None, _("This application was already decided."), "wrong_state")
    if application.state != State.INSPECTED:
        raise invalid(None, _("The unit must be inspected before the relief is approved."), "not_inspected")  # fmt: skip
    if not application.found_vacant:
        raise invalid(None, _("The inspection did not find the unit vacant; reject the application."), "not_vacant")  # fmt: skip


def decide_vacancy(
    *, application: VacancyApplication, actor, approve: bool, note: str = ""
) -> VacancyApplication:
    """Approve (the inspection found the unit vacant; the estimated relief within the actor's
    relief authority, R-ADM-02 — beyond it `BeyondAuthority`, and the actor may ask through an
    approval request) — relief entries on the unit's lines posted in the window now, later ones
    in their bill runs — or reject with a note."""
    ensure_can(actor, APPROVE_PERM, application.site_id)
    note = (note or "").strip()
    if not approve and not note:
        raise invalid("note", _("Say why the application is rejected."), "required")
    with transaction.atomic():
        application = _locked(application)
        if application.state not in (State.APPLIED, State.INSPECTED):
            raise invalid(None, _("This application was already decided."), "wrong_state")
        if approve:
            check_approvable(application)
            estimate = estimated_relief(application)
            if estimate > 0:
                require_authority(actor, application.site_id, AUTHORITY, estimate)
        application.state = State.APPROVED if approve else State.REJECTED
        application.decided_by, application.decided_at = actor, clock.now()
        application.decision_note = note[:200]
        application.save()
        record_action(actor, application, _("approved") if approve else _("rejected"), {"note": [None, note]})  # fmt: skip
        if approve:
            _grant_vacancy(application, actor)
    return application


def _grant_vacancy(application: VacancyApplication, actor) -> list[ReliefEntry]:
    """Vacancy relief on the unit's lines already posted in the window, each at most what is
    open on it now (a line paid in full gets none; a refund is its own action)."""
    rules = list(_vacancy_rules(application.site_id, application.fee_item))
    unit = application.unit
    lines = BillLine.objects.select_for_update(of=("self",)).filter(
        unit=unit, cancelled_at__isnull=True, period_start__gte=application.starts_on,
        period_end__lte=application.ends_on,
    ).exclude(fee_item__kind__in=NOT_RELIEVED)  # fmt: skip
    if application.fee_item_id:
        lines = lines.filter(fee_item_id=application.fee_item_id)
    list(lines.order_by("pk"))
    made, day = [], figures.local_day(application.site_id)
    for line in payments.with_outstanding(lines).exclude(reliefs__kind=Kind.VACANCY, reliefs__cancelled_at__isnull=True):  # fmt: skip
        rule = _most_specific(rules, line, unit.building_id)
        if rule is None:
            continue
        open_ = line.amount - line.paid.quantize(CENT) - line.relief.quantize(CENT)
        amount = min(percent_of(line.amount, rule.percent), open_)
        if amount > 0:
            made.append(ReliefEntry(
                site_id=line.site_id, unit=unit, bill_line=line, rule=rule, application=application,
                kind=Kind.VACANCY, amount=amount, granted_by=actor, granted_on=day,
                reason=f"{rule.name} · {application.reason}"[:200],
            ))  # fmt: skip
    ReliefEntry.objects.bulk_create(made)
    receivables.relief_granted(entries=[e.pk for e in made])
    figures.relief_granted(site_id=application.site_id, entries=[e.pk for e in made])
    return made


# ---------------------------------------------------------------------------------------------
# Cancelling an entry


def cancel_relief(*, entry: ReliefEntry, actor, reason: str) -> ReliefEntry:
    """Cancel a relief entry: its amount is owed on the line again. Bounded by the relief row of
    the authority matrix (R-ADM-02), like granting it."""
    ensure_can(actor, CANCEL_PERM, entry.site_id)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the relief is cancelled."), "required")
    with transaction.atomic():
        entry = ReliefEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if entry.cancelled_at is not None:
            raise invalid(None, _("This relief is already cancelled."), "cancelled")
        require_authority(actor, entry.site_id, AUTHORITY, entry.amount)
        # Before it is marked: both count the live entries.
        receivables.relief_cancelled(entries=[entry.pk], day=figures.local_day(entry.site_id))
        figures.relief_cancelled(site_id=entry.site_id, entries=[entry.pk])
        entry.cancelled_at, entry.cancelled_by, entry.cancel_reason = (
            timezone.now(),
            actor,
            reason[:200],
        )
        entry.save()
        record_action(actor, entry, _("cancelled"), {"reason": [None, reason]})
    return entry


# ---------------------------------------------------------------------------------------------
# Reads the pages and the API share


def entries_of(site, *, unit=None, kind: str = "", rule=None, cancelled: bool | None = None):
    """A site's relief entries, newest first, with their lines and fee items."""
    found = ReliefEntry.objects.of_site(site).select_related("bill_line__fee_item", "unit", "rule")
    if unit:
        found = found.filter(unit_id=unit)
    if kind in Kind.values:
        found = found.filter(kind=kind)
    if rule:
        found = found.filter(rule_id=rule)
    if cancelled is not None:
        found = found.filter(cancelled_at__isnull=not cancelled)
    return found.order_by("-created_at", "-id")


def applications_of(site, *, state: str = ""):
    """A site's vacancy applications (of one state), newest first."""
    found = VacancyApplication.objects.of_site(site).select_related(
        "unit", "fee_item", "applied_by"
    )
    if state in State.values:
        found = found.filter(state=state)
    return found.order_by("-created_at", "-id")


def unit_reliefs(unit: Unit) -> list[ReliefEntry]:
    """A unit's relief entries, the live ones first, for its account page."""
    return list(
        ReliefEntry.objects.filter(unit=unit)
        .select_related("bill_line__fee_item", "rule", "application")
        .order_by("cancelled_at", "-bill_line__period_start", "-id")
    )
