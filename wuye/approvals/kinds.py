"""What each kind of approval request is, registered by the capability that owns it.

The engine (`services.py`) knows the authority matrix, the asker, the decider and the state; a
kind knows its subject: how the request's parameters are checked when it is asked, what they
name and cost, how it is carried out once approved, and how it reads in a list. Money registers
its corrections (`wuye.billing.corrections`); leave, purchases, notices and renovation plans
register theirs the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from wuye.core.errors import invalid


@dataclass(frozen=True)
class Kind:
    """One kind of request, named by its authority-matrix row (`AuthorityRule.Action`).

    - `prepare(site, params)` checks what is asked for now and returns the parameters to keep
      with the amount the decider's authority must cover; it raises `ValidationError` naming
      the fields.
    - `carry_out(request, actor)` does it, in the decision's transaction, in the approver's
      name with the asker's reason.
    - `describe(site, requests)` sets `unit` (or None) and `parts` (words naming the subject)
      on each of a list of requests, in a few queries for the whole list.
    - `makes`: the role permission with which the approver could have done it themselves.
    - `refusal`: the sentence refusing one beyond the actor's authority, with `%(amount)s`
      and `%(who)s` (may approve it); a kind without one gets the engine's plain sentence.
    """

    action: str
    prepare: Callable[[Any, dict], tuple[dict, Decimal]]
    carry_out: Callable[[Any, Any], Any]
    describe: Callable[[Any, list], None]
    makes: str = ""
    refusal: str = ""


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    _kinds[kind.action] = kind


def registered() -> Iterable[str]:
    return _kinds.keys()


def kind_of(action: str) -> Kind:
    """The registered kind of `action`, or the field error a request for it gets."""
    try:
        return _kinds[action]
    except (KeyError, TypeError):
        raise invalid("action", _("Choose what is to be approved."), "invalid_choice") from None


def refusal_of(action: str) -> str:
    kind = _kinds.get(action)
    return str(kind.refusal) if kind and kind.refusal else ""
