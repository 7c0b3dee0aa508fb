"""One error shape for pages and the API.

Services raise Django's `ValidationError` for bad input (with field names and codes, so forms
show them beside the field and the API returns `{"message", "code", "fields": [...]}`), and
`PermissionDenied` when the actor's role or authority does not allow the action.

A service checks every field before it answers: `collecting()` gathers each field's first
error and raises them together, so a clerk who typed a bad ID number and a four-digit phone
hears of both at once, not of the second after fixing the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import (
    DecimalValidator,
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
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


T = TypeVar("T")


class FieldErrors:
    """The errors of one request, field by field; the first error of a field is the one kept,
    since a later check of the same field usually follows from it ("no such unit" makes "a
    complaint needs a unit" go without saying)."""

    def __init__(self) -> None:
        self._errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str | None, message: str, code: str = "invalid") -> None:
        self.absorb(invalid(field, message, code))

    def absorb(self, exc: ValidationError) -> None:
        errors = (
            exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
        )
        for field, items in errors.items():
            if field == NON_FIELD_ERRORS:
                self._errors.setdefault(field, []).extend(items)
            elif field not in self._errors:
                self._errors[field] = list(items)

    def check(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`check(*args, **kwargs)`, or None when it refuses (its error is kept)."""
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            self.absorb(exc)
            return None

    def has(self, *fields: str) -> bool:
        return any(field in self._errors for field in fields)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def raise_any(self) -> None:
        if self._errors:
            raise ValidationError(dict(self._errors))


@contextmanager
def collecting() -> Iterator[FieldErrors]:
    """`with collecting() as errors:` — checks inside add to `errors` (or raise, when nothing
    after them can be checked); on leaving, every error gathered is raised in one
    ValidationError."""
    errors = FieldErrors()
    try:
        yield errors
    except ValidationError as exc:
        errors.absorb(exc)
    errors.raise_any()


NUL_CODE = "null_characters_not_allowed"


def nul_message() -> str:
    return _("Text may not contain the NUL character (\\0).")


def check_text(errors: FieldErrors, field: str, value) -> None:
    """A NUL character in free text that a service trims to its column itself (PostgreSQL
    stores no NUL): an error of `field` rather than a server error."""
    if isinstance(value, str) and "\x00" in value and not errors.has(field):
        errors.add(field, nul_message(), NUL_CODE)


def check_column(errors: FieldErrors, model, name: str, value, *, field: str | None = None) -> None:
    """What the database would refuse with a server error, as an error of `field` (default
    `name`): a NUL character in text (PostgreSQL stores none), text longer than the column, a
    number beyond the column's range or digits. Extra decimal places are left to the rounding
    the column does. A field already in error is not checked again."""
    field = field or name
    if value is None or errors.has(field):
        return
    column = model._meta.get_field(name)
    try:
        if isinstance(value, str):
            if isinstance(column, models.CharField | models.TextField):
                if "\x00" in value:
                    raise ValidationError(nul_message(), code=NUL_CODE)
                if column.max_length:
                    MaxLengthValidator(column.max_length)(value)
        elif isinstance(column, models.DecimalField) and isinstance(value, Decimal):
            _check_digits(column, value)
        elif isinstance(column, models.IntegerField) and isinstance(value, int):
            # The column type's range as PostgreSQL keeps it (SQLite would take any size).
            ranges = BaseDatabaseOperations.integer_field_ranges
            low, high = ranges.get(column.get_internal_type(), ranges["BigIntegerField"])
            MinValueValidator(low)(value)
            MaxValueValidator(high)(value)
    except ValidationError as exc:
        errors.absorb(ValidationError({field: exc.error_list}))


def check_columns(errors: FieldErrors, obj, names: Iterable[str] | None = None) -> None:
    """`check_column` for each of `names` (default: every concrete field) of a model object."""
    wanted = None if names is None else set(names)
    for column in obj._meta.concrete_fields:
        if column.is_relation or (wanted is not None and column.name not in wanted):
            continue
        check_column(errors, type(obj), column.name, getattr(obj, column.attname))


def _check_digits(column: models.DecimalField, value: Decimal) -> None:
    if not value.is_finite():
        raise ValidationError(DecimalValidator.messages["invalid"], code="invalid")
    whole = column.max_digits - column.decimal_places
    size = value.copy_abs()
    if size.adjusted() >= whole or (
        size.quantize(Decimal(1).scaleb(-column.decimal_places), ROUND_HALF_UP) >= 10**whole
    ):
        message = DecimalValidator.messages["max_whole_digits"] % {"max": whole}
        raise ValidationError(str(message), code="max_whole_digits")
