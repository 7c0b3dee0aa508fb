"""Correcting a relief rule with its history kept (docs/collections.md, Relief — Correcting a
rule). A rule is corrected the way a rate changes: the version in force ends the day before a
date, and a new version — the corrected terms, the same kind, fee item and scope — starts on
that date and runs to where the old one would have ended. Corrected from its very first day,
the old version is taken out of use instead (its window stays as it was, for the record).

Relief already granted stays as it was: each entry keeps the version that granted it, and no
entry is touched. Bill runs of periods from the date, payments ahead on or after it and vacancy
relief approved afterwards take the version whose window covers them. A correction starts on
the first day of a month, so each month's line falls under exactly one version.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from wuye.core.audit import record_action, record_create
from wuye.core.errors import collecting, invalid
from wuye.core.permissions import ensure_can

from .models import ReliefRule
from .relief import END_PERM, RULE_PERM, _day, _rule_fields


def correct_rule(
    *, rule: ReliefRule, actor, starts_on, name: str = "", percent=None, amount=None,
    months_ahead=None, gift_months=None,
) -> ReliefRule:  # fmt: skip
    """A new version of `rule` from `starts_on` with the corrected terms (what its kind needs,
    checked as for a new rule; an empty name keeps the old one). Only the latest version in use
    is corrected."""
    ensure_can(actor, RULE_PERM, rule.site_id)
    ensure_can(actor, END_PERM, rule.site_id)
    with collecting() as errors:
        day = errors.check(_day, "starts_on", starts_on, required=True)
        if day is not None and day.day != 1:
            errors.add("starts_on", _("A correction starts on the first day of a month, so each month's line falls under one version."), "not_first")  # fmt: skip
        fields = _rule_fields(
            rule.site, errors, kind=rule.kind, fee_item=rule.fee_item, percent=percent,
            amount=amount, months_ahead=months_ahead, gift_months=gift_months,
        )  # fmt: skip
    name = (name or "").strip()[:60] or rule.name
    with transaction.atomic():
        current = ReliefRule.objects.select_for_update(of=("self",)).select_related("site").get(pk=rule.pk)  # fmt: skip
        if not current.is_active or ReliefRule.objects.filter(previous=current).exists():
            raise invalid(None, _("Only the latest version in use can be corrected."), "not_latest")  # fmt: skip
        if day < current.valid_from:
            raise invalid("starts_on", _("The version in force starts on %(day)s; a correction can't start before it.") % {"day": current.valid_from}, "before_start")  # fmt: skip
        if current.valid_to is not None and day > current.valid_to:
            raise invalid("starts_on", _("The rule already ends on %(day)s.") % {"day": current.valid_to}, "ended")  # fmt: skip
        if all(getattr(current, key) == value for key, value in {"name": name, **fields}.items()):
            raise invalid(None, _("Nothing is changed: correct at least one term."), "unchanged")  # fmt: skip
        ends_on = current.valid_to
        if day == current.valid_from:  # wrong from its first day: out of use, its window kept
            current.is_active = False
            current.save(update_fields=["is_active", "updated_at"])
            change = {"is_active": [True, False]}
        else:
            current.valid_to = day - datetime.timedelta(days=1)
            current.save(update_fields=["valid_to", "updated_at"])
            change = {"valid_to": [str(ends_on) if ends_on else None, str(current.valid_to)]}
        record_action(actor, current, _("corrected from %(day)s") % {"day": day}, change)
        corrected = ReliefRule.objects.create(
            site_id=current.site_id, name=name, kind=current.kind, fee_item=current.fee_item,
            building=current.building, valid_from=day, valid_to=ends_on, created_by=actor,
            previous=current, version=current.version + 1, **fields,
        )  # fmt: skip
        record_create(actor, corrected, verb=_("correction of version %(n)s") % {"n": current.version})  # fmt: skip
    return corrected


def versions(rule: ReliefRule) -> list[ReliefRule]:
    """Every version of `rule`'s history, the first first (a handful of small queries)."""
    first = rule
    while first.previous_id is not None:
        first = ReliefRule.objects.select_related("created_by").get(pk=first.previous_id)
    found = [first]
    while True:
        following = ReliefRule.objects.filter(previous=found[-1]).select_related("created_by").first()  # fmt: skip
        if following is None:
            return found
        found.append(following)


def latest(rule: ReliefRule) -> ReliefRule:
    return versions(rule)[-1]
