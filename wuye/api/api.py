"""API v1: every app's router mounted under /api/v1/, one error shape for all of them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from wuye.approvals.api import router as approvals_router
from wuye.billing.api import router as billing_router
from wuye.core.api import router as core_router
from wuye.core.errors import error_body
from wuye.dunning.api import router as dunning_router
from wuye.estate.api import router as estate_router
from wuye.onlinepay.api import router as onlinepay_router
from wuye.pastbills.api import router as pastbills_router
from wuye.people.api import router as people_router
from wuye.portal.api import router as portal_router
from wuye.servicedesk.api import router as servicedesk_router
from wuye.staff.api import router as staff_router

from .auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="wuye API",
    version="1",
    description="wuye (物业) API v1. Authenticate with `Authorization: Bearer <token>` "
    "(tokens: POST /api/v1/auth/token) or the browser session.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _location(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "data")]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    fields = [
        {
            "field": _location(error.get("loc", ())),
            "message": error.get("msg", ""),
            "code": error.get("type", "invalid"),
        }
        for error in exc.errors
    ]
    message = fields[0]["message"] if len(fields) == 1 else _("Please correct the errors below.")
    return api.create_response(
        request, {"message": message, "code": "invalid", "fields": fields}, status=422
    )


@api.exception_handler(ValidationError)
def on_service_error(request, exc):
    return api.create_response(request, error_body(exc), status=400)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    message = str(exc) or _("You are not allowed to do this.")
    return api.create_response(
        request, {"message": message, "code": "forbidden", "fields": []}, status=403
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(
        request, {"message": _("Not found."), "code": "not_found", "fields": []}, status=404
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(
        request,
        {"message": _("Authentication required."), "code": "unauthenticated", "fields": []},
        status=401,
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return api.create_response(
        request, {"message": str(exc), "code": "error", "fields": []}, status=exc.status_code
    )


api.add_router("/", core_router)
api.add_router("/estate/", estate_router)
api.add_router("/staff/", staff_router)
api.add_router("/people/", people_router)
api.add_router("/servicedesk/", servicedesk_router)
api.add_router("/approvals/", approvals_router)
api.add_router("/billing/", billing_router)
api.add_router("/billing/", pastbills_router)  # where the import was first offered
api.add_router("/dunning/", dunning_router)
api.add_router("/onlinepay/", onlinepay_router)
api.add_router("/portal/", portal_router)
