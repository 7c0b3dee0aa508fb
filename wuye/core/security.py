"""Login lockout and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ApiToken, LoginFailure


def _window_start():
    return timezone.now() - timedelta(minutes=settings.WUYE_LOGIN_LOCKOUT_MINUTES)


def is_locked_out(username: str, ip_address: str | None) -> bool:
    """Locked when the username, or the client address, failed too often in the window."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    limit = settings.WUYE_LOGIN_MAX_FAILURES
    if username and recent.filter(username__iexact=username).count() >= limit:
        return True
    # An address gets more tries than a username: a service centre shares one outgoing address.
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= limit * 4


def record_login_failure(username: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip_address=ip_address or None)


def clear_login_failures(username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain key is returned once and never stored."""
    key = "wy_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[3:11], key_hash=_hash(key))
    return token, key


def user_for_api_key(key: str):
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def purge_login_failures() -> int:
    """Forget failures older than a day; they no longer count towards a lockout."""
    deleted, _ = LoginFailure.objects.filter(at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
