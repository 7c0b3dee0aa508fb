"""The audit trail: services record every change to an operational record here, inside their
own transaction, naming the acting user."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from . import clock
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
    return _fields_of(type(obj))


@cache
def _fields_of(model: type[models.Model]) -> list[models.Field]:
    skip = {"id", "created_at", "updated_at", "site"}
    return [
        f
        for f in model._meta.concrete_fields
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
    """One "created" entry per object, written with one prepared statement per thousand rows:
    bulk writes (imports, generated units) record every row without building a model
    instance per entry."""
    rows = [
        (
            _site_id(obj),
            obj,
            {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "")},
        )
        for obj in objs
    ]
    insert_entries(actor, AuditEntry.Action.CREATE, verb, rows)
    return len(rows)


def insert_entries(
    actor, action: str, verb: str, rows: list[tuple[int | None, models.Model, dict]]
):
    """Insert audit entries (site id, object, changes) of one action in bulk."""
    if not rows:
        return
    meta = AuditEntry._meta
    names = [
        "site", "actor", "at", "action", "verb", "content_type", "object_id", "object_repr",
        "changes",
    ]  # fmt: skip
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    at = connection.ops.adapt_datetimefield_value(clock.now())
    actor_id = getattr(actor, "pk", None)
    changes_field = meta.get_field("changes")
    type_ids: dict[type, int] = {}
    values = []
    for site_id, obj, changes in rows:
        model = type(obj)
        if model not in type_ids:
            type_ids[model] = ContentType.objects.get_for_model(obj).pk
        values.append(
            (
                site_id,
                actor_id,
                at,
                action,
                verb,
                type_ids[model],
                str(obj.pk),
                str(obj)[:200],
                changes_field.get_db_prep_save(changes, connection),
            )
        )
    with connection.cursor() as cursor:
        for start in range(0, len(values), 1000):
            cursor.executemany(sql, values[start : start + 1000])


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
