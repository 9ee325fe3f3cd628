"""Committed domain events to open pages: which group hears what.

Messages carry ids, keys and field names, never rendered content: each page fetches what it
shows through its own URL (a card, a region), so every byte a person sees passed the page's
permission checks, and a card reads as that viewer's card (guests' badges, members' quick
edit). The groups are per workspace and per team, and a socket joined them only after the
same check as the page (live.work_topics), so nothing reaches another tenant or a hidden team.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from alignment import events
from dashboards.events import RollupChanged
from integrations.notifications.events import InboxChanged
from live import broadcast, groups
from tasks.events import (
    SprintChanged,
    SprintClosed,
    SprintStarted,
    TaskChanged,
    TaskCommented,
    TaskCreated,
    TaskDependencyChanged,
    TaskMerged,
)
from tasks.models import Sprint, Task, TaskAlias


def card_message(
    task_id: int, *, fields: tuple[str, ...] = ()
) -> tuple[Task, dict[str, Any]] | None:
    """Where a task's card sits now: its column and sprint and its neighbours by rank, so a
    board puts the fresh card in the right place (or drops it when it left the sprint)."""
    task = (
        Task.all_objects.select_related("team")
        .only(
            "pk",
            "workspace_id",
            "team_id",
            "team__key",
            "number",
            "sprint_id",
            "state_id",
            "rank",
            "version",
            "merged_into_id",
        )
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        return None
    if task.merged_into_id is not None:  # a merged duplicate leaves every board
        return task, {"type": "card.removed", "topic": f"board:{task.team_id}", "key": task.key}
    column = Task.objects.filter(
        workspace_id=task.workspace_id,
        team_id=task.team_id,
        sprint_id=task.sprint_id,
        state_id=task.state_id,
    )
    earlier = Q(rank__lt=task.rank) | Q(rank=task.rank, pk__lt=task.pk)
    later = Q(rank__gt=task.rank) | Q(rank=task.rank, pk__gt=task.pk)
    after = column.filter(earlier).order_by("-rank", "-pk").select_related("team").first()
    before = column.filter(later).order_by("rank", "pk").select_related("team").first()
    return task, {
        "type": "card",
        "topic": f"board:{task.team_id}",
        "key": task.key,
        "version": task.version,
        "state": task.state_id,
        "sprint": task.sprint_id,
        "after": after.key if after else None,
        "before": before.key if before else None,
        "fields": list(fields),
    }


def _push_card(task_id: int, fields: tuple[str, ...] = ()) -> Task | None:
    found = card_message(task_id, fields=fields)
    if found is None:
        return None
    task, message = found
    broadcast.send(groups.board(task.workspace_id, task.team_id), message)
    broadcast.send(
        groups.backlog(task.workspace_id, task.team_id),
        {"type": "backlog", "topic": f"backlog:{task.team_id}", "key": task.key},
    )
    return task


def _push_task(workspace_id: int, task_id: int, kind: str, **extra: Any) -> None:
    # The topic is `task:<key>` on the page; the group is by id, so an old key still works.
    broadcast.send(groups.task(workspace_id, task_id), {"type": kind, "task": task_id, **extra})


def on_task_created(event: TaskCreated) -> None:
    _push_card(event.task_id, ("created",))


def event_old_key(task: Task, old_team_id: int) -> str | None:
    """The key the task had on `old_team_id`'s board (kept as an alias by the move)."""
    alias = (
        TaskAlias.objects.filter(
            workspace_id=task.workspace_id, task_id=task.pk, team_id=old_team_id
        )
        .select_related("team")
        .order_by("-pk")
        .first()
    )
    return f"{alias.team.key}-{alias.number}" if alias is not None else None


def on_task_changed(event: TaskChanged) -> None:
    task = _push_card(event.task_id, event.fields)
    old_team = event.previous_team_id
    if task is not None and old_team is not None and old_team != task.team_id:
        # Moved to another team: the old board and backlog drop the card (its old key).
        old_key = event_old_key(task, old_team)
        if old_key is None:
            return
        broadcast.send(
            groups.board(event.workspace_id, old_team),
            {"type": "card.removed", "topic": f"board:{old_team}", "key": old_key},
        )
        broadcast.send(
            groups.backlog(event.workspace_id, old_team),
            {"type": "backlog", "topic": f"backlog:{old_team}", "key": old_key},
        )
    _push_task(event.workspace_id, event.task_id, "task", fields=list(event.fields))


def on_task_merged(event: TaskMerged) -> None:
    for task_id in (event.source_id, event.into_id):
        _push_card(task_id, ("merged",))
        _push_task(event.workspace_id, task_id, "task", fields=["merged"])


def on_task_commented(event: TaskCommented) -> None:
    _push_task(event.workspace_id, event.task_id, "comment", comment=event.comment_id)


def on_dependency_changed(event: TaskDependencyChanged) -> None:
    for task_id in (event.blocking_id, event.blocked_id):
        _push_card(task_id, ("dependencies",))
        _push_task(event.workspace_id, task_id, "task", fields=["dependencies"])


def on_sprint_changed(event: SprintStarted | SprintClosed | SprintChanged) -> None:
    """A sprint started, closed or changed: the team's board shows another set of cards."""
    team_id = Sprint.objects.filter(pk=event.sprint_id).values_list("team_id", flat=True).first()
    if team_id is None:
        return
    broadcast.send(
        groups.board(event.workspace_id, team_id),
        {"type": "board", "topic": f"board:{team_id}", "sprint": event.sprint_id},
    )
    broadcast.send(
        groups.backlog(event.workspace_id, team_id),
        {"type": "backlog", "topic": f"backlog:{team_id}"},
    )


def on_rollup_changed(event: RollupChanged) -> None:
    broadcast.send(
        groups.dashboards(event.workspace_id), {"type": "rollups", "topic": "dashboards"}
    )


def on_inbox_changed(event: InboxChanged) -> None:
    # The consumer reads the count for its own person (live_notifications).
    broadcast.send(
        groups.person(event.workspace_id, event.user_id), {}, handler="live.notifications"
    )


def register() -> None:
    events.subscribe(TaskCreated, on_task_created)
    events.subscribe(TaskChanged, on_task_changed)
    events.subscribe(TaskMerged, on_task_merged)
    events.subscribe(TaskCommented, on_task_commented)
    events.subscribe(TaskDependencyChanged, on_dependency_changed)
    for sprint_event in (SprintStarted, SprintClosed, SprintChanged):
        events.subscribe(sprint_event, on_sprint_changed)
    events.subscribe(RollupChanged, on_rollup_changed)
    events.subscribe(InboxChanged, on_inbox_changed)
