"""The demo's task history: events in time order, consistent with the sprints' dates.

Every task's events follow its life: created, planned into a sprint before it starts (or
created directly in a running sprint: added after start), started, done or canceled inside the
sprint, carried over at a close to the next sprint. No event is later than `now`, none is
before the task exists, nothing is done before it started. `tasks.sprint_scope` replays these
rows, so the demo's sprint close, team metrics and burn charts agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from tasks.models import (
    Sprint,
    SprintCarryOver,
    SprintStatus,
    StateCategory,
    Task,
    TaskEvent,
    TaskEventKind,
    WorkflowState,
)

ESTIMATES = [1, 2, 3, 5, 8]


@dataclass(frozen=True)
class Origin:
    """How a task came into its sprint: planned before the start (neither flag), carried over
    from `carried_from` at its close, or created in the sprint after it started."""

    carried_from: Sprint | None = None
    added_after_start: bool = False


def at(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock on `day`, in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def sprint_start(sprint: Sprint) -> datetime:
    """When the sprint started, or will (09:00 on its first day)."""
    return sprint.started_at or at(sprint.start_date, 9)


def sprint_cap(sprint: Sprint, now: datetime) -> datetime:
    """The latest moment work can happen in the sprint: an hour before its close, or now."""
    if sprint.status == SprintStatus.CLOSED and sprint.closed_at is not None:
        return sprint.closed_at - timedelta(hours=1)
    return now


def _between(low: datetime, high: datetime, rng: random.Random, *, upto: float = 1.0) -> datetime:
    """A moment strictly inside (low, high), or `low` itself when there is no room."""
    if high <= low:
        return low
    share = rng.uniform(0.05, 0.95) * upto
    return low + (high - low) * share


class HistoryWriter:
    """Builds one task's events; keeps the task's current values as it goes."""

    def __init__(self, task: Task, states: dict[str, WorkflowState]) -> None:
        self.task = task
        self.states = states
        self.events: list[TaskEvent] = []
        self.category: str = StateCategory.BACKLOG
        self.sprint_id: int | None = None
        self.estimate: Decimal | None = task.estimate

    def state(self, category: str) -> dict[str, object] | None:
        # The same shape task services record, so history pages can name the column.
        found = self.states.get(category)
        return {"id": found.pk, "name": found.name, "category": category} if found else None

    def add(self, kind: str, at: datetime, before: object, after: object) -> None:
        self.events.append(
            TaskEvent(
                workspace_id=self.task.workspace_id,
                task=self.task,
                actor=self.task.assignee,
                kind=kind,
                before=before,
                after=after,
                sprint_id=self.sprint_id,
                estimate=self.estimate,
                state_category=self.category,
                created_at=at,
            )
        )

    def created(self, at: datetime, *, sprint: Sprint | None) -> None:
        self.sprint_id = sprint.pk if sprint else None
        self.category = StateCategory.UNSTARTED if sprint else StateCategory.BACKLOG
        self.task.created_at = at
        self.add(
            TaskEventKind.CREATED,
            at,
            None,
            {"state": self.state(self.category), "sprint": self.sprint_id},
        )

    def move(self, at: datetime, sprint: Sprint, *, carried: bool = False) -> None:
        before = {"sprint": self.sprint_id}
        self.sprint_id = sprint.pk
        if self.category == StateCategory.BACKLOG:
            self.category = StateCategory.UNSTARTED
        after: dict[str, object] = {"sprint": sprint.pk}
        if carried:
            after["carried_over"] = True
        self.add(TaskEventKind.SPRINT, at, before, after)

    def to_state(self, at: datetime, category: str) -> None:
        before = {"state": self.state(self.category)}
        self.category = category
        if category == StateCategory.STARTED and self.task.started_at is None:
            self.task.started_at = at
        if category == StateCategory.DONE:
            self.task.completed_at = at
        self.add(TaskEventKind.STATE, at, before, {"state": self.state(category)})

    def re_estimate(self, at: datetime, estimate: Decimal) -> None:
        before = {"estimate": str(self.estimate) if self.estimate is not None else None}
        self.estimate = estimate
        self.add(TaskEventKind.ESTIMATE, at, before, {"estimate": str(estimate)})


def task_history(
    task: Task,
    states: dict[str, WorkflowState],
    origin: Origin,
    carry: list[SprintCarryOver],
    *,
    now: datetime,
    rng: random.Random,
) -> list[TaskEvent]:
    """The events of one task, ending in its current sprint, state and estimate."""
    writer = HistoryWriter(task, states)
    sprint = task.sprint
    final = task.state_category
    task.started_at = task.completed_at = None
    if sprint is None:
        writer.created(min(task.created_at, now - timedelta(hours=1)), sprint=None)
        return writer.events
    start, cap = sprint_start(sprint), sprint_cap(sprint, now)
    running = sprint.status != SprintStatus.PLANNED
    if origin.carried_from is not None:
        entered = _carried_in(writer, origin.carried_from, sprint, final, carry, now=now, rng=rng)
    elif origin.added_after_start and running:
        entered = _between(start, cap, rng, upto=0.5)
        writer.created(entered, sprint=sprint)
    else:
        entered = _plan(writer, sprint, now, rng)
    if not running:
        return writer.events
    low = _maybe_re_estimate(writer, origin, sprint, max(entered, start), cap, rng)
    _work_towards(writer, final, low, cap, rng)
    return writer.events


def _carried_in(
    writer: HistoryWriter,
    previous: Sprint,
    sprint: Sprint,
    final: str,
    carry: list[SprintCarryOver],
    *,
    now: datetime,
    rng: random.Random,
) -> datetime:
    """Planned into `previous`, maybe started there, carried over to `sprint` at its close."""
    task = writer.task
    assert previous.closed_at is not None
    _plan(writer, previous, now, rng)
    if final in (StateCategory.STARTED, StateCategory.DONE) and rng.random() < 0.6:
        writer.to_state(_between(sprint_start(previous), sprint_cap(previous, now), rng), "started")
    carry.append(
        SprintCarryOver(
            workspace_id=task.workspace_id,
            from_sprint=previous,
            to_sprint=sprint,
            task=task,
            estimate=writer.estimate,
            state_category=writer.category,
            created_at=previous.closed_at,
        )
    )
    writer.move(previous.closed_at, sprint, carried=True)
    return previous.closed_at


def _maybe_re_estimate(
    writer: HistoryWriter,
    origin: Origin,
    sprint: Sprint,
    low: datetime,
    cap: datetime,
    rng: random.Random,
) -> datetime:
    """Some planned tasks of the active sprint were re-estimated during it: committed at the
    old estimate. Returns the moment later events follow."""
    task = writer.task
    if (
        task.estimate is None
        or origin.added_after_start
        or origin.carried_from is not None
        or sprint.status != SprintStatus.ACTIVE
        or rng.random() >= 0.08
    ):
        return low
    first = writer.events[0]
    old = Decimal(rng.choice([e for e in ESTIMATES if Decimal(e) != task.estimate]))
    for event in writer.events:
        event.estimate = old
    writer.estimate = old
    low = _between(low, cap, rng, upto=0.3)
    writer.re_estimate(low, task.estimate)
    assert first.created_at <= low
    return low


def _work_towards(
    writer: HistoryWriter, final: str, low: datetime, cap: datetime, rng: random.Random
) -> None:
    """Start, finish or cancel the task inside the sprint, after `low`, to reach `final`."""
    if final in (StateCategory.STARTED, StateCategory.DONE):
        if writer.category != StateCategory.STARTED:
            low = _between(low, cap, rng, upto=0.6)
            writer.to_state(low, StateCategory.STARTED)
        if final == StateCategory.DONE:
            writer.to_state(_between(low, cap, rng), StateCategory.DONE)
    elif final == StateCategory.CANCELED:
        writer.to_state(_between(low, cap, rng), StateCategory.CANCELED)


def _plan(writer: HistoryWriter, sprint: Sprint, now: datetime, rng: random.Random) -> datetime:
    """Created in the backlog, then planned into `sprint` before it starts (never after now)."""
    start = sprint_start(sprint)
    planned = min(start, now) - timedelta(hours=rng.randint(1, 24))
    writer.created(planned - timedelta(hours=rng.randint(1, 216)), sprint=None)
    writer.move(planned, sprint)
    return planned
