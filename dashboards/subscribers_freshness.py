"""Domain events → stale findings and team metrics (dashboards/freshness.py).

Registered *in transaction* in `DashboardsConfig.ready`: each handler writes its
`RefreshPending` rows inside the publisher's transaction, so the mark commits (or rolls back)
with the change itself and nothing is forgotten if the process, Redis or the broker dies right
after the commit. The job is scheduled after commit. Every change marks the findings (they read
almost everything); changes to a task's sprint, state, estimate or team, and sprint changes,
also mark the team metrics of the teams involved. The domain apps never import this module.
"""

from __future__ import annotations

from typing import Any

from dashboards import freshness
from okrs.events import (
    KeyResultChanged,
    KeyResultCheckedIn,
    ObjectiveChanged,
    OkrThresholdsChanged,
    PeriodChanged,
    PeriodClosed,
)
from roadmaps.events import KeyResultLinksChanged, RoadmapItemChanged, RoadmapItemDependencyChanged
from tasks.events import (
    SprintChanged,
    SprintClosed,
    SprintStarted,
    TaskChanged,
    TaskCreated,
    TaskDependencyChanged,
    TaskMerged,
)
from tasks.models import Sprint, Task, TaskEvent, TaskEventKind

# Fields of a task that team metrics read (sprint flow, velocity, burn, cycle time, WIP).
METRIC_FIELDS = frozenset({"state", "sprint", "estimate", "team"})


def _teams_of_tasks(*task_ids: int) -> list[int]:
    return list(Task.all_objects.filter(pk__in=task_ids).values_list("team_id", flat=True))


def _team_left(task_id: int) -> int | None:
    """The team a task was just handed over from (its latest team history row)."""
    before = (
        TaskEvent.objects.filter(task_id=task_id, kind=TaskEventKind.TEAM)
        .order_by("-created_at", "-id")
        .values_list("before", flat=True)
        .first()
    )
    return before.get("team") if isinstance(before, dict) else None


def on_findings_input(event: Any) -> None:
    """A change that findings read (links, check-ins, dependencies, periods, dates…)."""
    freshness.mark(event.workspace_id)


def on_task_created(event: TaskCreated) -> None:
    freshness.mark(event.workspace_id, team_ids=_teams_of_tasks(event.task_id))


def on_task_changed(event: TaskChanged) -> None:
    if not METRIC_FIELDS & set(event.fields):
        freshness.mark(event.workspace_id)  # a title, an assignee, a link: findings only
        return
    teams: list[int | None] = list(_teams_of_tasks(event.task_id))
    if "team" in event.fields:
        teams.append(_team_left(event.task_id))
    freshness.mark(event.workspace_id, team_ids=teams)


def on_task_merged(event: TaskMerged) -> None:
    freshness.mark(event.workspace_id, team_ids=_teams_of_tasks(event.source_id, event.into_id))


def on_sprint_event(event: SprintStarted | SprintClosed | SprintChanged) -> None:
    teams = Sprint.objects.filter(pk=event.sprint_id).values_list("team_id", flat=True)
    freshness.mark(event.workspace_id, team_ids=list(teams))


def on_task_deleted(instance: Task) -> None:
    """Called from the task pre_delete receiver (dashboards.subscribers), in its transaction."""
    freshness.mark(instance.workspace_id, team_ids=[instance.team_id])


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (TaskCreated, on_task_created),
    (TaskChanged, on_task_changed),
    (TaskMerged, on_task_merged),
    (TaskDependencyChanged, on_findings_input),
    (SprintStarted, on_sprint_event),
    (SprintClosed, on_sprint_event),
    (SprintChanged, on_sprint_event),
    (KeyResultChanged, on_findings_input),
    (KeyResultCheckedIn, on_findings_input),
    (ObjectiveChanged, on_findings_input),
    (PeriodChanged, on_findings_input),
    (PeriodClosed, on_findings_input),
    (OkrThresholdsChanged, on_findings_input),
    (RoadmapItemChanged, on_findings_input),
    (RoadmapItemDependencyChanged, on_findings_input),
    (KeyResultLinksChanged, on_findings_input),
]
