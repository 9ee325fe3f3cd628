"""Optimistic concurrency: the version check happens inside the UPDATE, never before it."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model
from django.utils import timezone

from alignment.errors import StaleVersion


def save_versioned(
    obj: Model, *, expected_version: int | None, fields: list[str], label: str
) -> None:
    """Write `fields` of `obj` and bump its version, only if the row is still at
    `expected_version` (any version when None). Raises StaleVersion otherwise."""
    model = type(obj)
    values: dict[str, Any] = {name: getattr(obj, name) for name in fields}
    if any(f.name == "updated_at" for f in model._meta.fields):
        values["updated_at"] = timezone.now()
        obj.updated_at = values["updated_at"]  # type: ignore[attr-defined]
    rows = model._default_manager.filter(pk=obj.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1, **values):
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise StaleVersion(object=label, current=current)
    obj.refresh_from_db(fields=["version"])


def versioned_update(obj: Model, *, expected_version: int | None, fields: dict[str, Any]) -> bool:
    """UPDATE … WHERE version = expected (when given), bumping the version; StaleVersion if
    someone changed the row first. The comparison happens inside the UPDATE, not before it.

    A write that changes no field changes nothing: no new version (which would make other
    clients' ETags stale for nothing); the expected version is still checked. Returns whether
    the row changed, so callers audit and publish only real changes.
    """
    model = type(obj)
    rows = model._default_manager.filter(pk=obj.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not changes(obj, fields):
        if expected_version is not None and not rows.exists():
            current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
            raise StaleVersion(object=str(obj), current=current.first())
        return False
    changed = rows.update(**fields, version=F("version") + 1, updated_at=timezone.now())
    if not changed:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
        raise StaleVersion(object=str(obj), current=current.first())
    obj.refresh_from_db()
    return True


def changes(obj: Model, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields whose new value differs from `obj`'s (a related object compares by id)."""
    different: dict[str, Any] = {}
    for name, value in fields.items():
        field = obj._meta.get_field(name)
        if field.is_relation and field.concrete:
            now = getattr(obj, field.attname)  # type: ignore[union-attr]
            new = value.pk if isinstance(value, Model) else value
        else:
            now, new = getattr(obj, name), value
        if now != new:
            different[name] = value
    return different
