"""The residents' API: sign-up and sign-in with a mobile number, link requests, and the
household of a unit — only with an approved link (another household answers 404)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wuye.core.identity import normalize_phone
from wuye.core.security import (
    clear_login_failures,
    client_ip,
    is_locked_out,
    issue_api_token,
    record_login_failure,
)
from wuye.estate.models import Unit

from . import queries, services
from .models import ResidentLink

router = Router(tags=["portal"])


class ErrorOut(Schema):
    message: str
    code: str
    fields: list[dict]


class SignUpIn(Schema):
    phone: str = Field(max_length=30)
    name: str = Field(max_length=100)
    password: str = Field(max_length=128)


class TokenOut(Schema):
    token: str


def _locked(ip) -> Status:
    return Status(
        429,
        {"message": _("Too many attempts. Try again later."), "code": "locked_out", "fields": []},
    )


@router.post(
    "/signup", auth=None, response={201: TokenOut, 429: ErrorOut}, summary="A resident signs up"
)
def sign_up(request, payload: SignUpIn):
    ip = client_ip(request)
    # Sign-ups count against the address like failed sign-ins, so numbers can't be farmed.
    if is_locked_out("portal-signup", ip):
        return _locked(ip)
    record_login_failure("portal-signup", ip)
    account = services.sign_up_resident(
        phone=payload.phone, name=payload.name, password=payload.password
    )
    _token, key = issue_api_token(user=account.user, name="portal")
    return Status(201, {"token": key})


class SignInIn(Schema):
    phone: str = Field(max_length=30)
    password: str = Field(max_length=128)


@router.post(
    "/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="A resident signs in with mobile number and password",
)
def sign_in(request, payload: SignInIn):
    ip = client_ip(request)
    try:
        username = services.resident_username(normalize_phone(payload.phone))
    except Exception:  # noqa: BLE001 - a malformed number is simply a failed sign-in
        username = payload.phone
    if is_locked_out(username, ip):
        return _locked(ip)
    user = authenticate(request, username=username, password=payload.password)
    if user is None or queries.account_of(user) is None:
        record_login_failure(username, ip)
        return Status(
            401,
            {"message": _("Wrong mobile number or password."), "code": "bad_credentials",
             "fields": []},
        )  # fmt: skip
    clear_login_failures(username)
    _token, key = issue_api_token(user=user, name="portal")
    return Status(201, {"token": key})


def _account(request):
    account = queries.account_of(request.user)
    if account is None:
        raise PermissionDenied(_("This is not a resident account."))
    return account


class MeOut(Schema):
    name: str
    phone: str


@router.get("/me", response=MeOut, summary="The signed-in resident")
def me(request):
    account = _account(request)
    return {"name": account.name, "phone": account.phone_masked}


class LinkOut(Schema):
    id: int
    unit: int = Field(alias="unit_id")
    unit_code: str = Field(alias="unit.code")
    role: str
    state: str
    reason: str
    created_at: datetime.datetime


@router.get("/links", response=list[LinkOut], summary="My link requests")
def my_links(request):
    account = _account(request)
    return list(account.links.select_related("unit"))


class LinkIn(Schema):
    unit: int
    role: ResidentLink.Role
    note: str = Field("", max_length=200)


@router.post("/links", response={201: LinkOut}, summary="Ask to be linked to a unit")
def request_link(request, payload: LinkIn):
    account = _account(request)
    unit = get_object_or_404(Unit.objects.select_related("site"), pk=payload.unit)
    return Status(
        201, services.request_link(account=account, unit=unit, role=payload.role, note=payload.note)
    )


class UnitOut(Schema):
    id: int
    code: str
    role: str
    site: str


@router.get("/units", response=list[UnitOut], summary="Units I am linked to (approved)")
def my_units(request):
    _account(request)
    return [
        {"id": link.unit.pk, "code": link.unit.code, "role": link.role, "site": str(link.unit.site)}
        for link in queries.approved_links(request.user).select_related("unit__site")
    ]


class MemberOut(Schema):
    name: str
    role: str
    phone: str


@router.get(
    "/units/{unit_id}/household",
    response=list[MemberOut],
    summary="Who lives at my unit (only with an approved link)",
)
def household(request, unit_id: int):
    _account(request)
    found = queries.household_of(request.user, unit_id)
    return [
        {"name": e.person.name, "role": role, "phone": e.person.phone_masked}
        for role, entries in (
            ("owner", found.owners),
            ("tenant", found.tenants),
            ("household", found.household),
        )
        for e in entries
    ]


class ResidentOpenLineOut(Schema):
    id: int
    fee_item: str
    period_start: datetime.date
    period_end: datetime.date
    due_date: datetime.date
    amount: Decimal
    paid: Decimal
    outstanding: Decimal


class ResidentEntryOut(Schema):
    at: datetime.datetime
    what: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


class ResidentStatementOut(Schema):
    unit: int
    unit_code: str
    balance: Decimal = Field(description="What the unit owes (negative: what it holds).")
    credit_held: Decimal
    open_total: Decimal
    open_lines: list[ResidentOpenLineOut] = Field(description="Oldest first.")
    entries: list[ResidentEntryOut] = Field(description="Oldest first, with the running balance.")


@router.get(
    "/units/{unit_id}/statement",
    response=ResidentStatementOut,
    summary="My unit's open charges, credit and statement (only with an approved link)",
)
def unit_statement(request, unit_id: int):
    _account(request)
    account = queries.unit_statement(request.user, unit_id)
    return {
        "unit": account.unit.pk, "unit_code": account.unit.code, "balance": account.balance,
        "credit_held": account.credit_held, "open_total": account.open_total,
        "open_lines": [
            {"id": line.pk, "fee_item": line.fee_item.name, "period_start": line.period_start,
             "period_end": line.period_end, "due_date": line.due_date, "amount": line.amount,
             "paid": line.paid, "outstanding": line.outstanding}
            for line in account.open_lines
        ],
        "entries": [e.__dict__ for e in account.entries],
    }  # fmt: skip


@router.get(
    "/units/{unit_id}/statement/pdf",
    summary="My unit's statement as PDF (only with an approved link)",
)
def unit_statement_pdf(request, unit_id: int):
    _account(request)
    filename, content = queries.statement_pdf(request.user, unit_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


class DecisionIn(Schema):
    lease_start: datetime.date | None = None
    lease_end: datetime.date | None = None
    reason: str = Field("", max_length=200)


def _link_to_decide(request, link_id: int) -> ResidentLink:
    link = ResidentLink.objects.filter(pk=link_id).first()
    # A request the caller may not decide answers like one that doesn't exist.
    if link is None or not services.may_decide(request.user, link):
        from django.http import Http404

        raise Http404("link")
    return link


@router.post("/links/{link_id}/approve", response=LinkOut, summary="Approve a request")
def approve(request, link_id: int, payload: DecisionIn):
    link = _link_to_decide(request, link_id)
    return services.approve_link(
        link=link, actor=request.user, lease_start=payload.lease_start, lease_end=payload.lease_end
    )


@router.post("/links/{link_id}/reject", response=LinkOut, summary="Reject a request")
def reject(request, link_id: int, payload: DecisionIn):
    link = _link_to_decide(request, link_id)
    return services.reject_link(link=link, actor=request.user, reason=payload.reason)


# ---------------------------------------------------------------------------------------------
# The resident's own tickets


class ResidentTicketIn(Schema):
    unit: int
    kind: str = Field(description="repair, complaint, inquiry or suggestion")
    subject: str = Field(max_length=200)
    description: str = ""
    agreed_at: datetime.datetime | None = Field(None, description="Repairs: when we may come.")


class ResidentTicketOut(Schema):
    id: int
    number: str
    kind: str
    state: str
    subject: str
    description: str
    unit: int | None
    unit_code: str | None
    received_at: datetime.datetime
    visit_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    hurry_count: int
    rating: int | None


def _ticket_out(ticket) -> dict:
    from wuye.servicedesk.models import WorkOrder

    order = WorkOrder.objects.filter(ticket=ticket).order_by("-created_at").first()
    return {
        "id": ticket.pk, "number": ticket.number, "kind": ticket.kind, "state": ticket.state,
        "subject": ticket.subject, "description": ticket.description, "unit": ticket.unit_id,
        "unit_code": ticket.unit.code if ticket.unit_id else None,
        "received_at": ticket.received_at, "visit_at": order.visit_at if order else None,
        "completed_at": ticket.completed_at, "hurry_count": ticket.hurry_count,
        "rating": order.rating if order else None,
    }  # fmt: skip


@router.get("/tickets", response=list[ResidentTicketOut], summary="My tickets")
def my_tickets(request):
    _account(request)
    return [_ticket_out(t) for t in queries.resident_tickets(request.user)[:100]]


@router.post("/tickets", response={201: ResidentTicketOut}, summary="Report a repair, complaint…")
def file_ticket(request, payload: ResidentTicketIn):
    ticket = services.file_ticket(account=_account(request), unit_id=payload.unit, kind=payload.kind,
                                  subject=payload.subject, description=payload.description,
                                  agreed_at=payload.agreed_at)  # fmt: skip
    return Status(201, _ticket_out(ticket))


@router.get("/tickets/{ticket_id}", response=ResidentTicketOut, summary="One of my tickets")
def my_ticket(request, ticket_id: int):
    _account(request)
    return _ticket_out(queries.resident_ticket(request.user, ticket_id))


class HurryIn(Schema):
    note: str = Field("", max_length=300)


@router.post("/tickets/{ticket_id}/hurry", response=ResidentTicketOut, summary="Hurry (催单)")
def hurry(request, ticket_id: int, payload: HurryIn):
    _account(request)
    return _ticket_out(services.hurry_own_ticket(user=request.user, ticket_id=ticket_id, note=payload.note))  # fmt: skip


class RateIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


@router.post("/tickets/{ticket_id}/rate", response=ResidentTicketOut, summary="Rate the job (1–5)")
def rate(request, ticket_id: int, payload: RateIn):
    _account(request)
    services.rate_own_ticket(user=request.user, ticket_id=ticket_id, rating=payload.rating,
                             comment=payload.comment)  # fmt: skip
    return _ticket_out(queries.resident_ticket(request.user, ticket_id))


# Online payment (在线缴费): the pay orders of a resident's units.
from .pay_api import router as pay_router  # noqa: E402 (mounted on this router, after it is made)

router.add_router("", pay_router)
