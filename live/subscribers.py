"""Committed domain events to open pages: which group hears what.

Messages carry ids, keys and field names, never rendered content: each page fetches what it
shows through its own URL (a card, a region), so every byte a person sees passed the page's
permission checks, and a card reads as that viewer's card (guests' badges, members' quick
edit). The groups are per workspace and per team, and a socket joined them only after the
same check as the page (live.work_topics), so nothing reaches another tenant or a hidden team.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import IsNull

from alignment import events
from alignment.prepared import Prepared
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


class CardAt(NamedTuple):
    """The task a card message was about: where it sits, for the groups it is sent to."""

    task_id: int
    workspace_id: int
    team_id: int
    key: str


def _card_query(task_id: int) -> QuerySet[Any]:
    """A task's place on its board (team key, number, column, version) with the numbers of
    its neighbours in the column by rank: one query, compiled once (`_CARD`). A write sends a
    card message after it commits, in the request; as three ORM queries that was ≈ 4 ms of a
    task move's CPU (issue #15)."""
    same_column = Q(
        workspace_id=OuterRef("workspace_id"),
        team_id=OuterRef("team_id"),
        state_id=OuterRef("state_id"),
    ) & (
        Q(sprint_id=OuterRef("sprint_id"))
        | Q(Q(sprint_id__isnull=True), IsNull(OuterRef("sprint_id"), True))
    )
    column = Task.objects.filter(same_column).order_by()
    earlier = Q(rank__lt=OuterRef("rank")) | Q(rank=OuterRef("rank"), pk__lt=OuterRef("pk"))
    later = Q(rank__gt=OuterRef("rank")) | Q(rank=OuterRef("rank"), pk__gt=OuterRef("pk"))
    after = column.filter(earlier).order_by("-rank", "-pk").values("number")[:1]
    before = column.filter(later).order_by("rank", "pk").values("number")[:1]
    return (
        Task.all_objects.filter(pk=task_id)
        .annotate(after=Subquery(after), before=Subquery(before))
        .values_list(
            "workspace_id",
            "team_id",
            "team__key",
            "number",
            "sprint_id",
            "state_id",
            "version",
            "merged_into_id",
            "after",
            "before",
        )
    )


_CARD = Prepared(_card_query)


def card_message(
    task_id: int, *, fields: tuple[str, ...] = ()
) -> tuple[CardAt, dict[str, Any]] | None:
    """Where a task's card sits now: its column and sprint and its neighbours by rank, so a
    board puts the fresh card in the right place (or drops it when it left the sprint)."""
    rows = _CARD.rows(task_id=task_id)
    if not rows:
        return None
    workspace_id, team_id, team_key, number, sprint_id, state_id, version, merged, after, before = (
        rows[0]
    )
    card = CardAt(task_id, workspace_id, team_id, f"{team_key}-{number}")
    if merged is not None:  # a merged duplicate leaves every board
        return card, {"type": "card.removed", "topic": f"board:{team_id}", "key": card.key}
    return card, {
        "type": "card",
        "topic": f"board:{team_id}",
        "key": card.key,
        "version": version,
        "state": state_id,
        "sprint": sprint_id,
        "after": f"{team_key}-{after}" if after is not None else None,
        "before": f"{team_key}-{before}" if before is not None else None,
        "fields": list(fields),
    }


def _push_card(task_id: int, fields: tuple[str, ...] = ()) -> CardAt | None:
    found = card_message(task_id, fields=fields)
    if found is None:
        return None
    card, message = found
    broadcast.send(groups.board(card.workspace_id, card.team_id), message)
    broadcast.send(
        groups.backlog(card.workspace_id, card.team_id),
        {"type": "backlog", "topic": f"backlog:{card.team_id}", "key": card.key},
    )
    return card


def _push_task(workspace_id: int, task_id: int, kind: str, **extra: Any) -> None:
    # The topic is `task:<key>` on the page; the group is by id, so an old key still works.
    broadcast.send(groups.task(workspace_id, task_id), {"type": kind, "task": task_id, **extra})


def on_task_created(event: TaskCreated) -> None:
    _push_card(event.task_id, ("created",))


def event_old_key(task: CardAt, old_team_id: int) -> str | None:
    """The key the task had on `old_team_id`'s board (kept as an alias by the move)."""
    alias = (
        TaskAlias.objects.filter(
            workspace_id=task.workspace_id, task_id=task.task_id, team_id=old_team_id
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
