"""Archive, delete and restore a task.

Both hide the task everywhere the default manager reads (boards, backlog, search, API,
rollups, metrics): `archived_at` is set, the row and its history stay. An archived task is
restored at any time; a deleted one only within settings.TASK_UNDO_MINUTES (the undo window),
after which it stays as a tombstone so past burndown and velocity keep it. The history rows
ARCHIVED/RESTORED end and resume the task's sprint scope (tasks.sprint_scope).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import StaleVersion
from alignment.events import publish_on_commit
from alignment.guards import ensure_same_workspace, require_member
from alignment.models import Membership
from tasks.errors import NotArchived, RestoreWindowClosed
from tasks.events import TaskChanged
from tasks.models import Task, TaskEventKind
from tasks.services.changes import record_event, task_label


def _publish(actor: Membership, task: Task, verb: str) -> None:
    # "archived" tells the read model to recount the task's item, sprint and team.
    publish_on_commit(
        TaskChanged(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            fields=("archived",),
            roadmap_item_ids=(task.roadmap_item_id,) if task.roadmap_item_id else (),
            actor_id=actor.user_id,
        )
    )


def _hide(actor: Membership, task: Task, expected_version: int | None, *, delete: bool) -> Task:
    require_member(actor)
    ensure_same_workspace(actor, task)
    now = timezone.now()
    rows = Task.objects.filter(pk=task.pk)  # not already archived (the default manager)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    values = {"archived_at": now, "deleted_at": now if delete else None}
    if not rows.update(version=F("version") + 1, updated_at=now, **values):
        current = Task.all_objects.filter(pk=task.pk).values_list("version", flat=True).first()
        raise StaleVersion(object=task_label(task), current=current)
    task.archived_at, task.deleted_at = values["archived_at"], values["deleted_at"]
    task.refresh_from_db(fields=["version", "updated_at"])
    verb = "deleted" if delete else "archived"
    record_event(
        task, actor=actor, kind=TaskEventKind.ARCHIVED, after={"archived": verb}, at=now
    ).save()
    audit_by(actor, verb=f"task.{verb}", obj=task, after={"key": task.key, "title": task.title})
    _publish(actor, task, verb)
    return task


@transaction.atomic
def task_archive(*, actor: Membership, task: Task, expected_version: int | None = None) -> Task:
    """Hide a task from every board, list and count; it can be restored at any time."""
    return _hide(actor, task, expected_version, delete=False)


@transaction.atomic
def task_delete(*, actor: Membership, task: Task, expected_version: int | None = None) -> Task:
    """Delete a task: hidden like an archived one, restorable for TASK_UNDO_MINUTES only."""
    return _hide(actor, task, expected_version, delete=True)


def restorable_until(task: Task) -> datetime | None:
    """When a deleted task stops being restorable (None: archived, restorable any time)."""
    if task.deleted_at is None:
        return None
    return task.deleted_at + timedelta(minutes=settings.TASK_UNDO_MINUTES)


@transaction.atomic
def task_restore(*, actor: Membership, task: Task) -> Task:
    """Bring an archived task back (a deleted one only within the undo window)."""
    require_member(actor)
    ensure_same_workspace(actor, task)
    if task.archived_at is None:
        raise NotArchived(task=task.key)
    until = restorable_until(task)
    if until is not None and timezone.now() > until:
        raise RestoreWindowClosed(task=task.key, minutes=settings.TASK_UNDO_MINUTES)
    now = timezone.now()
    rows = Task.all_objects.filter(pk=task.pk, archived_at__isnull=False, merged_into__isnull=True)
    if until is not None:
        rows = rows.filter(deleted_at__gte=now - timedelta(minutes=settings.TASK_UNDO_MINUTES))
    if not rows.update(archived_at=None, deleted_at=None, version=F("version") + 1, updated_at=now):
        current = Task.all_objects.filter(pk=task.pk).values_list("version", flat=True).first()
        raise StaleVersion(object=task_label(task), current=current)
    task.archived_at = task.deleted_at = None
    task.refresh_from_db(fields=["version", "updated_at"])
    record_event(
        task, actor=actor, kind=TaskEventKind.RESTORED, after={"restored": True}, at=now
    ).save()
    audit_by(actor, verb="task.restored", obj=task, after={"key": task.key})
    _publish(actor, task, "restored")
    return task
