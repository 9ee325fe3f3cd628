"""Domain events → outbound webhooks (the catalogue in integrations.webhooks.EVENT_TYPES).

Every handler runs *inside* the publisher's transaction (`in_transaction=True`), so the
outbox rows it writes commit with the change or vanish with its rollback; delivery happens
after commit (integrations.outbox). Handlers first ask the cached set of event types some
active subscription of the workspace wants (`listening_event_types`): when nobody listens,
a task move pays a cache read and no query. When someone does, the body is built in a fixed
number of queries (integrations.webhook_bodies), whatever the size of the workspace.

Objects that no longer exist (a deleted key result, a roadmap item, the source of a merge)
still produce a body from the event's own fields: a receiver learns that they went.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_save

from alignment import events
from alignment.models import User, Workspace
from dashboards.events import RollupChanged
from integrations import webhook_bodies as bodies
from integrations.models import WebhookSubscription
from integrations.webhooks import (
    listening_event_types,
    on_subscription_saved_or_deleted,
    webhook_publish,
)
from okrs.events import KeyResultChanged, KeyResultCheckedIn, ObjectiveChanged
from roadmaps.events import RoadmapItemChanged
from tasks.events import (
    SprintClosed,
    SprintStarted,
    TaskChanged,
    TaskCommented,
    TaskCreated,
    TaskMerged,
)
from tasks.models import Task, TaskComment

# Fields whose change alone is not news to a receiver: reordering a card within a column.
QUIET_FIELDS = frozenset({"rank"})

OBJECTIVE_TYPES = {
    "created": "objective.created",
    "updated": "objective.updated",
    "reparented": "objective.updated",
    "archived": "objective.archived",
}
KEY_RESULT_TYPES = {
    "created": "key_result.created",
    "updated": "key_result.updated",
    "deleted": "key_result.deleted",
}
PROGRESS_TYPES = {
    "objective": "objective.progress_changed",
    "key_result": "key_result.progress_changed",
}


def _publish(event: Any, event_type: str, build: Callable[[Workspace], dict[str, Any]]) -> None:
    """Write the outbox rows for one event, if any subscription of its workspace wants it.

    `build(workspace)` returns the body's `data`; it runs only when someone listens.
    """
    workspace_id: int = event.workspace_id
    if event_type not in listening_event_types(workspace_id):
        return
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    actor_id = getattr(event, "actor_id", None)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    webhook_publish(
        workspace=workspace,
        event_type=event_type,
        data=build(workspace),
        actor=bodies.user_body(actor),
    )


def _task_or_ref(rows: dict[int, Task], task_id: int) -> dict[str, Any]:
    task = rows.get(task_id)
    return bodies.task_body(task) if task is not None else bodies.task_ref(task_id)


# ---- work -------------------------------------------------------------------------------


def on_task_created(event: TaskCreated) -> None:
    def build(workspace: Workspace) -> dict[str, Any]:
        return {
            "task": _task_or_ref(bodies.task_rows(workspace.pk, [event.task_id]), event.task_id)
        }

    _publish(event, "task.created", build)


def on_task_changed(event: TaskChanged) -> None:
    changes = [name for name in event.fields if name not in QUIET_FIELDS]
    if not changes:
        return

    def build(workspace: Workspace) -> dict[str, Any]:
        task = _task_or_ref(bodies.task_rows(workspace.pk, [event.task_id]), event.task_id)
        return {"task": task, "changes": changes}

    _publish(event, "task.updated", build)


def on_task_merged(event: TaskMerged) -> None:
    def build(workspace: Workspace) -> dict[str, Any]:
        rows = bodies.task_rows(workspace.pk, [event.source_id, event.into_id])
        source = rows.get(event.source_id)
        return {
            # The source is a tombstone now; its key leads to `into`.
            "source": bodies.task_ref(event.source_id, source.key if source else None),
            "into": _task_or_ref(rows, event.into_id),
        }

    _publish(event, "task.merged", build)


def on_task_commented(event: TaskCommented) -> None:
    def build(workspace: Workspace) -> dict[str, Any]:
        rows = bodies.task_rows(workspace.pk, [event.task_id])
        task = rows.get(event.task_id)
        comment = (
            TaskComment.objects.filter(workspace_id=workspace.pk, pk=event.comment_id)
            .select_related("author")
            .first()
        )
        return {
            "comment": (
                bodies.comment_body(comment, task.key, task.workspace.slug)
                if comment is not None and task is not None
                else {"id": event.comment_id}
            ),
            "task": _task_or_ref(rows, event.task_id),
            "mentioned_user_ids": sorted(event.mentioned_user_ids),
        }

    _publish(event, "comment.created", build)


def _sprint_or_ref(workspace_id: int, sprint_id: int) -> dict[str, Any]:
    sprint = bodies.sprint_row(workspace_id, sprint_id)
    return bodies.sprint_body(sprint) if sprint is not None else {"id": sprint_id}


def on_sprint_started(event: SprintStarted) -> None:
    _publish(
        event,
        "sprint.started",
        lambda workspace: {"sprint": _sprint_or_ref(workspace.pk, event.sprint_id)},
    )


def on_sprint_closed(event: SprintClosed) -> None:
    def build(workspace: Workspace) -> dict[str, Any]:
        carried = (
            Task.all_objects.filter(workspace_id=workspace.pk, pk__in=event.carried_task_ids)
            .select_related("team")
            .order_by("pk")
        )
        return {
            "sprint": _sprint_or_ref(workspace.pk, event.sprint_id),
            "carried_over": [bodies.task_ref(t.pk, t.key) for t in carried],
        }

    _publish(event, "sprint.closed", build)


# ---- OKRs -------------------------------------------------------------------------------


def _objective_or_ref(workspace_id: int, objective_id: int) -> dict[str, Any]:
    objective = bodies.objective_row(workspace_id, objective_id)
    return (
        bodies.objective_body(objective)
        if objective is not None
        else bodies.objective_ref(objective_id)
    )


def _key_result_or_ref(workspace_id: int, key_result_id: int, objective_id: int) -> dict[str, Any]:
    key_result = bodies.key_result_row(workspace_id, key_result_id)
    if key_result is None:
        return bodies.key_result_ref(key_result_id, objective_id)
    return bodies.key_result_body(key_result)


def on_objective_changed(event: ObjectiveChanged) -> None:
    event_type = OBJECTIVE_TYPES.get(event.verb)
    if event_type is None:
        return
    _publish(
        event,
        event_type,
        lambda workspace: {
            "objective": _objective_or_ref(workspace.pk, event.objective_id),
            "change": event.verb,
        },
    )


def on_key_result_changed(event: KeyResultChanged) -> None:
    event_type = KEY_RESULT_TYPES.get(event.verb)
    if event_type is None:
        return

    def build(workspace: Workspace) -> dict[str, Any]:
        if event.verb == "deleted":
            # The row is gone: say what the event knows, and which objective lost it.
            return {
                "key_result": bodies.key_result_ref(event.key_result_id, event.objective_id),
                "objective": _objective_or_ref(workspace.pk, event.objective_id),
            }
        return {
            "key_result": _key_result_or_ref(workspace.pk, event.key_result_id, event.objective_id)
        }

    _publish(event, event_type, build)


def on_key_result_checked_in(event: KeyResultCheckedIn) -> None:
    def build(workspace: Workspace) -> dict[str, Any]:
        check_in = bodies.check_in_row(workspace.pk, event.check_in_id)
        key_result = _key_result_or_ref(workspace.pk, event.key_result_id, event.objective_id)
        return {
            "checkin": (
                bodies.check_in_body(check_in, workspace.slug)
                if check_in is not None
                else {"id": event.check_in_id, "key_result_id": event.key_result_id}
            ),
            "key_result": key_result,
        }

    _publish(event, "checkin.created", build)


def on_rollup_changed(event: RollupChanged) -> None:
    event_type = PROGRESS_TYPES.get(event.kind)
    if event_type is None:
        return

    def build(workspace: Workspace) -> dict[str, Any]:
        if event.kind == "objective":
            node = {"objective": _objective_or_ref(workspace.pk, event.node_id)}
        else:
            key_result = bodies.key_result_row(workspace.pk, event.node_id)
            node = {
                "key_result": (
                    bodies.key_result_body(key_result)
                    if key_result is not None
                    else {"id": event.node_id}
                )
            }
        return {
            **node,
            "progress": {"before": event.progress_before, "after": event.progress_after},
            "status": {"before": event.status_before, "after": event.status_after},
        }

    _publish(event, event_type, build)


# ---- roadmaps ---------------------------------------------------------------------------


def on_roadmap_item_changed(event: RoadmapItemChanged) -> None:
    def build(workspace: Workspace) -> dict[str, Any]:
        item = bodies.roadmap_item_row(workspace.pk, event.item_id)
        if item is None:
            return {"roadmap_item": {"id": event.item_id}, "deleted": True}
        return {"roadmap_item": bodies.roadmap_item_body(item), "deleted": False}

    _publish(event, "roadmap_item.updated", build)


SUBSCRIPTIONS: list[tuple[type, Callable[[Any], None]]] = [
    (TaskCreated, on_task_created),
    (TaskChanged, on_task_changed),
    (TaskMerged, on_task_merged),
    (TaskCommented, on_task_commented),
    (SprintStarted, on_sprint_started),
    (SprintClosed, on_sprint_closed),
    (ObjectiveChanged, on_objective_changed),
    (KeyResultChanged, on_key_result_changed),
    (KeyResultCheckedIn, on_key_result_checked_in),
    (RollupChanged, on_rollup_changed),
    (RoadmapItemChanged, on_roadmap_item_changed),
]


def register() -> None:
    """Subscribe the handlers (in the publisher's transaction) and keep the cache honest."""
    for event_type, handler in SUBSCRIPTIONS:
        events.subscribe(event_type, handler, in_transaction=True)
    # A justified signal (docs/development.md, "Signals kept, and why"): the listening cache
    # must also hear of admin and cascade writes, which no service call catches.
    for signal in (post_save, post_delete):
        signal.connect(
            on_subscription_saved_or_deleted,
            sender=WebhookSubscription,
            dispatch_uid=f"webhooks.listening.{signal is post_save}",
        )
