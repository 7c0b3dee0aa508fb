"""The authority matrix as approvals read it (R-ADM-02)."""

from decimal import Decimal

import pytest
from django.utils import translation

from wuye.staff.authority import (
    approval_chain,
    approver_for,
    effective_rule,
    may_approve,
)
from wuye.staff.models import AuthorityRule

A = AuthorityRule.Action


def test_adm_02_centre_head_approves_one_day_sick_leave_and_escalates_two_days_to_the_manager(
    staff_a,
):
    head, pm = staff_a["head"], staff_a["pm"]
    assert may_approve(head, A.SICK_LEAVE, days=Decimal("1"))
    assert approver_for(head, A.SICK_LEAVE, days=Decimal("1")) == head
    assert not may_approve(head, A.SICK_LEAVE, days=Decimal("2"))
    assert approver_for(head, A.SICK_LEAVE, days=Decimal("2")) == pm


def test_adm_02_a_clerks_own_two_day_leave_passes_supervisor_and_head_to_the_manager(staff_a):
    chain = approval_chain(staff_a["clerk"], A.SICK_LEAVE, days=Decimal("2"), include_self=False)
    assert [(s.employee.number, s.approves) for s in chain.steps] == [
        ("A003", False),
        ("A002", False),
        ("A001", True),
    ]
    assert chain.approver == staff_a["pm"]
    with translation.override("en"):
        assert chain.steps[0].reason == "beyond their limit (≤ 0.5 days)"
    with translation.override("zh-hans"):
        assert chain.steps[0].reason == "超出其权限(≤ 0.5 天)"


def test_adm_02_centre_head_proposes_a_pay_change_of_200_but_not_201(staff_a):
    head, pm = staff_a["head"], staff_a["pm"]
    assert may_approve(head, A.PAY_ADJUSTMENT, amount=Decimal("200.00"))
    assert not may_approve(head, A.PAY_ADJUSTMENT, amount=Decimal("200.01"))
    assert approver_for(head, A.PAY_ADJUSTMENT, amount=Decimal("201")) == pm
    # A supervisor has no pay authority of their own: it goes to the head.
    assert approver_for(staff_a["cs_sup"], A.PAY_ADJUSTMENT, amount=Decimal("200")) == head


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("499.99", "pm"),  # below the head's range: not his to propose
        ("500.00", "head"),
        ("3000.00", "head"),
        ("3000.01", "pm"),
        ("20000.00", "pm"),
        ("20000.01", None),  # beyond the site: the company
    ],
)
def test_adm_02_centre_head_proposes_contracts_from_500_to_3000(staff_a, amount, expected):
    approver = approver_for(staff_a["head"], A.CONTRACT, amount=Decimal(amount))
    assert approver == (staff_a[expected] if expected else None)


def test_adm_02_an_amount_limited_rule_needs_the_amount(staff_a):
    assert not may_approve(staff_a["head"], A.CONTRACT)
    assert may_approve(staff_a["cs_sup"], A.FORCE_CLOSE_TICKET)


def test_adm_02_money_is_decimal_only(staff_a):
    with pytest.raises(TypeError):
        may_approve(staff_a["head"], A.REFUND, amount=100.0)


def test_adm_02_site_override_beats_company_rule(staff_a, org, site_a, site_b, company):
    AuthorityRule.objects.create(
        company=company,
        site=site_a,
        post=org["centre_head"],
        action=A.PAY_ADJUSTMENT,
        max_amount=Decimal("300.00"),
    )
    assert effective_rule(org["centre_head"], A.PAY_ADJUSTMENT, site_a).max_amount == Decimal(
        "300.00"
    )
    assert effective_rule(org["centre_head"], A.PAY_ADJUSTMENT, site_b).max_amount == Decimal(
        "200.00"
    )
    assert approver_for(staff_a["head"], A.PAY_ADJUSTMENT, amount=Decimal("250")) == staff_a["head"]


def test_adm_02_refund_goes_from_cashier_to_finance_then_head_then_company(staff_a):
    cashier = staff_a["cashier"]
    assert approver_for(cashier, A.REFUND, amount=Decimal("300")) == staff_a["fin_sup"]
    assert approver_for(cashier, A.REFUND, amount=Decimal("1500")) == staff_a["head"]
    assert approver_for(cashier, A.REFUND, amount=Decimal("9000")) == staff_a["pm"]
    chain = approval_chain(cashier, A.REFUND, amount=Decimal("10000.01"))
    assert chain.approver is None and chain.goes_to_company
    assert len(chain.steps) == 4


def test_adm_02_without_a_named_superior_the_chain_follows_the_posts(
    staff_a, org, site_a, make_employee
):
    lone_clerk = make_employee(site_a, "A010", "孙专员", org["cs_clerk"])
    assert approver_for(lone_clerk, A.WAIVE_LATE_FEE, amount=Decimal("30")) == staff_a["cs_sup"]


def test_adm_02_a_departed_superior_is_passed_over(staff_a):
    cs_sup = staff_a["cs_sup"]
    cs_sup.is_active = False
    cs_sup.save()
    clerk = staff_a["clerk"]
    clerk.refresh_from_db()
    # The supervisor post is vacant now, so the request goes to the post above it.
    assert approver_for(clerk, A.WAIVE_LATE_FEE, amount=Decimal("30")) == staff_a["head"]


def test_adm_02_the_chain_walk_stays_on_the_employees_site(staff_a, org, site_b, make_employee):
    head_b = make_employee(site_b, "B002", "周主任", org["centre_head"])
    clerk_b = make_employee(site_b, "B004", "吴专员", org["cs_clerk"])
    assert approver_for(clerk_b, A.PAY_ADJUSTMENT, amount=Decimal("100")) == head_b
    # Site B has no project manager: beyond the head it goes to the company.
    assert approver_for(clerk_b, A.PAY_ADJUSTMENT, amount=Decimal("400")) is None
