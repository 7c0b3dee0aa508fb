"""What every staff page shares: it needs a signed-in user on a current site, and it hands a
valid form to a service, showing what the service refuses beside the fields it concerns."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _


def site_page(view):
    """A signed-in staff page that works on the current site; without a site there is
    nothing to show."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.site:
            raise PermissionDenied(_("You are not a member of any site."))
        return view(request, *args, **kwargs)

    return wrapper


def submit_form(form, call: Callable[[dict], object]):
    """`call(cleaned_data)` for a valid form; what the service refuses goes onto the form
    (beside its field when the form has it). Returns the result, or None on errors."""
    if not form.is_valid():
        return None
    try:
        return call(form.cleaned_data)
    except ValidationError as exc:
        errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc}
        for field, field_errors in errors.items():
            form.add_error(field if field in form.fields else None, field_errors)
        return None


def form_status(form) -> int:
    """400 for a submitted form with errors, so tests and scripts see the refusal."""
    return 400 if form.is_bound and form.errors else 200
