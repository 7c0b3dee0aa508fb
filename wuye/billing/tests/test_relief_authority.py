"""Relief has its own row of the authority matrix (R-ADM-02): approving a vacancy relief is
bounded by it; within it the relief is granted at once, beyond it the approval becomes an
approval request — nothing granted until someone whose row covers it approves, and nothing at
all when they refuse."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from tests.clients import signed_in
from wuye.approvals import queries as approval_queries
from wuye.approvals import services as approvals
from wuye.approvals.authority import BeyondAuthority
from wuye.approvals.models import ApprovalRequest
from wuye.billing import relief
from wuye.billing.models import ReliefEntry, VacancyApplication
from wuye.staff.authority import may_approve
from wuye.staff.models import AuthorityRule

from .test_relief import SEP, Kind, apply, clerk, engineer, item, now, rule, run  # noqa: F401

pytestmark = pytest.mark.django_db
RELIEF = AuthorityRule.Action.RELIEF
A_YEAR = datetime.date(2027, 8, 31)  # twelve months at 70% of ¥100.05: ¥840.48


@pytest.fixture
def inspected(site_a, finance, estate, item, clerk):  # noqa: F811 (fixtures)
    """A year's vacancy application of unit 0, found vacant, with September billed."""
    rule(site_a, finance, item, Kind.VACANCY, percent="70", name="空置七折减免")
    run(site_a, finance, SEP)
    application = apply(site_a, clerk, estate["units"][0], SEP, A_YEAR)
    relief.record_inspection(application=application, actor=clerk, found_vacant=True)
    assert relief.estimated_relief(application) == 12 * D("70.04")
    return application


def _granted(application):
    return list(ReliefEntry.objects.filter(application=application).values_list("amount", flat=True))  # fmt: skip


def test_r_adm_02_the_matrix_has_a_relief_row_of_its_own(finance):
    assert may_approve(finance["sup"], RELIEF, amount=D("500"))
    assert not may_approve(finance["sup"], RELIEF, amount=D("500.01"))
    assert may_approve(finance["head"], RELIEF, amount=D("3000"))
    assert may_approve(finance["pm"], RELIEF, amount=D("1000000"))
    # Set apart from cancelling a line: the supervisor's relief row widened, cancelling not.
    AuthorityRule.objects.filter(post=finance["sup"].post, action=RELIEF).update(max_amount=D("1000"))  # fmt: skip
    assert may_approve(finance["sup"], RELIEF, amount=D("900"))
    assert not may_approve(finance["sup"], AuthorityRule.Action.CANCEL_BILL_LINE, amount=D("900"))


def test_r_adm_02_relief_within_authority_is_granted_at_once(inspected, finance):
    done = relief.decide_vacancy(application=inspected, actor=finance["head"].user, approve=True)
    assert done.state == VacancyApplication.State.APPROVED
    assert _granted(inspected) == [D("70.04")]  # September's line, posted
    assert not ApprovalRequest.objects.exists()


def test_r_adm_02_relief_within_a_widened_relief_row_is_granted_at_once(inspected, finance):
    AuthorityRule.objects.filter(post=finance["sup"].post, action=RELIEF).update(max_amount=D("1000"))  # fmt: skip
    relief.decide_vacancy(application=inspected, actor=finance["sup"].user, approve=True)
    assert _granted(inspected) == [D("70.04")]


def test_r_adm_02_relief_beyond_authority_is_an_approval_request_granting_nothing_until_approved(
    inspected, finance
):
    sup, head = finance["sup"].user, finance["head"].user
    with pytest.raises(BeyondAuthority) as caught:  # the supervisor's relief row: up to ¥500
        relief.decide_vacancy(application=inspected, actor=sup, approve=True)
    assert caught.value.action == RELIEF and caught.value.approver == finance["head"]
    asked = approvals.request_approval(
        site=inspected.site, actor=sup, action=ApprovalRequest.Action.RELIEF,
        params={"application": inspected.pk}, reason="业主出国一年，核实空置",
    )  # fmt: skip
    assert (asked.amount, asked.approver_name, asked.params) == (
        12 * D("70.04"), finance["head"].name, {"application": inspected.pk})  # fmt: skip
    assert _granted(inspected) == []
    assert VacancyApplication.objects.get(pk=inspected.pk).state == VacancyApplication.State.INSPECTED  # fmt: skip
    with pytest.raises(ValidationError):  # one request at a time
        approvals.request_approval(site=inspected.site, actor=sup, action=ApprovalRequest.Action.RELIEF,
                                   params={"application": inspected.pk}, reason="再问一次")  # fmt: skip
    [described] = approval_queries.describe(inspected.site, [asked])
    assert described.unit == inspected.unit and "2026-09-01" in described.what
    decided = approvals.decide(request=asked, actor=head, approve=True, note="同意")
    assert decided.state == ApprovalRequest.State.APPROVED
    application = VacancyApplication.objects.get(pk=inspected.pk)
    assert (application.state, application.decided_by) == (VacancyApplication.State.APPROVED, head)
    assert [(e.amount, e.granted_by) for e in ReliefEntry.objects.filter(application=inspected)] == [(D("70.04"), head)]  # fmt: skip


def test_r_adm_02_a_refused_relief_request_grants_nothing(inspected, finance):
    asked = approvals.request_approval(
        site=inspected.site, actor=finance["sup"].user, action=ApprovalRequest.Action.RELIEF,
        params={"application": inspected.pk}, reason="业主出国一年",
    )  # fmt: skip
    approvals.decide(
        request=asked, actor=finance["head"].user, approve=False, note="需业主书面申请"
    )
    assert _granted(inspected) == []
    assert VacancyApplication.objects.get(pk=inspected.pk).state == VacancyApplication.State.INSPECTED  # fmt: skip


def test_r_adm_02_only_an_inspected_vacant_application_can_be_asked_for(
    site_a,
    finance,
    estate,
    item,  # noqa: F811 (fixtures)
    clerk,  # noqa: F811 (fixtures)
):
    rule(site_a, finance, item, Kind.VACANCY, percent="70")
    waiting = apply(site_a, clerk, estate["units"][1], SEP, A_YEAR)
    for params in ({"application": waiting.pk}, {"application": 999999}, {}):
        with pytest.raises(ValidationError):
            approvals.request_approval(site=site_a, actor=finance["sup"].user, action=RELIEF,
                                       params=params, reason="空置")  # fmt: skip
    assert not ApprovalRequest.objects.exists()


def test_r_adm_02_the_application_page_asks_the_approver_and_the_api_does_too(inspected, finance):
    url = f"/billing/relief/vacancy/{inspected.pk}/"
    sup = signed_in(finance["sup"].user)
    beyond = sup.post(url, {"step": "decide", "decide-approve": "approve"})
    assert beyond.status_code == 403 and 'id="ask-approval"' in beyond.content.decode()
    asked = sup.post(url, {"step": "ask", "decide-approve": "approve", "decide-note": "核实空置"})
    assert asked.status_code == 302
    request = ApprovalRequest.objects.get()
    assert (request.action, request.reason, request.params) == (RELIEF, "核实空置", {"application": inspected.pk})  # fmt: skip
    assert _granted(inspected) == []
    request.delete()
    made = sup.post(
        "/api/v1/billing/approval-requests",
        {"action": "relief", "params": {"application": inspected.pk}, "reason": "业主出国"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["amount"] == "840.48"
