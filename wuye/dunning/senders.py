"""How SMS and app messages leave wuye: a sender chosen by `WUYE_MESSAGE_SENDER` (a dotted path
to a class, or to an object, with `send_sms(to, text)` and `send_app_message(user, text)`).

The default, `ConsoleSender`, writes each message to the `wuye.messages` logger, so notices can
be "sent" with nothing installed; a real SMS gateway or push service plugs in behind the same
two methods. A sender answers with an `Outcome`; one that raises counts as a failed send, with
the error recorded on the delivery.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from wuye.core.identity import mask_phone

log = logging.getLogger("wuye.messages")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""
    reference: str = ""  # the gateway's message id, when it gives one


class Sender(Protocol):
    def send_sms(self, to: str, text: str) -> Outcome: ...

    def send_app_message(self, user, text: str) -> Outcome: ...


class ConsoleSender:
    """Writes messages to the log instead of sending them. Phone numbers are logged masked:
    a log is no place for residents' numbers (R-CUS-04)."""

    def send_sms(self, to: str, text: str) -> Outcome:
        log.info("SMS to %s: %s", mask_phone(to), text)
        return Outcome(ok=True)

    def send_app_message(self, user, text: str) -> Outcome:
        log.info("app message to user %s: %s", getattr(user, "pk", user), text)
        return Outcome(ok=True)


@cache
def _load(path: str) -> Sender:
    found = import_string(path)
    return found() if isinstance(found, type) else found


def get_sender() -> Sender:
    """The configured sender (one instance per dotted path)."""
    return _load(settings.WUYE_MESSAGE_SENDER)


def send(channel: str, recipient, text: str) -> Outcome:
    """Send through the configured sender; whatever goes wrong becomes a failed outcome."""
    sender = get_sender()
    try:
        if channel == "sms":
            outcome = sender.send_sms(recipient, text)
        else:
            outcome = sender.send_app_message(recipient, text)
    except Exception as exc:  # a gateway's failure is recorded, never a 500
        log.warning("%s sender failed: %s", channel, exc)
        return Outcome(ok=False, error=(str(exc) or type(exc).__name__)[:300])
    if not isinstance(outcome, Outcome):
        return Outcome(ok=bool(outcome), error="" if outcome else "the sender refused")
    if not outcome.ok and not outcome.error:
        return Outcome(ok=False, error="the sender refused", reference=outcome.reference)
    return outcome
