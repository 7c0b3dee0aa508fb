"""Start-up checks: the personal-data key must be the one the database's data was encrypted
with. Django runs system checks before `serve`, `runserver`, `migrate` and other commands, and
an Error stops them."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from .crypto import key_fingerprint


def recorded_fingerprint() -> str | None:
    from .models import FieldKeyFingerprint

    if FieldKeyFingerprint._meta.db_table not in connection.introspection.table_names():
        return None
    row = FieldKeyFingerprint.objects.order_by("pk").first()
    return row.fingerprint if row else None


def record_fingerprint(**_kwargs) -> None:
    """After migrate: remember which key this database uses (once)."""
    from .models import FieldKeyFingerprint

    if recorded_fingerprint() is None:
        FieldKeyFingerprint.objects.create(fingerprint=key_fingerprint())


@register("security")
def check_field_key(app_configs=None, **_kwargs) -> list[Error]:
    try:
        recorded = recorded_fingerprint()
    except DatabaseError:
        return []  # no database yet: nothing was encrypted with any key
    if recorded is not None and recorded != key_fingerprint():
        return [
            Error(
                "WUYE_FIELD_KEY is not the key this database's personal data was encrypted with.",
                hint="Restore the original key (WUYE_FIELD_KEY, WUYE_FIELD_KEY_FILE or "
                "var/wuye_field_key); without it ID and phone numbers can't be read.",
                id="core.E001",
            )
        ]
    return []


def refuse_wrong_field_key() -> None:
    """For servers that don't run Django's checks (WSGI, ASGI, Celery workers)."""
    errors = check_field_key()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
