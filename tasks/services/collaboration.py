"""Comments with @mentions, dependencies between tasks, and merging duplicates."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors, RoleRequired
from alignment.events import publish_on_commit
from alignment.graph import (
    dependency_added,
    dependency_remove,
    lock_dependency_graph,
    path_between,
    reaches,
)
from alignment.guards import ensure_same_workspace, require_admin, require_member
from alignment.models import Membership, Role, User
from tasks.errors import DependencyExists, MergeNotAllowed, TaskDependencyCycle
from tasks.events import TaskCommented, TaskDependencyChanged, TaskMerged
from tasks.markdown import render_markdown
from tasks.mentions import resolve_mentions
from tasks.models import (
    CLOSED_CATEGORIES,
    DuplicateDismissal,
    StateCategory,
    Task,
    TaskAlias,
    TaskComment,
    TaskDependency,
    TaskEvent,
    TaskEventKind,
    TaskLabel,
    WorkflowState,
)
from tasks.services.changes import record_event
from tasks.services.rules import ensure_workspace_user

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
def task_comment_import(
    *, actor: Membership, task: Task, body: str, author: User | None, created_at: datetime
) -> TaskComment:
    """Keep a comment written in another tracker: its author (a member, or None when the
    writer is not one; the caller keeps their name in the text) and its date. Admins only.

    No mentions and no TaskCommented event: history arriving in bulk must not notify anyone
    or fire outgoing webhooks for talk that happened long ago."""
    require_admin(actor)
    ensure_same_workspace(actor, task)
    ensure_workspace_user(actor, author)
    body = (body or "").strip()[:MAX_COMMENT]
    if not body:
        raise FieldErrors({"body": "Write something first."})
    return TaskComment.objects.create(
        workspace_id=actor.workspace_id,
        task=task,
        author=author,
        body=body,
        body_html=render_markdown(body),
        created_at=created_at,
    )


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


HIDDEN_STEP = "(a task you cannot see)"


def _cycle(
    actor: Membership, blocking: Task, blocked: Task, loop: list[int]
) -> TaskDependencyCycle:
    """The refusal, naming the loop the new link would close: "ENG-3 → ENG-7 → ENG-3".

    `loop` runs from `blocked` to `blocking` along existing links; tasks of teams the actor may
    not see (private teams, guests) stay unnamed, so a refusal never leaks a hidden key.
    """
    visible = set(Task.objects.visible_to(actor).filter(pk__in=loop).values_list("pk", flat=True))
    keys = {
        task.pk: task.key
        for task in Task.all_objects.filter(pk__in=loop, workspace_id=actor.workspace_id)
        .select_related("team")
        .only("pk", "number", "team__key")
    }
    steps = [blocking.key] + [keys[pk] if pk in visible else HIDDEN_STEP for pk in loop]
    if loop[-1] != blocking.pk:
        steps.append(blocking.key)
    path = " → ".join(steps)
    return TaskDependencyCycle(blocking=blocking.key, blocked=blocked.key, path=path, steps=steps)


@transaction.atomic
def task_dependency_add(*, actor: Membership, blocking: Task, blocked: Task) -> TaskDependency:
    """`blocking` must be done before `blocked` (any teams of the workspace); no cycles."""
    require_member(actor)
    ensure_same_workspace(actor, blocking, blocked)
    if blocking.pk == blocked.pk:
        raise _cycle(actor, blocking, blocked, [blocked.pk])
    lock_dependency_graph(actor.workspace_id)
    if TaskDependency.objects.filter(blocking=blocking, blocked=blocked).exists():
        raise DependencyExists(blocking=blocking.key, blocked=blocked.key)
    loop = path_between(
        TaskDependency, workspace_id=actor.workspace_id, start_id=blocked.pk, goal_id=blocking.pk
    )
    if loop is not None:
        raise _cycle(actor, blocking, blocked, loop)
    dependency = TaskDependency.objects.create(
        workspace_id=actor.workspace_id, blocking=blocking, blocked=blocked, created_by=actor.user
    )
    dependency_added(
        actor,
        event=TaskDependencyChanged,
        verb="task.dependency_added",
        blocking=blocking,
        blocked=blocked,
        after={"blocking": blocking.key, "blocked": blocked.key},
    )
    return dependency


@transaction.atomic
def task_dependency_remove(*, actor: Membership, dependency: TaskDependency) -> None:
    """Remove a dependency between two tasks."""
    require_member(actor)
    ensure_same_workspace(actor, dependency)
    dependency_remove(
        actor,
        event=TaskDependencyChanged,
        verb="task.dependency_removed",
        dependency=dependency,
    )


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
    `into`; `source` stays as a closed tombstone (`merged_into`) and its keys resolve to `into`.

    The source row is kept, not deleted, so its history (TaskEvent, SprintCarryOver) still
    feeds past sprints' burndown and velocity: a merge never rewrites a closed sprint. The
    default manager hides the tombstone from boards, lists, search, the API and rollups.
    """
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
    now = timezone.now()
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
    # Tombstones of earlier merges into `source` now lead to the survivor directly.
    Task.all_objects.filter(merged_into=source).update(merged_into=into)
    DuplicateDismissal.objects.filter(Q(task=source) | Q(other=source)).delete()
    _close_as_tombstone(source, into=into, now=now)
    TaskAlias.objects.create(
        workspace_id=into.workspace_id, task=into, team_id=source.team_id, number=source.number
    )
    TaskEvent.objects.bulk_create(
        [
            # The source's row holds its values after the merge (closed): the sprint it was
            # in stops counting it from now on, earlier days and closed sprints keep it.
            record_event(
                source,
                actor=actor,
                kind=TaskEventKind.MERGED,
                before={"key": source_key},
                after={"merged_into": into.key},
                at=now,
            ),
            record_event(
                into,
                actor=actor,
                kind=TaskEventKind.MERGED,
                before={"key": source_key},
                after={"key": into.key},
                at=now,
            ),
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
            source_id=source.pk,
            into_id=into.pk,
            actor_id=actor.user_id,
        )
    )
    return into


def _close_as_tombstone(source: Task, *, into: Task, now: datetime) -> None:
    """Mark `source` merged; an open task moves to its team's first canceled state (else
    done state), so WIP and open counts drop it. A closed one keeps its state: work that was
    done stays done in history."""
    fields = ["merged_into", "version", "updated_at"]
    if not source.is_closed:
        closed_state = (
            WorkflowState.objects.filter(
                team_id=source.team_id, category__in=sorted(CLOSED_CATEGORIES)
            )
            .order_by(
                # canceled before done: a duplicate was not delivered work
                Case(When(category=StateCategory.CANCELED, then=0), default=1),
                "position",
                "pk",
            )
            .first()
        )
        if closed_state is not None:
            source.state = closed_state
            source.state_category = closed_state.category
            if closed_state.category == StateCategory.DONE:
                source.completed_at = now
            fields += ["state", "state_category", "completed_at"]
    source.merged_into = into
    source.version += 1
    source.updated_at = now
    source.save(update_fields=fields)


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
