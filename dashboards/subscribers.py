"""Domain events → stale rollup nodes. Registered in `DashboardsConfig.ready`; the domain apps
never import this module."""

from __future__ import annotations

from typing import Any

from dashboards import subscribers_freshness
from dashboards.rollups import queue
from dashboards.rollups.math import ITEM, KR, OBJECTIVE, SPRINT, TASK, TEAM
from dashboards.rollups.passes import REALIGN
from okrs.events import KeyResultChanged, KeyResultCheckedIn, ObjectiveChanged, PeriodClosed
from okrs.models import Objective
from roadmaps.events import KeyResultLinksChanged, RoadmapItemChanged
from tasks.events import SprintClosed, TaskChanged, TaskCreated, TaskMerged
from tasks.models import Task, TaskEvent, TaskEventKind


def on_task_created(event: TaskCreated) -> None:
    queue.enqueue(event.workspace_id, [(TASK, event.task_id), (ITEM, event.roadmap_item_id)])


def previous_sprint_and_team(task_id: int) -> list[tuple[str, int | None]]:
    """The sprint and team a task just left, from its latest history rows."""
    nodes: list[tuple[str, int | None]] = []
    latest = (
        TaskEvent.objects.filter(
            task_id=task_id, kind__in=[TaskEventKind.SPRINT, TaskEventKind.TEAM]
        )
        .order_by("-created_at", "-id")
        .values_list("kind", "before")[:2]
    )
    for kind, before in latest:
        if not isinstance(before, dict):
            continue
        if kind == TaskEventKind.SPRINT:
            nodes.append((SPRINT, before.get("sprint")))
        else:
            nodes.append((TEAM, before.get("team")))
    return nodes


def on_task_changed(event: TaskChanged) -> None:
    nodes: list[tuple[str, int | None]] = [(TASK, event.task_id)]
    nodes += [(ITEM, item_id) for item_id in event.roadmap_item_ids]
    if {"sprint", "team"} & set(event.fields):
        nodes += previous_sprint_and_team(event.task_id)
    if "archived" in event.fields:  # archived or restored: the task leaves or rejoins counts
        for sprint_id, team_id in Task.all_objects.filter(pk=event.task_id).values_list(
            "sprint_id", "team_id"
        ):
            nodes += [(SPRINT, sprint_id), (TEAM, team_id)]
    queue.enqueue(event.workspace_id, nodes)


def on_task_merged(event: TaskMerged) -> None:
    # The source stays as a hidden tombstone (merged_into): the nodes it fed lose it now.
    nodes: list[tuple[str, int | None]] = [(TASK, event.into_id)]
    for item_id, sprint_id, team_id in Task.all_objects.filter(pk=event.source_id).values_list(
        "roadmap_item_id", "sprint_id", "team_id"
    ):
        nodes += [(ITEM, item_id), (SPRINT, sprint_id), (TEAM, team_id)]
    queue.enqueue(event.workspace_id, nodes)


def on_task_deleted(sender: type, instance: Task, **_: Any) -> None:
    """pre_delete: remember the nodes, findings and team metrics a task fed, inside the
    deleting transaction."""
    queue.mark(
        instance.workspace_id,
        [(ITEM, instance.roadmap_item_id), (SPRINT, instance.sprint_id), (TEAM, instance.team_id)],
    )
    subscribers_freshness.on_task_deleted(instance)


def on_sprint_closed(event: SprintClosed) -> None:
    nodes: list[tuple[str, int | None]] = [(SPRINT, event.sprint_id)]
    nodes += [(TASK, task_id) for task_id in event.carried_task_ids]
    queue.enqueue(event.workspace_id, nodes)


def on_key_result(event: KeyResultChanged | KeyResultCheckedIn) -> None:
    queue.enqueue(event.workspace_id, [(KR, event.key_result_id), (OBJECTIVE, event.objective_id)])


def on_objective_changed(event: ObjectiveChanged) -> None:
    queue.enqueue(event.workspace_id, [(OBJECTIVE, event.objective_id)])


def on_period_closed(event: PeriodClosed) -> None:
    ids = Objective.objects.filter(
        workspace_id=event.workspace_id, period_id=event.period_id
    ).values_list("id", flat=True)
    queue.enqueue(event.workspace_id, [(OBJECTIVE, i) for i in ids])


def on_item_changed(event: RoadmapItemChanged) -> None:
    # REALIGN: a deleted item's tasks leave it, so every sprint holding them recounts.
    queue.enqueue(event.workspace_id, [(REALIGN, event.item_id)])


def on_links_changed(event: KeyResultLinksChanged) -> None:
    # REALIGN: the sprints holding the item's tasks recount their aligned points.
    queue.enqueue(event.workspace_id, [(REALIGN, event.item_id), (KR, event.key_result_id)])


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (TaskCreated, on_task_created),
    (TaskChanged, on_task_changed),
    (TaskMerged, on_task_merged),
    (SprintClosed, on_sprint_closed),
    (KeyResultChanged, on_key_result),
    (KeyResultCheckedIn, on_key_result),
    (ObjectiveChanged, on_objective_changed),
    (PeriodClosed, on_period_closed),
    (RoadmapItemChanged, on_item_changed),
    (KeyResultLinksChanged, on_links_changed),
]
