"""What a sprint held and what became of it: the one definition of every sprint number.

Sprint close, team metrics (velocity, committed vs completed, scope added), the burndown and
burnup, the sprint API and the digest all read these functions, so they cannot disagree. The
numbers come from replaying `TaskEvent` rows (each holds the task's sprint, estimate and state
category *after* the event), never from a sprint's current membership: work carried to the
next sprint still counts as committed-but-unfinished where it was, and a merged duplicate (a
tombstone only `Task.all_objects` shows) keeps its past.

A task is *in scope* of a sprint at a moment when its latest event by then puts it in the
sprint, not canceled and not merged into another task. With `start` = when the sprint started
and `end` = just before it closed (or `as_of` while it runs):

- committed: in scope at `start` (events at exactly `start` count); points at `start`.
- added after start: not committed, in scope at some moment in (`start`, `end`]: created
  directly in the running sprint, moved or carried in. Points when it (first) entered.
- removed: committed or added, but out of scope at `end` (moved out, canceled, merged).
  Points when it (last) left.
- completed: in scope and done at `end`; points at `end`.
- carried over: in scope and not done at `end` of a closed sprint (the close moved it to the
  next sprint or the backlog). While a sprint runs the same set is `open`: what a close would
  carry now. Points at `end`.
- re-estimated: estimate changes of the work while it was in the sprint, the rest of the sum
  `committed + added - removed + re-estimated = completed + carried over (open)`.

Counts obey `committed + added - removed = completed + open` exactly.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from alignment import timezones
from tasks.models import Sprint, SprintStatus, StateCategory, Task, TaskEvent, TaskEventKind

ZERO = Decimal(0)


@dataclass(frozen=True)
class Moment:
    """A task's values just after one of its events."""

    at: datetime
    sprint_id: int | None
    estimate: Decimal
    category: str
    merged: bool = False  # the task became a tombstone (merged into another) here
    kind: str = ""  # the TaskEventKind that made this moment (scope history names it)
    actor_id: int | None = None

    def in_scope_of(self, sprint_id: int) -> bool:
        return (
            self.sprint_id == sprint_id
            and not self.merged
            and self.category != StateCategory.CANCELED
        )


History = Sequence[Moment]


def sprint_histories(sprints: Sequence[Sprint]) -> dict[int, list[Moment]]:
    """The histories of every task that was ever in one of `sprints`."""
    if not sprints:
        return {}
    workspaces = sorted({s.workspace_id for s in sprints})
    task_ids = (
        TaskEvent.objects.filter(workspace_id__in=workspaces, sprint_id__in=[s.pk for s in sprints])
        .values_list("task_id", flat=True)
        .distinct()
    )
    return load_histories(task_ids, workspace_id=workspaces[0] if len(workspaces) == 1 else None)


def load_histories(
    task_ids: Iterable[int], *, workspace_id: int | None = None
) -> dict[int, list[Moment]]:
    """Every task's moments in time order, tombstones included (their events outlive a merge).

    A MERGED row on the merged-away task (its `after` names `merged_into`) ends its scope; the
    survivor's MERGED row (its `after` names its own key) changes nothing. `workspace_id` lets
    the read use the (workspace, task, created_at) index."""
    events = TaskEvent.objects.filter(task_id__in=task_ids)
    if workspace_id is not None:
        events = events.filter(workspace_id=workspace_id)
    histories: dict[int, list[Moment]] = defaultdict(list)
    rows = events.order_by("task_id", "created_at", "id").values_list(
        "task_id",
        "created_at",
        "sprint_id",
        "estimate",
        "state_category",
        "kind",
        "after",
        "actor_id",
    )
    for task_id, at, sprint_id, estimate, category, kind, after, actor_id in rows:
        merged = kind == TaskEventKind.MERGED and isinstance(after, dict) and "merged_into" in after
        merged = merged or kind == TaskEventKind.ARCHIVED  # archived: out of scope too
        if histories[task_id] and histories[task_id][-1].merged and kind != TaskEventKind.RESTORED:
            merged = True  # a tombstone never comes back (an archived task, when restored)
        histories[task_id].append(
            Moment(at, sprint_id, estimate or ZERO, category, merged, kind, actor_id)
        )
    return dict(histories)


def moment_at(history: History, when: datetime, *, inclusive: bool) -> Moment | None:
    """The task's values at `when` (events at exactly `when` count when `inclusive`)."""
    times = [m.at for m in history]
    index = bisect_right(times, when) if inclusive else bisect_left(times, when)
    return history[index - 1] if index else None


@dataclass(frozen=True)
class Window:
    """When a sprint's commitment is read (`start`) and its outcome (`end`).

    `end_inclusive` is False for a closed sprint: its outcome is read just before the close,
    whose own carry-over events (at exactly `closed_at`) move the unfinished work away."""

    start: datetime | None
    end: datetime
    end_inclusive: bool


def window_of(sprint: Sprint, *, as_of: datetime) -> Window:
    """The sprint's window as of a moment; `start` is None until it has started.

    A sprint that runs without a recorded start (imported) starts at 00:00 of its first day
    in the workspace's zone."""
    if sprint.status == SprintStatus.PLANNED:
        return Window(None, as_of, True)
    started = sprint.started_at or datetime.combine(
        sprint.start_date, time.min, tzinfo=timezones.workspace_zone_of(sprint.workspace_id)
    )
    if as_of < started:
        return Window(None, as_of, True)  # read before it started: still planned then
    if sprint.closed_at is not None and sprint.closed_at <= as_of:
        return Window(started, max(started, sprint.closed_at), False)
    return Window(started, max(started, as_of), True)


def _at_end(history: History, window: Window) -> Moment | None:
    return moment_at(history, window.end, inclusive=window.end_inclusive)


def _inside(window: Window, at: datetime) -> bool:
    assert window.start is not None
    if at <= window.start:
        return False
    return at <= window.end if window.end_inclusive else at < window.end


@dataclass
class Tally:
    """A count of tasks and the sum of their points."""

    count: int = 0
    points: Decimal = ZERO
    task_ids: list[int] = field(default_factory=list)

    def add(self, task_id: int, points: Decimal) -> None:
        self.count += 1
        self.points += points
        self.task_ids.append(task_id)


@dataclass
class SprintScope:
    """Every number of one sprint, as of `as_of` (see the module docstring for each)."""

    sprint_id: int
    name: str
    status: str
    start_date: date
    end_date: date
    started_at: datetime | None
    closed_at: datetime | None
    as_of: datetime
    committed: Tally = field(default_factory=Tally)
    added: Tally = field(default_factory=Tally)
    removed: Tally = field(default_factory=Tally)
    completed: Tally = field(default_factory=Tally)
    open: Tally = field(default_factory=Tally)
    planned: Tally = field(default_factory=Tally)  # in scope now, for a sprint not started

    @property
    def carried_over(self) -> Tally:
        """Unfinished at the close; empty until the sprint is closed."""
        return self.open if self.status == SprintStatus.CLOSED else Tally()

    @property
    def scope(self) -> Tally:
        """In scope at the end: completed and open together."""
        return Tally(
            self.completed.count + self.open.count,
            self.completed.points + self.open.points,
            self.completed.task_ids + self.open.task_ids,
        )

    @property
    def reestimated_points(self) -> Decimal:
        """Net estimate changes of in-sprint work: what makes the points add up."""
        return self.scope.points - self.committed.points - self.added.points + self.removed.points

    def flow(self) -> dict[str, Any]:
        """The JSON shape team metrics store per sprint (numbers as floats)."""
        carried = self.carried_over
        return {
            "sprint_id": self.sprint_id,
            "name": self.name,
            "status": self.status,
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
            "committed_points": float(self.committed.points),
            "committed_count": self.committed.count,
            "completed_points": float(self.completed.points),
            "completed_count": self.completed.count,
            "added_points": float(self.added.points),
            "added_count": self.added.count,
            "added_task_ids": list(self.added.task_ids),
            "removed_points": float(self.removed.points),
            "removed_count": self.removed.count,
            "open_points": float(self.open.points),
            "open_count": self.open.count,
            "carried_points": float(carried.points),
            "carried_count": carried.count,
            "reestimated_points": float(self.reestimated_points),
        }


def _first_entry(history: History, sprint_id: int, window: Window) -> Moment | None:
    return next(
        (m for m in history if _inside(window, m.at) and m.in_scope_of(sprint_id)),
        None,
    )


def _last_in_scope(history: History, sprint_id: int, window: Window) -> Moment | None:
    assert window.start is not None
    found = None
    for moment in history:
        if moment.at > window.end or (moment.at == window.end and not window.end_inclusive):
            break
        if moment.in_scope_of(sprint_id):
            found = moment
    return found


def scope_from_histories(
    sprint: Sprint, histories: Mapping[int, History], *, as_of: datetime
) -> SprintScope:
    """The sprint's numbers from the given task histories (tasks never in it are ignored)."""
    window = window_of(sprint, as_of=as_of)
    scope = SprintScope(
        sprint.pk,
        sprint.name,
        sprint.status,
        sprint.start_date,
        sprint.end_date,
        sprint.started_at,
        sprint.closed_at,
        as_of,
    )
    for task_id, history in sorted(histories.items()):
        if not history:
            continue
        if window.start is None:
            now = moment_at(history, as_of, inclusive=True)
            if now is not None and now.in_scope_of(sprint.pk):
                scope.planned.add(task_id, now.estimate)
            continue
        at_start = moment_at(history, window.start, inclusive=True)
        committed = at_start is not None and at_start.in_scope_of(sprint.pk)
        member = committed
        if committed:
            assert at_start is not None
            scope.committed.add(task_id, at_start.estimate)
        else:
            entry = _first_entry(history, sprint.pk, window)
            if entry is not None:
                scope.added.add(task_id, entry.estimate)
                member = True
        if not member:
            continue
        at_end = _at_end(history, window)
        if at_end is None or not at_end.in_scope_of(sprint.pk):
            last = _last_in_scope(history, sprint.pk, window)
            scope.removed.add(task_id, last.estimate if last else ZERO)
        elif at_end.category == StateCategory.DONE:
            scope.completed.add(task_id, at_end.estimate)
        else:
            scope.open.add(task_id, at_end.estimate)
    return scope


def sprint_scopes(sprints: Sequence[Sprint], *, as_of: datetime) -> list[SprintScope]:
    """The numbers of several sprints with one read of their tasks' history."""
    histories = sprint_histories(sprints)
    return [scope_from_histories(s, touching(histories, s.pk), as_of=as_of) for s in sprints]


def sprint_scope(sprint: Sprint, *, as_of: datetime | None = None) -> SprintScope:
    """The numbers of one sprint as of `as_of` (default: now)."""
    return sprint_scopes([sprint], as_of=as_of or timezone.now())[0]


def sprint_report(
    sprint: Sprint, *, as_of: datetime | None = None
) -> tuple[SprintScope, list[dict[str, Any]]]:
    """One sprint's numbers and its burn days, from one read of its history."""
    as_of = as_of or timezone.now()
    histories = touching(sprint_histories([sprint]), sprint.pk)
    return (
        scope_from_histories(sprint, histories, as_of=as_of),
        burn_days(sprint, histories, as_of=as_of),
    )


def task_keys(scope: SprintScope) -> dict[int, str]:
    """The key of every task a scope names, merged tombstones included (one query)."""
    ids = {
        task_id
        for tally in (scope.committed, scope.added, scope.removed, scope.scope, scope.planned)
        for task_id in tally.task_ids
    }
    rows = Task.all_objects.filter(pk__in=ids).values_list("pk", "team__key", "number")
    return {pk: f"{team_key}-{number}" for pk, team_key, number in rows}


def touching(histories: Mapping[int, History], sprint_id: int) -> dict[int, History]:
    """The histories of the tasks that were ever in the sprint."""
    return {
        task_id: history
        for task_id, history in histories.items()
        if any(m.sprint_id == sprint_id for m in history)
    }


# ---- scope history ----------------------------------------------------------------------


class Change:
    """What a scope change did (the values of `ScopeChange.change`)."""

    ADDED = "added"
    REMOVED = "removed"
    REESTIMATED = "reestimated"
    CARRIED_OVER = "carried_over"


@dataclass(frozen=True)
class ScopeChange:
    """One moment the sprint's scope changed: a task entered or left it, or was re-estimated
    while in it. `after_start` tells planning from mid-sprint change (scope creep)."""

    at: datetime
    task_id: int
    change: str  # a Change value
    kind: str  # the TaskEventKind behind it: created, sprint, state, merged, team, estimate
    points: Decimal  # the task's points then (entering, leaving) or the new estimate
    delta: Decimal  # what the sprint's scope points changed by
    after_start: bool
    actor_id: int | None


def scope_changes_from_histories(
    sprint: Sprint, histories: Mapping[int, History], *, as_of: datetime
) -> list[ScopeChange]:
    """Every change of the sprint's scope up to `as_of`, newest first, by the same rule as its
    numbers (`Moment.in_scope_of`): a task enters when an event puts it in scope and leaves when
    one takes it out (moved, canceled, merged, carried over at the close)."""
    window = window_of(sprint, as_of=as_of)
    found: list[tuple[datetime, int, int, ScopeChange]] = []
    for task_id, history in histories.items():
        previous: Moment | None = None
        for position, moment in enumerate(history):
            if moment.at > as_of:
                break
            was_in = previous is not None and previous.in_scope_of(sprint.pk)
            now_in = moment.in_scope_of(sprint.pk)
            after_start = window.start is not None and moment.at > window.start
            if now_in and not was_in:
                change, points, delta = Change.ADDED, moment.estimate, moment.estimate
            elif was_in and not now_in:
                assert previous is not None
                carried = sprint.closed_at is not None and moment.at == sprint.closed_at
                change = Change.CARRIED_OVER if carried else Change.REMOVED
                points, delta = previous.estimate, -previous.estimate
            elif now_in and previous is not None and moment.estimate != previous.estimate:
                change, points = Change.REESTIMATED, moment.estimate
                delta = moment.estimate - previous.estimate
            else:
                previous = moment
                continue
            scope_change = ScopeChange(
                moment.at, task_id, change, moment.kind, points, delta, after_start, moment.actor_id
            )
            # Events of one instant (a task created and canceled in one request) keep their
            # recorded order: the position in the task's history breaks the tie.
            found.append((moment.at, task_id, position, scope_change))
            previous = moment
    found.sort(key=lambda entry: entry[:3], reverse=True)
    return [entry[3] for entry in found]


def sprint_scope_changes(sprint: Sprint, *, as_of: datetime | None = None) -> list[ScopeChange]:
    """The sprint's scope history, newest first, from one read of its tasks' history."""
    histories = touching(sprint_histories([sprint]), sprint.pk)
    return scope_changes_from_histories(sprint, histories, as_of=as_of or timezone.now())


# ---- burndown and burnup --------------------------------------------------------------------


def burn_days(
    sprint: Sprint, histories: Mapping[int, History], *, as_of: datetime
) -> list[dict[str, Any]]:
    """Scope and done points at the end of each sprint day so far: burndown and burnup.

    Days are the workspace's calendar days (its time zone), each read at its last instant
    there. The last day is read at the window's end, so its scope, done and remaining points
    are the sprint's scope, completed and open (carried-over) points exactly."""
    window = window_of(sprint, as_of=as_of)
    if window.start is None:
        return []
    zone = timezones.workspace_zone_of(sprint.workspace_id)
    first = min(sprint.start_date, timezone.localtime(window.start, zone).date())
    last = max(first, timezone.localtime(window.end, zone).date())
    days = []
    day = first
    while day <= last:
        cut = min(datetime.combine(day, time.max, tzinfo=zone), window.end)
        inclusive = cut < window.end or window.end_inclusive
        scope = done = ZERO
        for history in histories.values():
            moment = moment_at(history, cut, inclusive=inclusive)
            if moment is None or not moment.in_scope_of(sprint.pk):
                continue
            scope += moment.estimate
            if moment.category == StateCategory.DONE:
                done += moment.estimate
        days.append(
            {
                "day": day.isoformat(),
                "scope": float(scope),
                "done": float(done),
                "remaining": float(scope - done),
            }
        )
        day += timedelta(days=1)
    return days
