"""The authority matrix as later approvals read it (R-ADM-02).

Refunds, voids, waivers, leave and the rest ask two questions here: may this employee approve
this, and if not, who above them may. A post's rule for an action gives the amount range or the
number of days it may approve; a site's own rule for a post replaces the company's there. What
nobody on the site may approve goes to the company (`approver_for` answers None).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wuye.core.models import Site
from wuye.core.money import format_yuan

from .models import AuthorityRule, Employee, Post

Action = AuthorityRule.Action

# What an action's limit is measured in. Leave is counted in days, money actions in yuan; a
# force-close has no size, so a post either may or may not.
DAYS = "days"
AMOUNT = "amount"
MEASURE: dict[str, str | None] = {
    Action.SICK_LEAVE: DAYS,
    Action.PERSONAL_LEAVE: DAYS,
    Action.PAY_ADJUSTMENT: AMOUNT,
    Action.CONTRACT: AMOUNT,
    Action.PURCHASE: AMOUNT,
    Action.EXPENSE: AMOUNT,
    Action.FINE: AMOUNT,
    Action.REFUND: AMOUNT,
    Action.VOID_PAYMENT: AMOUNT,
    Action.CANCEL_BILL_LINE: AMOUNT,
    Action.WAIVE_LATE_FEE: AMOUNT,
    Action.RELIEF: AMOUNT,
    Action.FORCE_CLOSE_TICKET: None,
}

# A chain longer than any real organisation: a guard against data that loops in a way the
# visited-set can't see (it can't, but a bounded loop is cheaper than a hung request).
_MAX_STEPS = 50


def _decimal(value, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        # Floats can't say 0.1 exactly; money and days reach here as Decimal or text.
        raise TypeError(f"{name} must be a Decimal, not a float")
    return Decimal(value)


def _applicable(action: str, site: Site):
    """The rules that may apply at `site`: its own and its company's."""
    return (
        AuthorityRule.objects.filter(action=action)
        .select_related("post")
        .filter(Q(site=site) | Q(site__isnull=True, company_id=site.company_id))
    )


def _pick(rules) -> dict[int, AuthorityRule]:
    by_post: dict[int, AuthorityRule] = {}
    for rule in rules:
        # The site's own rule replaces the company's, whichever comes first from the database.
        if rule.post_id not in by_post or rule.site_id is not None:
            by_post[rule.post_id] = rule
    return by_post


def rules_for(action: str, site: Site) -> dict[int, AuthorityRule]:
    """Every post's effective rule for `action` at `site`, by post id (one query)."""
    return _pick(_applicable(action, site))


def effective_rule(post: Post, action: str, site: Site) -> AuthorityRule | None:
    """The rule `post` works under for `action` at `site`: the site's own, else the company's."""
    return _pick(_applicable(action, site).filter(post=post)).get(post.pk)


def rule_allows(
    rule: AuthorityRule | None, *, amount: Decimal | None = None, days: Decimal | None = None
) -> bool:
    """Whether `rule` covers a request of this size.

    A bound the rule sets needs the request's size: an amount-limited rule can't approve a
    request whose amount is unknown. A rule without bounds approves any size.
    """
    if rule is None:
        return False
    if rule.min_amount is not None or rule.max_amount is not None:
        if amount is None:
            return False
        if rule.min_amount is not None and amount < rule.min_amount:
            return False
        if rule.max_amount is not None and amount > rule.max_amount:
            return False
    return not (rule.max_days is not None and (days is None or days > rule.max_days))


def approvable(employee: Employee, site: Site, actions, *, amount_field: str = "amount") -> Q:
    """A filter of the requests (with `action` and `amount_field`) that `employee`'s post may
    approve at `site`: what `may_approve` answers for one request, in one query for a list —
    the site's rule over the company's, bounds inclusive, no rule no approval. A rule limited in
    days never covers money."""
    allowed = Q(pk__in=[])
    if not employee.is_active:
        return allowed
    rules: dict[str, AuthorityRule] = {}
    for rule in AuthorityRule.objects.filter(
        post_id=employee.post_id, action__in=list(actions)
    ).filter(Q(site=site) | Q(site__isnull=True, company_id=site.company_id)):
        if rule.action not in rules or rule.site_id is not None:
            rules[rule.action] = rule
    for action, rule in rules.items():
        if rule.max_days is not None:
            continue
        covered = Q(action=action)
        if rule.min_amount is not None:
            covered &= Q(**{f"{amount_field}__gte": rule.min_amount})
        if rule.max_amount is not None:
            covered &= Q(**{f"{amount_field}__lte": rule.max_amount})
        allowed |= covered
    return allowed


def may_approve(employee: Employee, action: str, *, amount=None, days=None) -> bool:
    """Whether `employee`, by their post, may approve `action` of this size at their site."""
    if not employee.is_active:
        return False
    rule = effective_rule(employee.post, action, employee.site)
    return rule_allows(rule, amount=_decimal(amount, "amount"), days=_decimal(days, "days"))


@dataclass(frozen=True)
class Step:
    """One person the request passes on its way up, and what their post allows."""

    employee: Employee
    rule: AuthorityRule | None
    approves: bool

    @property
    def reason(self) -> str:
        if self.approves:
            return _("may approve")
        if self.rule is None:
            return _("no authority for this")
        return _("beyond their limit (%(limit)s)") % {"limit": describe_limit(self.rule)}


@dataclass(frozen=True)
class ApprovalChain:
    steps: list[Step]

    @property
    def approver(self) -> Employee | None:
        last = self.steps[-1] if self.steps else None
        return last.employee if last is not None and last.approves else None

    @property
    def goes_to_company(self) -> bool:
        return self.approver is None


def next_up(employee: Employee) -> Employee | None:
    """Who `employee` reports to: their superior while in service; otherwise (no superior, or
    one who has left) an employee in service in the superior post at the same site, going on
    up the posts past vacant ones."""
    superior = employee.superior
    if superior is not None and superior.is_active and superior.site_id == employee.site_id:
        return superior
    post = employee.post.superior
    seen_posts: set[int] = set()
    while post is not None and post.pk not in seen_posts:
        seen_posts.add(post.pk)
        holder = (
            Employee.objects.filter(site_id=employee.site_id, post=post, is_active=True)
            .select_related("post__superior", "superior__post", "site")
            .order_by("number", "pk")
            .first()
        )
        if holder is not None:
            return holder
        post = post.superior
    return None


def _walk(employee: Employee, include_self: bool) -> Iterator[Employee]:
    seen: set[int] = set()
    current = employee if include_self else next_up(employee)
    while current is not None and current.pk not in seen and len(seen) < _MAX_STEPS:
        seen.add(current.pk)
        yield current
        current = next_up(current)


def approval_chain(
    employee: Employee, action: str, *, amount=None, days=None, include_self: bool = True
) -> ApprovalChain:
    """The people a request of this size passes, from `employee` up, ending at the first whose
    post may approve it. When nobody on the site may, the last step does not approve and the
    request goes to the company.

    `include_self=False` starts at the employee's superior: for a request about oneself (one's
    own leave), which nobody approves for themselves.
    """
    amount, days = _decimal(amount, "amount"), _decimal(days, "days")
    rules = rules_for(action, employee.site)
    steps: list[Step] = []
    for person in _walk(employee, include_self):
        rule = rules.get(person.post_id)
        approves = person.is_active and rule_allows(rule, amount=amount, days=days)
        steps.append(Step(employee=person, rule=rule, approves=approves))
        if approves:
            break
    return ApprovalChain(steps=steps)


def approver_for(
    employee: Employee, action: str, *, amount=None, days=None, include_self: bool = True
) -> Employee | None:
    """The first person from `employee` up who may approve; None: beyond the site, the
    request goes to the company."""
    return approval_chain(
        employee, action, amount=amount, days=days, include_self=include_self
    ).approver


def describe_limit(rule: AuthorityRule) -> str:
    """A rule's limit as people read it: "≤ 1 day", "¥500.00 – ¥3,000.00", "no limit"."""
    parts = []
    if rule.min_amount is not None and rule.max_amount is not None:
        parts.append(f"{format_yuan(rule.min_amount)} – {format_yuan(rule.max_amount)}")
    elif rule.max_amount is not None:
        parts.append(f"≤ {format_yuan(rule.max_amount)}")
    elif rule.min_amount is not None:
        parts.append(f"≥ {format_yuan(rule.min_amount)}")
    if rule.max_days is not None:
        days = rule.max_days.normalize()
        count = 1 if days == 1 else 2  # "0.5 days" and "2 days" are plural in English
        parts.append(
            ngettext("≤ %(days)s day", "≤ %(days)s days", count) % {"days": format(days, "f")}
        )
    return " · ".join(parts) if parts else _("no limit")
