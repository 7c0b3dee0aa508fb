"""What a refusal says, for tests to assert on."""

from django.core.exceptions import ValidationError


def codes(exc: ValidationError) -> set[str]:
    """The error codes of a service's field errors."""
    return {e.code for errors in exc.error_dict.values() for e in errors}
