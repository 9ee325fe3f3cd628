"""Write one workspace's rows, and the people they reference, into an archive document."""

from __future__ import annotations

from typing import Any

from django.core import serializers
from django.db import models
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from alignment.models import User, Workspace
from portability import archive
from portability.policy import FILE_FIELDS, exported_models, label_of


def _rows(model: type[models.Model], workspace: Workspace) -> list[dict[str, Any]]:
    queryset = model._default_manager.filter(workspace=workspace).order_by("pk")
    return [
        {"id": row["pk"], "fields": row["fields"]}
        for row in serializers.serialize("python", queryset.iterator(chunk_size=2000))
    ]


def _referenced_user_ids(model: type[models.Model], rows: list[dict[str, Any]]) -> set[int]:
    ids: set[int] = set()
    for field in model._meta.get_fields():
        if not (field.is_relation and field.related_model is User):
            continue
        if field.many_to_many:
            for row in rows:
                ids.update(row["fields"].get(field.name) or [])
        elif field.concrete:
            ids.update(row["fields"][field.name] for row in rows if row["fields"][field.name])
    return ids


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def export_document(workspace: Workspace) -> dict[str, Any]:
    """The archive document of `workspace`: its rows by model, and the people they name."""
    records: dict[str, list[dict[str, Any]]] = {}
    user_ids: set[int] = set()
    for model in exported_models():
        rows = _rows(model, workspace)
        records[label_of(model)] = rows
        user_ids |= _referenced_user_ids(model, rows)
    users = [
        {"id": user.pk, "email": user.email, "full_name": user.full_name}
        for user in User.objects.filter(pk__in=user_ids).order_by("pk")
    ]
    return {
        "format": archive.FORMAT,
        "version": archive.VERSION,
        "exported_at": timezone.now(),
        "migrations": _applied_migrations(),
        "workspace": {
            "id": workspace.pk,
            "name": workspace.name,
            "slug": workspace.slug,
            "created_at": workspace.created_at,
            "settings": workspace.settings,
        },
        "users": users,
        "records": records,
        "files": _files(records),
    }


def _files(records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Where each stored file of the exported rows goes in the archive (archive.write copies)."""
    files = []
    for label, (alias, field) in FILE_FIELDS.items():
        for row in records.get(label, []):
            files.append(
                {
                    "model": label,
                    "id": row["id"],
                    "path": f"{archive.FILES}{label}/{row['id']}",
                    "storage": alias,
                    "key": row["fields"][field],
                    "sha256": row["fields"].get("sha256"),
                }
            )
    return files
