"""Reads the sprint pages need, shaped once per page: the team's sprints, a start preview, and a
sprint's scope history in words.

Progress (done of total points, status) comes from the read model (`readmodel.selectors`);
scope numbers and history come from `tasks.sprint_scope`, the one definition of sprint scope;
planned points against capacity come from `tasks.selectors.sprint_planning`, the planning view's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q

from alignment.models import Team, User, Workspace
from alignment.parsing import is_digits
from readmodel.forecasts import ForecastRow, forecasts_for
from readmodel.models import NodeKind
from readmodel.selectors import RollupRow, rollups_for
from tasks.models import Sprint, SprintStatus, Task
from tasks.selectors import PersonLoad, sprint_planning
from tasks.sprint_scope import Change, ScopeChange, sprint_scope_changes

CLOSED_PAGE = 20
MAX_PAGE = 200  # hard cap of every list page (ARCHITECTURE §11)
HISTORY_LIMIT = 200  # scope changes shown on a sprint page; older ones are summarized


class BadCursor(ValueError):
    """A `?before=` cursor that is not `<YYYY-MM-DD>.<id>`."""


def parse_cursor(value: str) -> tuple[date, int] | None:
    if not value:
        return None
    day, _, pk = value.partition(".")
    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise BadCursor(value) from exc
    if not is_digits(pk):
        raise BadCursor(value)
    return parsed, int(pk)


@dataclass
class SprintRow:
    sprint: Sprint
    progress: RollupRow | None  # None: the read model has no row for it (yet)


@dataclass
class TeamSprints:
    """A team's sprints as the sprints page lists them."""

    active: list[SprintRow]
    planned: list[SprintRow]
    closed: list[SprintRow]
    next_cursor: str | None  # the next page of closed sprints (newest first)

    @property
    def is_empty(self) -> bool:
        return not (self.active or self.planned or self.closed)


def team_sprints(
    workspace: Workspace, team: Team, *, before: str = "", size: int = CLOSED_PAGE
) -> TeamSprints:
    """Active and planned sprints (earliest first), then a keyset page of closed ones (newest
    first), each with its read-model row (3 queries when the rows are current)."""
    size = max(1, min(size, MAX_PAGE))
    sprints = Sprint.objects.for_workspace(workspace).filter(team=team)
    open_sprints = list(
        sprints.exclude(status=SprintStatus.CLOSED).order_by("start_date", "pk")[:MAX_PAGE]
    )
    closed_qs = sprints.filter(status=SprintStatus.CLOSED).order_by("-start_date", "-pk")
    cursor = parse_cursor(before)
    if cursor is not None:
        day, pk = cursor
        closed_qs = closed_qs.filter(Q(start_date__lt=day) | Q(start_date=day, pk__lt=pk))
    closed_rows = list(closed_qs[: size + 1])
    closed, more = closed_rows[:size], len(closed_rows) > size
    rows = rollups_for(workspace.pk, {NodeKind.SPRINT: [s.pk for s in open_sprints + closed]})

    def row(sprint: Sprint) -> SprintRow:
        return SprintRow(sprint, rows.get((NodeKind.SPRINT.value, sprint.pk)))

    last = closed[-1] if closed else None
    return TeamSprints(
        active=[row(s) for s in open_sprints if s.status == SprintStatus.ACTIVE],
        planned=[row(s) for s in open_sprints if s.status == SprintStatus.PLANNED],
        closed=[row(s) for s in closed],
        next_cursor=f"{last.start_date.isoformat()}.{last.pk}" if more and last else None,
    )


def sprint_progress(workspace: Workspace, sprint: Sprint) -> RollupRow | None:
    """The sprint's read-model row: done and total points, status and basis."""
    return rollups_for(workspace.pk, {NodeKind.SPRINT: [sprint.pk]}).get(
        (NodeKind.SPRINT.value, sprint.pk)
    )


def sprint_forecast(workspace: Workspace, sprint: Sprint) -> ForecastRow | None:
    """Where the sprint lands by its end, from the team's done points per day."""
    return forecasts_for(workspace.pk, {NodeKind.SPRINT: [sprint.pk]}).get(
        (NodeKind.SPRINT.value, sprint.pk)
    )


DEFAULT_LENGTH = timedelta(days=13)  # two weeks, the last day included
TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def next_dates(workspace: Workspace, team: Team, *, today: date) -> dict[str, Any]:
    """A new sprint's suggested name and dates: after the team's latest sprint, as long as it
    and numbered after it ("Sprint 7" -> "Sprint 8"); from `today` for a team's first."""
    last = (
        Sprint.objects.for_workspace(workspace).filter(team=team).order_by("-end_date", "-pk")
    ).first()
    if last is None:
        return {"name": "Sprint 1", "start_date": today, "end_date": today + DEFAULT_LENGTH}
    start = last.end_date + timedelta(days=1)
    match = TRAILING_NUMBER.match(last.name)
    name = f"{match.group(1)}{int(match.group(2)) + 1}" if match else ""
    return {
        "name": name,
        "start_date": start,
        "end_date": start + (last.end_date - last.start_date),
    }


@dataclass
class StartPreview:
    """What starting a sprint commits: planned points per person against their capacity."""

    loads: list[PersonLoad]
    committed: Decimal
    capacity: Decimal  # the sum of the capacities that are set
    people_without_capacity: int
    active: Sprint | None  # the team's active sprint, which refuses a start

    @property
    def over_capacity(self) -> list[PersonLoad]:
        return [load for load in self.loads if load.over_capacity]

    @property
    def total_over_capacity(self) -> bool:
        return self.capacity > 0 and self.committed > self.capacity


def start_preview(workspace: Workspace, sprint: Sprint) -> StartPreview:
    """The numbers a start confirmation shows (3 queries)."""
    loads = sprint_planning(workspace, sprint)
    active = (
        Sprint.objects.for_workspace(workspace)
        .filter(team_id=sprint.team_id, status=SprintStatus.ACTIVE)
        .exclude(pk=sprint.pk)
        .first()
    )
    return StartPreview(
        loads=loads,
        committed=sum((load.committed for load in loads), Decimal(0)),
        capacity=sum((load.capacity or Decimal(0) for load in loads), Decimal(0)),
        people_without_capacity=sum(
            1 for load in loads if load.user is not None and load.capacity is None
        ),
        active=active,
    )


WORDS = {
    (Change.ADDED, "created"): "Created in the sprint",
    (Change.ADDED, "sprint"): "Moved in",
    (Change.ADDED, "state"): "Reopened",
    (Change.ADDED, "team"): "Moved in with its team change",
    (Change.REMOVED, "sprint"): "Moved out",
    (Change.REMOVED, "state"): "Canceled",
    (Change.REMOVED, "merged"): "Merged into another task",
    (Change.REMOVED, "team"): "Moved to another team",
    (Change.CARRIED_OVER, "sprint"): "Carried over at the close",
}
LABELS = {
    Change.ADDED: "Added",
    Change.REMOVED: "Removed",
    Change.REESTIMATED: "Re-estimated",
    Change.CARRIED_OVER: "Carried over",
}


@dataclass
class HistoryLine:
    change: ScopeChange
    key: str
    title: str
    actor: str
    label: str
    how: str


@dataclass
class ScopeHistory:
    lines: list[HistoryLine]
    total: int  # every change; `lines` holds the newest HISTORY_LIMIT

    @property
    def is_truncated(self) -> bool:
        return self.total > len(self.lines)


def scope_history(sprint: Sprint) -> ScopeHistory:
    """The sprint's scope changes in words, newest first (3 queries)."""
    changes = sprint_scope_changes(sprint)
    shown = changes[:HISTORY_LIMIT]
    tasks = {
        pk: (f"{team_key}-{number}", title)
        for pk, team_key, number, title in Task.all_objects.filter(
            workspace_id=sprint.workspace_id, pk__in={c.task_id for c in shown}
        ).values_list("pk", "team__key", "number", "title")
    }
    actors = {
        user.pk: user.display_name
        for user in User.objects.filter(pk__in={c.actor_id for c in shown if c.actor_id})
    }
    lines = []
    for change in shown:
        key, title = tasks.get(change.task_id, ("?", "(deleted task)"))
        how = WORDS.get((change.change, change.kind), "Estimate changed")
        lines.append(
            HistoryLine(
                change=change,
                key=key,
                title=title,
                actor=actors.get(change.actor_id or 0, "someone") if change.actor_id else "",
                label=LABELS[change.change],
                how=how,
            )
        )
    return ScopeHistory(lines=lines, total=len(changes))
