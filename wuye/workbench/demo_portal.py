"""The demo's resident: the owner of one flat signs up on the portal, asks to be linked as its
owner, the centre approves, and the owner reports a leak from their phone — so `/portal/`
shows a flat with open charges and a ticket at once."""

from __future__ import annotations

from wuye.estate.models import Unit
from wuye.portal import services as portal
from wuye.portal.models import ResidentAccount, ResidentLink
from wuye.servicedesk.models import Kind
from wuye.staff.models import Employee

from .demo_data import PASSWORD, RESIDENT


def load_resident(site) -> int:
    """Returns 1 when the resident was made, 0 when their account exists already."""
    if ResidentAccount.objects.filter(user__username=portal.resident_username(RESIDENT["phone"])).exists():  # fmt: skip
        return 0
    clerk = Employee.objects.of_site(site).get(number="E011").user
    unit = Unit.objects.of_site(site).get(code=RESIDENT["unit"])
    account = portal.sign_up_resident(phone=RESIDENT["phone"], name=RESIDENT["name"], password=PASSWORD)  # fmt: skip
    link = portal.request_link(account=account, unit=unit, role=ResidentLink.Role.OWNER,
                               note="本人是业主，入住时已登记")  # fmt: skip
    portal.approve_link(link=link, actor=clerk)
    portal.file_ticket(account=account, unit_id=unit.pk, kind=Kind.REPAIR, subject="卫生间吊顶渗水",
                       description="楼上卫生间漏水，吊顶有水印，请尽快上门查看")  # fmt: skip
    return 1
