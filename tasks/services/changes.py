"""Changing a task's fields: the checks every write path shares, the versioned write, its
history rows (`TaskEvent`, which burndown, velocity and cycle time replay) and `TaskChanged`.

`apply_changes` is the one write path for edits (update, transition, move, assign, bulk,
undo, sprint moves); `tasks.services.core` creates tasks and names the edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors
from alignment.events import publish_on_commit
from alignment.guards import ensure_same_workspace
from alignment.models import Membership
from alignment.versioning import save_versioned
from tasks import gates, ranking
from tasks.errors import SprintClosed, SprintOfAnotherTeam, TransitionNotAllowed
from tasks.events import TaskChanged
from tasks.markdown import render_markdown
from tasks.models import (
    Label,
    Priority,
    Sprint,
    SprintStatus,
    StateCategory,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskLabel,
    WorkflowState,
)
from tasks.services.rules import clean_estimate, clean_title, ensure_workspace_user

# Changes of these fields are history (TaskEvent): burndown, velocity and cycle time read them.
TRACKED = {
    "state": TaskEventKind.STATE,
    "sprint": TaskEventKind.SPRINT,
    "estimate": TaskEventKind.ESTIMATE,
    "assignee": TaskEventKind.ASSIGNEE,
}
EDITABLE = [
    "title",
    "description",
    "state",
    "assignee",
    "estimate",
    "priority",
    "due_date",
    "roadmap_item",
    "sprint",
    "parent",
    "rank",
]


def task_label(task: Task) -> str:
    return f"Task {task.key}"


def _value(obj: Any) -> Any:
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    return getattr(obj, "pk", str(obj))


def tracked_value(name: str, obj: Any) -> Any:
    if name == "state" and obj is not None:
        return {"id": obj.pk, "name": obj.name, "category": obj.category}
    return _value(obj)


def record_event(
    task: Task,
    *,
    actor: Membership | None,
    kind: str,
    before: Any = None,
    after: Any = None,
    at: Any = None,
) -> TaskEvent:
    """Build (unsaved) one history row; the task holds the values after the change."""
    return TaskEvent(
        workspace_id=task.workspace_id,
        task=task,
        actor=actor.user if actor else None,
        kind=kind,
        before=before,
        after=after,
        sprint_id=task.sprint_id,
        estimate=task.estimate,
        state_category=task.state_category,
        created_at=at or timezone.now(),
    )


def check_state(task: Task, state: WorkflowState) -> None:
    if state.team_id != task.team_id:
        raise TransitionNotAllowed(task=task.key, state=state.name)


def check_sprint(task: Task, sprint: Sprint | None) -> None:
    if sprint is None:
        return
    if sprint.team_id != task.team_id:
        raise SprintOfAnotherTeam(task=task.key, team=task.team.name, sprint=sprint.name)
    if sprint.status == SprintStatus.CLOSED:
        raise SprintClosed(sprint=sprint.name)


def _check_parent(task: Task, parent: Task | None) -> None:
    if parent is None:
        return
    seen: set[int] = set()
    node: Task | None = parent
    while node is not None and node.pk not in seen:
        if task.pk is not None and node.pk == task.pk:
            raise FieldErrors({"parent": "A task cannot be its own ancestor."})
        seen.add(node.pk)
        node = node.parent if node.parent_id else None


def set_state_times(task: Task, state: WorkflowState, now: Any) -> None:
    task.state = state
    task.state_category = state.category
    if state.category == StateCategory.STARTED and task.started_at is None:
        task.started_at = now
    if state.category == StateCategory.DONE:
        task.completed_at = task.completed_at or now
    else:
        task.completed_at = None


def clean_labels(actor: Membership, labels: Iterable[Label]) -> list[Label]:
    labels = list(labels)
    ensure_same_workspace(actor, *labels, what="That label")
    return labels


def publish_change(
    actor: Membership,
    task: Task,
    fields: Sequence[str],
    item_ids: Iterable[int | None],
    *,
    previous_team_id: int | None = None,
) -> None:
    publish_on_commit(
        TaskChanged(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            fields=tuple(fields),
            roadmap_item_ids=tuple(sorted({i for i in item_ids if i is not None})),
            actor_id=actor.user_id,
            previous_team_id=previous_team_id,
            watchers=tuple(i for i in (task.assignee_id, task.created_by_id) if i is not None),
        )
    )


def _check_references(actor: Membership, task: Task, changes: dict[str, Any]) -> None:
    """Only editable fields, and every row or user they name is in the actor's workspace."""
    ensure_same_workspace(actor, task)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise FieldErrors(dict.fromkeys(unknown, "This field cannot be changed here."))
    related = [changes.get(n) for n in ("state", "roadmap_item", "sprint", "parent")]
    ensure_same_workspace(actor, *[r for r in related if r is not None])
    if "assignee" in changes:
        ensure_workspace_user(actor, changes["assignee"])


def _clean_values(changes: dict[str, Any]) -> None:
    """Cleans the typed values in place (title, estimate, priority, description)."""
    if "title" in changes:
        changes["title"] = clean_title(changes["title"])
    if "estimate" in changes:
        changes["estimate"] = clean_estimate(changes["estimate"])
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise FieldErrors({"priority": "Use 0 (none) to 4 (low)."})
    if "description" in changes:
        changes["description"] = changes["description"] or ""


def _check_moves(task: Task, changes: dict[str, Any]) -> None:
    """The new state, sprint, parent and rank fit the task."""
    if changes.get("state") is not None:
        check_state(task, changes["state"])
    elif "state" in changes:
        raise FieldErrors({"state": "A task always has a state."})
    if "sprint" in changes:
        check_sprint(task, changes["sprint"])
    if "parent" in changes:
        _check_parent(task, changes["parent"])
    if "rank" in changes:
        ranking.validate_key(changes["rank"])


@dataclass
class _Applied:
    """What setting the changes on the task did: the fields that really changed, the
    (field, before, after) history of tracked ones, and the columns to write."""

    changed: list[str] = field(default_factory=list)
    events: list[tuple[str, Any, Any]] = field(default_factory=list)
    write_fields: set[str] = field(default_factory=set)


def _set_on_task(task: Task, changes: dict[str, Any], now: Any) -> _Applied:
    """Sets each changed value on the task (unchanged values are skipped)."""
    applied = _Applied()
    for name, value in changes.items():
        old = getattr(task, name)
        if _value(old) == _value(value):
            continue
        applied.changed.append(name)
        if name in TRACKED:
            applied.events.append((name, tracked_value(name, old), tracked_value(name, value)))
        if name == "state":
            set_state_times(task, value, now)
            applied.write_fields |= {"state_id", "state_category", "started_at", "completed_at"}
        elif name == "description":
            task.description = value
            task.description_html = render_markdown(value)
            applied.write_fields |= {"description", "description_html"}
        else:
            setattr(task, name, value)
            applied.write_fields.add(Task._meta.get_field(name).attname)  # type: ignore[union-attr]
    return applied


def _label_ids(
    actor: Membership, task: Task, labels: Iterable[Label] | None
) -> tuple[set[int], set[int]] | None:
    """The task's current and wanted label ids; None when labels are not being set."""
    if labels is None:
        return None
    label_list = clean_labels(actor, labels)
    current = set(TaskLabel.objects.filter(task=task).values_list("label_id", flat=True))
    return current, {label.pk for label in label_list}


def _write_labels(task: Task, current: set[int], wanted: set[int]) -> None:
    TaskLabel.objects.filter(task=task).exclude(label_id__in=wanted).delete()
    TaskLabel.objects.bulk_create(
        [
            TaskLabel(workspace_id=task.workspace_id, task=task, label_id=label_id)
            for label_id in wanted - current
        ],
        ignore_conflicts=True,
    )


def _write_history(
    actor: Membership,
    task: Task,
    events: list[tuple[str, Any, Any]],
    extra_after: dict[str, Any] | None,
    now: Any,
) -> None:
    if not events:
        return
    TaskEvent.objects.bulk_create(
        record_event(
            task,
            actor=actor,
            kind=TRACKED[name],
            before={name: old},
            after={name: new, **(extra_after or {})},
            at=now,
        )
        for name, old, new in events
    )


def apply_changes(
    *,
    actor: Membership,
    task: Task,
    changes: dict[str, Any],
    expected_version: int | None,
    labels: Iterable[Label] | None = None,
    extra_after: dict[str, Any] | None = None,
) -> list[str]:
    """Validate and write `changes` with a version check, then record history and publish.

    Returns the names of fields that really changed. Callers hold the transaction.
    """
    _check_references(actor, task, changes)
    _clean_values(changes)
    _check_moves(task, changes)

    item_before = task.roadmap_item_id
    category_before = task.state_category
    now = timezone.now()
    applied = _set_on_task(task, changes, now)
    changed = applied.changed
    label_ids = _label_ids(actor, task, labels)
    if label_ids is not None and label_ids[0] != label_ids[1]:
        changed.append("labels")
    if "state" in changed:
        # After every other change is applied: a PATCH that adds the estimate and moves to
        # Done in one request is judged with its estimate.
        gates.check_entry(
            task,
            gates.Entry(
                state=task.state,
                from_category=category_before,
                from_team_id=task.team_id,
                actor=actor,
                via=str((extra_after or {}).get("via", "")),
            ),
        )
    if not changed:
        if expected_version is not None and expected_version != task.version:
            # Nothing to write, but the caller's copy is stale all the same.
            save_versioned(
                task, expected_version=expected_version, fields=[], label=task_label(task)
            )
        return []
    save_versioned(
        task,
        expected_version=expected_version,
        fields=sorted(applied.write_fields),
        label=task_label(task),
    )
    if label_ids is not None and "labels" in changed:
        _write_labels(task, *label_ids)
    _write_history(actor, task, applied.events, extra_after, now)
    audit_by(
        actor,
        verb="task.updated",
        obj=task,
        after={"key": task.key, "fields": changed},
    )
    publish_change(actor, task, changed, [item_before, task.roadmap_item_id])
    return changed
