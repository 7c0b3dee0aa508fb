"""The audit trail: services record every change to an operational record here, inside their
own transaction, naming the acting user."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def _display(obj: models.Model, field: models.Field) -> str | None:
    value = getattr(obj, field.attname)
    if value is None:
        return None
    if field.choices:
        return str(value)  # the code: shown in the reader's language by `value_label`
    if field.is_relation:
        related = getattr(obj, field.name)
        return str(related) if related is not None else None
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, Decimal | datetime.date | datetime.datetime | datetime.time):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return str(value)


def _audited_fields(obj: models.Model) -> list[models.Field]:
    skip = {"id", "created_at", "updated_at", "site"}
    return [
        f
        for f in obj._meta.concrete_fields
        if f.name not in skip and not getattr(f, "audit_hidden", False)
    ]


def snapshot(obj: models.Model) -> dict[str, str | None]:
    """The displayable value of every audited field, to compare after a change."""
    return {f.name: _display(obj, f) for f in _audited_fields(obj)}


def _site_id(obj: models.Model) -> int | None:
    return getattr(obj, "site_id", None)


def _entry(actor, obj, action, changes, verb="") -> AuditEntry:
    return AuditEntry(
        site_id=_site_id(obj),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
    )


def record_create(actor, obj: models.Model, *, verb: str = "") -> AuditEntry:
    changes = {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "")}
    entry = _entry(actor, obj, AuditEntry.Action.CREATE, changes, verb)
    entry.save()
    return entry


def record_bulk_create(actor, objs: Iterable[models.Model], *, verb: str = "") -> int:
    entries = [
        _entry(
            actor,
            obj,
            AuditEntry.Action.CREATE,
            {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "")},
            verb,
        )
        for obj in objs
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


def record_update(actor, obj: models.Model, before: dict, *, verb: str = "") -> AuditEntry | None:
    """Record what changed since `before` (a `snapshot`); nothing when nothing changed."""
    after = snapshot(obj)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if not changes:
        return None
    entry = _entry(actor, obj, AuditEntry.Action.UPDATE, changes, verb)
    entry.save()
    return entry


def record_action(actor, obj: models.Model, verb: str, changes: dict | None = None) -> AuditEntry:
    entry = _entry(actor, obj, AuditEntry.Action.ACTION, changes or {}, verb)
    entry.save()
    return entry


def record_delete(actor, obj: models.Model, *, verb: str = "") -> AuditEntry:
    changes = {k: [v, None] for k, v in snapshot(obj).items() if v not in (None, "")}
    entry = _entry(actor, obj, AuditEntry.Action.DELETE, changes, verb)
    entry.save()
    return entry


def history(obj: models.Model):
    """The audit entries of one record, newest first, with their actors."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def value_label(model: type[models.Model] | None, name: str, value):
    """How a recorded value reads: a choice code becomes its label in the current language."""
    if model is None or value is None:
        return value
    try:
        field = model._meta.get_field(name)
    except Exception:  # a field since removed from the model still shows its value
        return value
    return str(dict(field.flatchoices).get(value, value)) if field.choices else value


def field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed from the model still shows by its name
        return name
