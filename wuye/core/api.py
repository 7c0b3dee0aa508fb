"""The platform's API: who am I, my sites, tokens, my background jobs."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from .jobs import with_live_progress
from .models import Job
from .scoping import visible_sites
from .security import (
    clear_login_failures,
    client_ip,
    is_locked_out,
    issue_api_token,
    record_login_failure,
)

router = Router(tags=["platform"])


class ErrorOut(Schema):
    message: str
    code: str
    fields: list[dict]


class SiteOut(Schema):
    id: int
    code: str
    name: str
    company: str
    address: str

    @staticmethod
    def resolve_company(obj) -> str:
        return obj.company.name


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    is_superuser: bool
    roles: list[str]
    sites: list[SiteOut]


@router.get("/me", response=MeOut, summary="The signed-in user, roles and sites")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.get_full_name() or user.username,
        "is_superuser": user.is_superuser,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "sites": list(visible_sites(user)),
    }


@router.get("/sites", response=list[SiteOut], summary="Sites the user may see")
def list_sites(request):
    return list(visible_sites(request.user))


class TokenIn(Schema):
    username: str
    password: str
    name: str = "app"


class TokenOut(Schema):
    token: str
    name: str


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="Exchange a username and password for a bearer token",
)
def create_token(request, payload: TokenIn):
    ip = client_ip(request)
    if is_locked_out(payload.username, ip):
        return Status(
            429,
            {
                "message": _("Too many failed sign-ins. Try again later."),
                "code": "locked_out",
                "fields": [],
            },
        )
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        record_login_failure(payload.username, ip)
        return Status(
            401,
            {
                "message": _("Wrong username or password."),
                "code": "bad_credentials",
                "fields": [],
            },
        )
    if not user.is_staff and not user.site_memberships.exists() and not user.is_superuser:
        raise PermissionDenied(_("This account has no access to any site."))
    clear_login_failures(payload.username)
    token, key = issue_api_token(user=user, name=payload.name)
    return Status(201, {"token": key, "name": token.name})


class JobOut(Schema):
    id: int
    kind: str
    title: str
    state: str
    done: int
    total: int
    message: str
    result: dict
    errors: list[dict]

    @staticmethod
    def resolve_errors(obj) -> list[dict]:
        return (obj.result or {}).get("errors", []) if obj.state == obj.State.FAILED else []


@router.get("/jobs/{job_id}", response=JobOut, summary="A background job's progress and result")
def job_status(request, job_id: int):
    """Jobs started through the API (imports, bill runs) are followed here; a job is visible
    to the user who started it and to nobody else."""
    job = with_live_progress(get_object_or_404(Job, pk=job_id, actor=request.user))
    return job
