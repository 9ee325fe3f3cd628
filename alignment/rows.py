"""Model instances read from value rows, for pages that show hundreds of rows a request.

Building a model through `Model.from_db` costs ≈ 15-20 µs a row (its `__init__` walks every
field, select_related builds a second instance a row); a board of 460 cards spent more time
there than in PostgreSQL. `instances` reads the named columns with `values_list` and fills
each instance's `__dict__` directly, as `from_db` would leave it: a real model instance
(methods, properties, `pk`, `_state.db`) whose other fields are deferred — reading one runs a
query, exactly as with `.only()`, so a query-count test catches a page that starts to need
one. Related rows (an assignee) are built once per primary key and shared by the rows.

Use it only for read-only rows that a page renders; saving such an instance would write only
what it holds (`Model.save` updates loaded fields of a deferred instance).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


def _state(db: str) -> ModelState:
    state = ModelState()
    state.adding = False
    state.db = db
    return state


def columns(
    model: type[Model],
    fields: Sequence[str],
    related: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The `values_list` columns that `instances` reads for these fields, in its order."""
    names = list(fields)
    for name, rel_fields in (related or {}).items():
        attname = model._meta.get_field(name).attname  # type: ignore[union-attr]
        if attname not in names:
            names.append(attname)
        names += [f"{name}__{rel}" for rel in rel_fields]
    return names


def instances(
    queryset: QuerySet[M],
    fields: Sequence[str],
    *,
    related: Mapping[str, Sequence[str]] | None = None,
    rows: Iterable[Sequence[Any]] | None = None,
) -> list[M]:
    """`queryset`'s rows as instances holding `fields` (attnames such as "assignee_id", and
    annotations of the queryset); `related`: a foreign key's name → the fields of its row to
    hold (its primary key comes from the foreign key's column), e.g. {"assignee": ("email",)}.
    A null foreign key caches None, so reading it runs no query. `rows`: rows already read
    with `columns(model, fields, related)` (a prepared query), instead of running `queryset`."""
    model = queryset.model
    names = list(fields)
    specs: list[tuple[str, str, type[Model], tuple[str, ...], int]] = []
    for name, rel_fields in (related or {}).items():
        field: Any = model._meta.get_field(name)
        if field.attname not in names:
            names.append(field.attname)
        specs.append((name, field.attname, field.related_model, tuple(rel_fields), len(names)))
        names += [f"{name}__{rel}" for rel in rel_fields]
    width = len(names) if not specs else specs[0][4]
    db = queryset.db
    shared: dict[str, dict[Any, Model]] = {spec[0]: {} for spec in specs}
    keys = names[:width]
    made: list[M] = []
    new = model.__new__
    for row in queryset.values_list(*names) if rows is None else rows:
        obj = new(model)
        values = obj.__dict__
        values.update(zip(keys, row, strict=False))  # the row goes on with related fields
        state = values["_state"] = _state(db)
        for name, attname, rel_model, rel_fields, start in specs:
            pk = values[attname]
            if pk is None:
                state.fields_cache[name] = None
                continue
            rel = shared[name].get(pk)
            if rel is None:
                rel = rel_model.__new__(rel_model)
                rel.__dict__.update(zip(rel_fields, row[start:], strict=False))
                rel.__dict__[rel_model._meta.pk.attname] = pk
                rel.__dict__["_state"] = _state(db)
                shared[name][pk] = rel
            state.fields_cache[name] = rel
        made.append(obj)
    return made
