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
