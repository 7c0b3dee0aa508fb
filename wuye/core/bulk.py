"""Inserting many rows of one model fast, for imports.

`insert_all` does what `QuerySet.bulk_create` does for plain rows — multi-row INSERTs that
return the new ids, `auto_now` / `auto_now_add` stamped once — without compiling every value
through the ORM: a text, number, flag or foreign-key column is passed as it is, every other
column goes through its field's `get_db_prep_save`. On a backend that can't return ids from a
multi-row INSERT it is `bulk_create`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connection, models
from django.utils import timezone

# Fields whose Python value is already what the database adapter takes.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)
_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)
ROWS_PER_STATEMENT = 1000
M = TypeVar("M", bound=models.Model)


def _is_plain(field: models.Field) -> bool:
    if type(field) is models.ForeignKey:
        return type(field.target_field) in _KEYS + _PLAIN
    return type(field) in _PLAIN


def _preparer(field: models.Field) -> Callable | None:
    """None for a plain column; else its field's conversion, remembered per value (an import
    repeats a date, a share, the one timestamp)."""
    if _is_plain(field):
        return None
    seen: dict = {}

    def prepare(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = prepared = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable: converted each time
            return field.get_db_prep_save(value, connection)

    return prepare


def insert_all(model: type[M], objs: Sequence[M]) -> list[M]:
    """Insert `objs` (unsaved, without ids) and give each its new id; returns them."""
    objs = list(objs)
    if not objs:
        return objs
    if not connection.features.can_return_rows_from_bulk_insert:
        return model.objects.bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    stamped = [
        f
        for f in fields
        if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)  # DateTimeField too
    ]
    for f in stamped:
        value = now if isinstance(f, models.DateTimeField) else timezone.localdate(now)
        for obj in objs:
            setattr(obj, f.attname, value)
    attnames = [f.attname for f in fields]
    preparers = [_preparer(f) for f in fields]
    quote = connection.ops.quote_name
    per_statement = max(
        1, min(ROWS_PER_STATEMENT, connection.ops.bulk_batch_size(fields, objs) or len(objs))
    )
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            batch = objs[start : start + per_statement]
            params: list = []
            for obj in batch:
                values = obj.__dict__
                for attname, prepare in zip(attnames, preparers, strict=True):
                    value = values[attname]
                    params.append(value if prepare is None or value is None else prepare(value))
            cursor.execute(head + ", ".join([row_sql] * len(batch)) + returning, params)
            ids = [row[0] for row in cursor.fetchall()]
            for obj, new_id in zip(batch, ids, strict=True):
                setattr(obj, pk.attname, new_id)
                obj._state.adding = False
                obj._state.db = connection.alias
    return objs
