"""One error shape for pages and the API.

Services raise Django's `ValidationError` for bad input (with field names and codes, so forms
show them beside the field and the API returns `{"message", "code", "fields": [...]}`), and
`PermissionDenied` when the actor's role or authority does not allow the action.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _


def field_errors(exc: ValidationError) -> list[dict]:
    """Flatten a ValidationError into `[{"field", "message", "code"}]`."""
    items: list[dict] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                items.append(_item(None if field == NON_FIELD_ERRORS else field, error))
    else:
        for error in exc.error_list:
            items.append(_item(None, error))
    return items


def _item(field: str | None, error: ValidationError) -> dict:
    message = error.message % error.params if error.params else error.message
    return {"field": field, "message": str(message), "code": error.code or "invalid"}


def error_body(exc: ValidationError) -> dict:
    fields = field_errors(exc)
    message = fields[0]["message"] if len(fields) == 1 else _("Please correct the errors below.")
    return {"message": message, "code": "invalid", "fields": fields}


def invalid(field: str | None, message: str, code: str = "invalid") -> ValidationError:
    """A single-field ValidationError: `raise invalid("floor_area", _("…"), "negative")`."""
    error = ValidationError(message, code=code)
    return ValidationError({field or NON_FIELD_ERRORS: [error]})
