"""Adding and deleting attachments; the rules every upload path (page, API, paste) shares."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import RoleRequired
from alignment.guards import ensure_same_workspace, require_member
from alignment.models import Membership, Role
from attachments.errors import (
    EmptyFile,
    FileTooLarge,
    FileTypeRefused,
    NoFiles,
    TaskFull,
    TooManyFiles,
    UploadTooLarge,
)
from attachments.models import Attachment
from attachments.sniffing import HEAD_BYTES, clean_name, sniff
from attachments.storage import attachment_storage, new_key, stored_keys
from tasks.models import Task, TaskComment

logger = logging.getLogger(__name__)
# Multipart framing around the files; an upload bigger than the files allowed plus this is
# refused before it is read.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024
# Stored objects without a row younger than this may be an upload still committing.
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class _Checked:
    upload: UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


def upload_limits() -> dict[str, int]:
    """The limits pages state next to the upload control."""
    return {
        "max_bytes": settings.ATTACHMENTS_MAX_BYTES,
        "max_files": settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD,
        "max_per_task": settings.ATTACHMENTS_MAX_PER_TASK,
    }


def max_upload_bytes() -> int:
    """The largest request body an upload may have (all files at their limit)."""
    return (
        settings.ATTACHMENTS_MAX_BYTES * settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD
        + UPLOAD_OVERHEAD_BYTES
    )


def check_upload_length(content_length: str | None) -> None:
    """Refuse a request body that cannot fit the limits, before anything reads it."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > max_upload_bytes():
        raise UploadTooLarge(
            size=filesizeformat(length),
            limit=filesizeformat(settings.ATTACHMENTS_MAX_BYTES)
            + f" per file, {settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD} files",
        )


def _check(upload: UploadedFile) -> _Checked:
    name = clean_name(upload.name or "")
    size = upload.size or 0
    if size == 0:
        raise EmptyFile(name=name)
    if size > settings.ATTACHMENTS_MAX_BYTES:
        raise FileTooLarge(
            name=name,
            size=filesizeformat(size),
            limit=filesizeformat(settings.ATTACHMENTS_MAX_BYTES),
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    sniffed = sniff(head, name)
    if sniffed.refusal:
        raise FileTypeRefused(name=name, reason=sniffed.refusal)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return _Checked(upload, name, sniffed.content_type, size, digest.hexdigest())


def attachments_add(
    *,
    actor: Membership,
    task: Task,
    files: Sequence[UploadedFile],
    comment: TaskComment | None = None,
) -> list[Attachment]:
    """Store files on a task (optionally on one of its comments): all of them or none.

    Every file is checked (count, size, empty, type sniffed from its bytes) before any is
    stored; if storing or recording one fails, the ones already stored are removed again."""
    require_member(actor)
    ensure_same_workspace(actor, task, comment)
    if comment is not None and comment.task_id != task.pk:
        raise NoFiles("That comment belongs to another task.")
    if not files:
        raise NoFiles()
    limit = settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD
    if len(files) > limit:
        raise TooManyFiles(limit=limit, count=len(files))
    existing = Attachment.objects.for_workspace(actor.workspace).for_task(task).count()
    if existing + len(files) > settings.ATTACHMENTS_MAX_PER_TASK:
        raise TaskFull(task=task.key, count=existing, limit=settings.ATTACHMENTS_MAX_PER_TASK)
    checked = [_check(upload) for upload in files]
    storage = attachment_storage()
    stored: list[str] = []
    try:
        with transaction.atomic():
            created = []
            for item in checked:
                key = storage.save(new_key(actor.workspace_id), item.upload)
                stored.append(key)
                attachment = Attachment.objects.create(
                    workspace_id=actor.workspace_id,
                    task=task,
                    comment=comment,
                    uploaded_by=actor.user,
                    storage_key=key,
                    name=item.name,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                )
                audit_by(
                    actor,
                    verb="attachment.added",
                    obj=attachment,
                    after={"task": task.key, "name": item.name, "size": item.size},
                )
                created.append(attachment)
    except BaseException:
        for key in stored:
            _delete_quietly(key)
        raise
    return created


def attachment_delete(*, actor: Membership, attachment: Attachment) -> None:
    """The uploader or an admin deletes a file; its bytes go once the delete commits."""
    ensure_same_workspace(actor, attachment)
    require_member(actor)
    if attachment.uploaded_by_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise RoleRequired(
            "Only the person who uploaded this file, or an admin, can delete it.", role="admin"
        )
    with transaction.atomic():
        audit_by(
            actor,
            verb="attachment.deleted",
            obj=attachment,
            before={
                "task": attachment.task_id,
                "name": attachment.name,
                "size": attachment.size,
                "sha256": attachment.sha256,
            },
        )
        attachment.delete()


def remove_bytes_on_commit(storage_key: str) -> None:
    """Delete a stored object once the transaction that deleted its row commits."""
    transaction.on_commit(lambda: _delete_quietly(storage_key))


def _delete_quietly(key: str) -> None:
    try:
        attachment_storage().delete(key)
    except Exception:  # the cleanup command removes what could not be removed now
        logger.warning("could not delete stored attachment %s", key, exc_info=True)


def orphans_remove(*, now: datetime | None = None, dry_run: bool = False) -> list[str]:
    """Stored objects that no attachment row names (and older than the grace period)."""
    now = now or timezone.now()
    storage = attachment_storage()
    orphans = []
    for batch in _batches(stored_keys(), 500):
        known = set(
            Attachment.objects.filter(storage_key__in=batch).values_list("storage_key", flat=True)
        )
        orphans += [key for key in batch if key not in known and _old_enough(storage, key, now)]
    if not dry_run:
        for key in orphans:
            _delete_quietly(key)
    return orphans


def _batches(keys: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _old_enough(storage: Storage, key: str, now: datetime) -> bool:
    try:
        modified = storage.get_modified_time(key)
    except (NotImplementedError, OSError):
        return True
    return now - modified >= ORPHAN_GRACE
