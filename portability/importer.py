"""Read an archive document into a new workspace: new keys, every reference rewritten.

All or nothing: the rows, the people created for them and the recomputed read model commit in
one transaction, so an archive that fails half-way leaves no workspace behind. The workspace
gets the slug the importer chooses, so an archive can be imported beside its original (a copy)
or into another instance (a move).
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.core.serializers.base import DeserializationError
from django.db import models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.functions import Lower

from alignment.models import RESERVED_SLUGS, User, Workspace, slug_validator
from dashboards import drift, metrics, rollups
from documents.crdt import store_workspace_mentions
from portability.archive import ArchiveError
from portability.policy import (
    EXPORTED,
    FILE_FIELDS,
    SOFT_REFERENCES,
    Remap,
    exported_models,
    label_of,
)
from standards import compliance_rows

BATCH = 1000
WORKSPACE = "alignment.workspace"
USER = "alignment.user"


@dataclass
class ImportResult:
    workspace: Workspace
    rows: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)


def _forward_fields(model: type[models.Model]) -> list[Any]:
    return [
        f for f in model._meta.concrete_fields if f.is_relation and (f.many_to_one or f.one_to_one)
    ]


def insertion_order() -> list[type[models.Model]]:
    """Exported models, each after the models its required references point to.

    Optional references (self, or a cycle such as objective → key result → objective) are
    written empty first and filled in once their target exists. Models with soft references
    come last, when every id they may name has its new value.
    """
    exported = set(EXPORTED)
    graph: dict[str, set[str]] = {}
    for model in exported_models():
        label = label_of(model)
        graph[label] = {
            label_of(f.related_model)
            for f in _forward_fields(model)
            if not f.null and label_of(f.related_model) in exported and f.related_model is not model
        }
        if label in SOFT_REFERENCES:
            graph[label] |= exported - set(SOFT_REFERENCES)
    try:
        return [apps.get_model(label) for label in TopologicalSorter(graph).static_order()]
    except CycleError as exc:  # a policy mistake, caught by the tests
        raise RuntimeError(f"Required references form a cycle: {exc.args[1]}") from exc


def _check_compatible(document: dict[str, Any]) -> None:
    owners = {label.split(".")[0] for label in EXPORTED}
    applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    unknown = sorted(
        f"{app}.{name}"
        for app, names in (document.get("migrations") or {}).items()
        if app in owners
        for name in names
        if (app, name) not in applied
    )
    if unknown:
        raise ArchiveError(
            "The archive was written by a newer Alignment (unknown migrations: "
            f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}). "
            "Upgrade this instance first."
        )


def _check_slug(slug: str) -> None:
    try:
        slug_validator(slug)
    except ValidationError as exc:
        raise ArchiveError(f"The slug {slug!r} is not valid: {exc.messages[0]}") from None
    if slug in RESERVED_SLUGS:
        raise ArchiveError(f"The slug {slug!r} is reserved; choose another.")
    if Workspace.objects.filter(slug=slug).exists():
        raise ArchiveError(f"A workspace with the slug {slug!r} exists; choose another.")


def _people(document: dict[str, Any], ids: Remap, result: ImportResult) -> None:
    """Match people by e-mail; create the missing ones without a password (they reset it)."""
    listed = {str(u["email"]).lower(): u for u in document.get("users") or []}
    existing = {
        u.email.lower(): u
        for u in User.objects.annotate(e=Lower("email")).filter(e__in=list(listed))
    }
    for email, entry in sorted(listed.items()):
        found = existing.get(email)
        if found is None:
            created = User.objects.create_user(email, None, full_name=entry.get("full_name") or "")
            result.users_created.append(email)
        ids.add(USER, entry["id"], found.pk if found is not None else created.pk)


class _Writer:
    def __init__(self, ids: Remap, result: ImportResult) -> None:
        self.ids = ids
        self.result = result
        self.done: set[str] = {WORKSPACE, USER}
        # (model, field attname) -> [(new object, old target id)], filled in at the end.
        self.deferred: dict[tuple[type[models.Model], str], list[tuple[Any, int]]] = defaultdict(
            list
        )

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        label = label_of(model)
        soft = SOFT_REFERENCES.get(label)
        olds: list[int] = []
        payload: list[dict[str, Any]] = []
        for row in rows:
            fields = row.get("fields")
            if not isinstance(fields, dict) or "id" not in row:
                raise ArchiveError(f"A {label} row has no id or fields.")
            if soft is not None:
                fields = soft(fields, self.ids)
                if fields is None:
                    self.result.dropped[label] = self.result.dropped.get(label, 0) + 1
                    continue
            olds.append(row["id"])
            # A primary key that is a reference (a team's counter) is rewritten like one.
            key = row["id"] if model._meta.pk.is_relation else None
            payload.append({"model": label, "pk": key, "fields": fields})
        try:
            loaded = list(serializers.deserialize("python", payload, ignorenonexistent=False))
        except (DeserializationError, FieldDoesNotExist, ValidationError) as exc:
            raise ArchiveError(f"{label}: {exc}") from None
        objects = [self._rewrite(model, item.object) for item in loaded]
        # bulk_create stamps auto_now(_add) fields with the import time: keep the originals.
        stamped = [
            f.attname
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        kept = [[getattr(obj, name) for name in stamped] for obj in objects]
        for start in range(0, len(objects), BATCH):
            model._default_manager.bulk_create(objects[start : start + BATCH])
        if stamped and objects:
            for obj, values in zip(objects, kept, strict=True):
                for name, value in zip(stamped, values, strict=True):
                    setattr(obj, name, value)
            model._default_manager.bulk_update(objects, stamped, batch_size=BATCH)
        for old, obj in zip(olds, objects, strict=True):
            self.ids.add(label, old, obj.pk)
        self._write_many_to_many(model, loaded, objects)
        self.done.add(label)
        self.result.rows[label] = len(objects)

    def _rewrite(self, model: type[models.Model], obj: models.Model) -> models.Model:
        for f in _forward_fields(model):
            old = getattr(obj, f.attname)
            if old is None:
                continue
            target = label_of(f.related_model)
            new = self.ids.get(target, old) if target in self.done else None
            if new is None and target in EXPORTED and target not in self.done:
                # Written empty now, filled in when the target exists.
                self.deferred[(model, f.attname)].append((obj, old))
            elif new is None and not f.null:
                raise ArchiveError(
                    f"{label_of(model)}.{f.name} names {target} {old}, which the archive lacks."
                )
            setattr(obj, f.attname, new)
        if not model._meta.pk.is_relation:
            obj.pk = None
        return obj

    def _write_many_to_many(
        self, model: type[models.Model], loaded: list[Any], objects: list[models.Model]
    ) -> None:
        for f in model._meta.many_to_many:
            through: Any = f.remote_field.through
            if not through._meta.auto_created:
                continue  # a model of its own, exported as rows
            target = label_of(f.related_model)
            source_column = f.m2m_field_name() + "_id"
            target_column = f.m2m_reverse_field_name() + "_id"
            links = [
                through(**{source_column: obj.pk, target_column: new})
                for item, obj in zip(loaded, objects, strict=True)
                for old in item.m2m_data.get(f.name, [])
                if (new := self.ids.get(target, old)) is not None
            ]
            through._default_manager.bulk_create(links, batch_size=BATCH)

    def fill_deferred(self) -> None:
        for (model, attname), pairs in self.deferred.items():
            field = model._meta.get_field(attname.removesuffix("_id"))
            target = label_of(field.related_model)
            for obj, old in pairs:
                setattr(obj, attname, self.ids.get(target, old))
            model._default_manager.bulk_update(
                [obj for obj, _ in pairs], [attname.removesuffix("_id")], batch_size=BATCH
            )


# Opens a member of the archive by its path (zipfile.ZipFile.open), for the files/ folder.
OpenFile = Callable[[str], IO[bytes]]


def _without_file_keys(records: dict[str, Any], slug: str) -> dict[str, Any]:
    """Rows that hold a storage key get a placeholder until their bytes are stored anew (the
    original keys may exist on this instance: an archive imported beside its original)."""
    out = dict(records)
    for label, (_, key_field) in FILE_FIELDS.items():
        out[label] = [
            {**row, "fields": {**row["fields"], key_field: f"importing/{slug}/{row['id']}"}}
            for row in records.get(label) or []
        ]
    return out


def _store_files(
    document: dict[str, Any],
    ids: Remap,
    workspace: Workspace,
    files: OpenFile | None,
    stored: list[tuple[str, str]],
) -> None:
    """Copy each listed file from the archive into its storage under a new key, checking its
    SHA-256, and point the imported row at it."""
    for entry in document.get("files") or []:
        label = str(entry.get("model"))
        if label not in FILE_FIELDS:
            raise ArchiveError(f"The archive lists a file of {label}, which holds no files.")
        new_pk = ids.get(label, entry.get("id"))
        if new_pk is None:
            continue
        if files is None:
            raise ArchiveError("This archive holds files: import the whole ZIP, not its JSON.")
        alias, key_field = FILE_FIELDS[label]
        path = str(entry.get("path"))
        try:
            source = files(path)
        except KeyError:
            raise ArchiveError(f"The archive lacks {path}.") from None
        with source, tempfile.TemporaryFile() as copy:
            digest = hashlib.sha256()
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                copy.write(chunk)
            if entry.get("sha256") and digest.hexdigest() != entry["sha256"]:
                raise ArchiveError(f"{path} is damaged: its SHA-256 does not match.")
            copy.seek(0)
            key = storages[alias].save(f"{workspace.pk}/{uuid.uuid4().hex}", File(copy))
        stored.append((alias, key))
        apps.get_model(label)._default_manager.filter(pk=new_pk).update(**{key_field: key})


def import_document(
    document: dict[str, Any],
    *,
    slug: str,
    name: str | None = None,
    files: OpenFile | None = None,
) -> ImportResult:
    """Create workspace `slug` from an archive document and rebuild its read model; `files`
    opens the archive's files/ members (needed when the document lists any)."""
    _check_compatible(document)
    _check_slug(slug)
    records = document.get("records") or {}
    unknown = sorted(set(records) - set(EXPORTED))
    if unknown:
        raise ArchiveError(f"The archive holds rows this instance does not import: {unknown}.")
    records = _without_file_keys(records, slug)
    stored: list[tuple[str, str]] = []
    try:
        return _import(document, records, slug=slug, name=name, files=files, stored=stored)
    except BaseException:
        # The rows rolled back; the bytes stored for them must go too.
        for alias, key in stored:
            storages[alias].delete(key)
        raise


def _import(
    document: dict[str, Any],
    records: dict[str, Any],
    *,
    slug: str,
    name: str | None,
    files: OpenFile | None,
    stored: list[tuple[str, str]],
) -> ImportResult:
    source = document.get("workspace") or {}
    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=(name or source.get("name") or slug)[:100],
            slug=slug,
            settings=source.get("settings") or {},
        )
        if source.get("created_at"):
            Workspace.objects.filter(pk=workspace.pk).update(created_at=source["created_at"])
        result = ImportResult(workspace=workspace)
        ids = Remap(old_slug=str(source.get("slug") or ""), new_slug=slug)
        ids.add(WORKSPACE, source.get("id"), workspace.pk)
        _people(document, ids, result)
        writer = _Writer(ids, result)
        for model in insertion_order():
            writer.write(model, records.get(label_of(model)) or [])
        writer.fill_deferred()
        _store_files(document, ids, workspace, files, stored)
        # Derived rows are not in the archive: compute them as the jobs would.
        rollups.recompute_all(workspace)
        metrics.refresh_team_metrics(workspace)
        compliance_rows.recompute_all(workspace)
        drift.refresh_findings(workspace)
        store_workspace_mentions(workspace.pk)
    return result
