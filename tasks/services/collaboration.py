"""Comments with @mentions, dependencies between tasks, and merging duplicates."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors, RoleRequired
from alignment.events import publish_on_commit
from alignment.models import Membership, Role
from roadmaps.graph import lock_dependency_graph, reaches
from roadmaps.services import ensure_same_workspace
from tasks.errors import DependencyCycle, DependencyExists, MergeNotAllowed
from tasks.events import TaskCommented, TaskMerged
from tasks.markdown import render_markdown
from tasks.mentions import resolve_mentions
from tasks.models import (
    DuplicateDismissal,
    Task,
    TaskAlias,
    TaskComment,
    TaskDependency,
    TaskEvent,
    TaskEventKind,
    TaskLabel,
)
from tasks.services.core import record_event, require_member

MAX_COMMENT = 20000


@transaction.atomic
def task_comment_add(*, actor: Membership, task: Task, body: str) -> TaskComment:
    """Comment on a task; @handles of workspace members are stored as mentions."""
    require_member(actor)
    ensure_same_workspace(actor, task)
    body = (body or "").strip()
    if not body:
        raise FieldErrors({"body": "Write something first."})
    if len(body) > MAX_COMMENT:
        raise FieldErrors({"body": f"Use at most {MAX_COMMENT} characters."})
    comment = TaskComment.objects.create(
        workspace_id=actor.workspace_id,
        task=task,
        author=actor.user,
        body=body,
        body_html=render_markdown(body),
    )
    mentioned = resolve_mentions(actor.workspace, body)
    if mentioned:
        comment.mentions.set(mentioned)
    publish_on_commit(
        TaskCommented(
            workspace_id=actor.workspace_id,
            task_id=task.pk,
            comment_id=comment.pk,
            mentioned_user_ids=tuple(mentioned),
            actor_id=actor.user_id,
        )
    )
    return comment


@transaction.atomic
def task_comment_delete(*, actor: Membership, comment: TaskComment) -> None:
    """Authors delete their own comments; admins delete any."""
    ensure_same_workspace(actor, comment)
    if comment.author_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    audit_by(
        actor,
        verb="task.comment_deleted",
        obj=comment,
        before={"task": comment.task_id, "body": comment.body[:200]},
    )
    comment.delete()


@transaction.atomic
def task_dependency_add(*, actor: Membership, blocking: Task, blocked: Task) -> TaskDependency:
    """`blocking` must be done before `blocked` (any teams of the workspace); no cycles."""
    require_member(actor)
    ensure_same_workspace(actor, blocking, blocked)
    if blocking.pk == blocked.pk:
        raise DependencyCycle(blocked=blocked.key, blocking=blocking.key)
    lock_dependency_graph(actor.workspace_id)
    if TaskDependency.objects.filter(blocking=blocking, blocked=blocked).exists():
        raise DependencyExists(blocking=blocking.key, blocked=blocked.key)
    if reaches(
        TaskDependency, workspace_id=actor.workspace_id, start_id=blocked.pk, goal_id=blocking.pk
    ):
        raise DependencyCycle(blocked=blocked.key, blocking=blocking.key)
    dependency = TaskDependency.objects.create(
        workspace_id=actor.workspace_id, blocking=blocking, blocked=blocked, created_by=actor.user
    )
    audit_by(
        actor,
        verb="task.dependency_added",
        obj=blocked,
        after={"blocking": blocking.key, "blocked": blocked.key},
    )
    return dependency


@transaction.atomic
def task_dependency_remove(*, actor: Membership, dependency: TaskDependency) -> None:
    """Remove a dependency between two tasks."""
    require_member(actor)
    ensure_same_workspace(actor, dependency)
    audit_by(
        actor,
        verb="task.dependency_removed",
        obj=dependency,
        before={"blocking": dependency.blocking_id, "blocked": dependency.blocked_id},
    )
    dependency.delete()


@transaction.atomic
def task_mark_not_duplicate(*, actor: Membership, task: Task, other: Task) -> DuplicateDismissal:
    """Stop suggesting `other` as a duplicate of `task` (and the other way round)."""
    require_member(actor)
    ensure_same_workspace(actor, task, other)
    if task.pk == other.pk:
        raise FieldErrors({"other": "Pick another task."})
    dismissal, _ = DuplicateDismissal.objects.get_or_create(
        task=task,
        other=other,
        defaults={"workspace_id": actor.workspace_id, "created_by": actor.user},
    )
    return dismissal


@transaction.atomic
def task_merge(*, actor: Membership, source: Task, into: Task) -> Task:
    """Merge a duplicate: comments, labels, dependencies and subtasks of `source` move to
    `into`; `source` is deleted and its keys (and its aliases) resolve to `into`."""
    require_member(actor)
    ensure_same_workspace(actor, source, into)
    if source.pk == into.pk:
        raise MergeNotAllowed(source=source.key, into=into.key, reason="they are the same task")
    ancestor = into.parent
    while ancestor is not None:
        if ancestor.pk == source.pk:
            raise MergeNotAllowed(
                source=source.key, into=into.key, reason=f"{into.key} is a subtask of it"
            )
        ancestor = ancestor.parent
    source_key = source.key
    TaskComment.objects.filter(task=source).update(task=into)
    # Labels: union; duplicates are dropped by the unique constraint.
    TaskLabel.objects.bulk_create(
        [
            TaskLabel(workspace_id=into.workspace_id, task=into, label_id=label_id)
            for label_id in TaskLabel.objects.filter(task=source).values_list("label_id", flat=True)
        ],
        ignore_conflicts=True,
    )
    _move_dependencies(source, into)
    Task.objects.filter(parent=source).exclude(pk=into.pk).update(parent=into)
    TaskAlias.objects.filter(task=source).update(task=into)
    DuplicateDismissal.objects.filter(Q(task=source) | Q(other=source)).delete()
    source_id = source.pk
    source_team, source_number = source.team_id, source.number
    source.delete()
    TaskAlias.objects.create(
        workspace_id=into.workspace_id, task=into, team_id=source_team, number=source_number
    )
    TaskEvent.objects.bulk_create(
        [
            record_event(
                into,
                actor=actor,
                kind=TaskEventKind.MERGED,
                before={"key": source_key},
                after={"key": into.key},
                at=timezone.now(),
            )
        ]
    )
    audit_by(
        actor,
        verb="task.merged",
        obj=into,
        before={"key": source_key},
        after={"key": into.key},
    )
    publish_on_commit(
        TaskMerged(
            workspace_id=into.workspace_id,
            source_id=source_id,
            into_id=into.pk,
            actor_id=actor.user_id,
        )
    )
    return into


def _move_dependencies(source: Task, into: Task) -> None:
    """Re-point source's edges at `into`, dropping ones that would be self-loops, duplicates
    or close a cycle (merging two tasks on one path cannot make the graph cyclic)."""
    edges = list(TaskDependency.objects.filter(Q(blocking=source) | Q(blocked=source)))
    for edge in edges:
        blocking_id = into.pk if edge.blocking_id == source.pk else edge.blocking_id
        blocked_id = into.pk if edge.blocked_id == source.pk else edge.blocked_id
        edge.delete()
        if blocking_id == blocked_id:
            continue
        if TaskDependency.objects.filter(blocking_id=blocking_id, blocked_id=blocked_id).exists():
            continue
        if reaches(
            TaskDependency, workspace_id=into.workspace_id, start_id=blocked_id, goal_id=blocking_id
        ):
            continue
        TaskDependency.objects.create(
            workspace_id=into.workspace_id,
            blocking_id=blocking_id,
            blocked_id=blocked_id,
            created_by_id=edge.created_by_id,
        )
