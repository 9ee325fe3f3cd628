"""History that happened in another tracker, kept as ours: closed sprints with their dates and
the status and sprint changes of imported tasks, back-dated.

Burndown, velocity and cycle time are replayed from `TaskEvent` history (tasks.sprint_scope),
never from a sprint's current membership, so an import that only created today's tasks would
show every team with no past. These two services write that past, admins only, for importers:
nothing is published (history arriving in bulk must notify no one), and every moment must lie
before the import itself, so the task's own "created" event stays its latest word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors
from alignment.guards import ensure_same_workspace, require_admin
from alignment.models import Membership, Team
from tasks.models import Sprint, SprintStatus, StateCategory, Task, TaskEvent, TaskEventKind
from tasks.services.sprints import _clean_sprint


@dataclass(frozen=True)
class PastMoment:
    """The task just after one change in the other tracker: when, its state's category and
    name there, and the sprint it was in (None: the backlog)."""

    at: datetime
    category: str
    state_name: str
    sprint: Sprint | None


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sprint_import_closed(
    *,
    actor: Membership,
    team: Team,
    name: str,
    start_date: date,
    end_date: date,
    closed_at: datetime,
    goal: str = "",
) -> Sprint:
    """A sprint that ran and closed elsewhere: closed here, with its dates, so its tasks'
    history (task_history_import) counts in the team's velocity."""
    require_admin(actor)
    ensure_same_workspace(actor, team)
    started_at = start_of(start_date)
    if closed_at > timezone.now():
        raise FieldErrors({"closed_at": "A closed sprint cannot close in the future."})
    sprint = Sprint(
        workspace_id=actor.workspace_id,
        team=team,
        name=name,
        goal=goal,
        start_date=start_date,
        end_date=end_date,
        status=SprintStatus.CLOSED,
        started_at=started_at,
        closed_at=max(closed_at, started_at),
    )
    _clean_sprint(sprint)
    try:
        with transaction.atomic():
            sprint.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "This team already has a sprint with that name."}) from exc
    audit_by(
        actor,
        verb="sprint.imported",
        obj=sprint,
        after={"name": sprint.name, "start": str(start_date), "end": str(end_date)},
    )
    return sprint


class _PastReplay:
    """Turns the kept moments into history rows: the first is the task's creation, later ones
    a sprint or state change (a moment that changes neither writes nothing)."""

    def __init__(self, task: Task, via: str) -> None:
        self.task = task
        self.via = via
        self.events: list[TaskEvent] = []
        self.sprint_id: int | None = None
        self.category = ""
        self.previous: dict[str, str] = {}
        self.started: datetime | None = None
        self.completed: datetime | None = None

    def _change(
        self, moment: PastMoment, state: dict[str, str]
    ) -> tuple[str, dict[str, Any] | None, dict[str, Any]] | None:
        """The event kind with its before and after, or None when nothing changed."""
        moment_sprint = moment.sprint.pk if moment.sprint else None
        if not self.events:
            return TaskEventKind.CREATED, None, {"state": state, "sprint": moment_sprint}
        if moment_sprint != self.sprint_id:
            return TaskEventKind.SPRINT, {"sprint": self.sprint_id}, {"sprint": moment_sprint}
        if moment.category != self.category:
            return TaskEventKind.STATE, {"state": self.previous}, {"state": state}
        return None

    def add(self, moment: PastMoment) -> None:
        # The history page names the state: the other tracker's name, else our category's.
        name = moment.state_name or StateCategory(moment.category).label
        state = {"name": name, "category": moment.category}
        change = self._change(moment, state)
        if change is None:
            return
        kind, before, after = change
        after["via"] = self.via
        self.sprint_id = moment.sprint.pk if moment.sprint else None
        self.category = moment.category
        self.previous = state
        if self.category in (StateCategory.STARTED, StateCategory.DONE) and self.started is None:
            self.started = moment.at
        self.completed = moment.at if self.category == StateCategory.DONE else None
        self.events.append(
            TaskEvent(
                workspace_id=self.task.workspace_id,
                task=self.task,
                actor=None,
                kind=kind,
                before=before,
                after=after,
                sprint_id=self.sprint_id,
                estimate=self.task.estimate,
                state_category=self.category,
                created_at=moment.at,
            )
        )


def _task_changes(
    task: Task, replay: _PastReplay, floor: datetime | None, closed_sprint: Sprint | None
) -> dict[str, object]:
    """The task's created/started/completed times from its past, and its closed sprint."""
    changes: dict[str, object] = {}
    if floor is not None:
        changes["created_at"] = floor
    elif replay.events:
        changes["created_at"] = replay.events[0].created_at
    if replay.started is not None and task.state_category in (
        StateCategory.STARTED,
        StateCategory.DONE,
    ):
        changes["started_at"] = replay.started
    if replay.completed is not None and task.state_category == StateCategory.DONE:
        changes["completed_at"] = replay.completed
    if closed_sprint is not None and closed_sprint.team_id == task.team_id:
        changes["sprint"] = closed_sprint
    return changes


def task_history_import(
    *,
    actor: Membership,
    task: Task,
    moments: Sequence[PastMoment],
    created_at: datetime | None = None,
    closed_sprint: Sprint | None = None,
    via: str = "import",
) -> int:
    """Write the task's past as history rows, dated as they happened; the number written.

    `moments` are kept when they lie after `created_at` and before the task's own "created"
    event (the import). The task's created/started/completed times follow that past, so
    cycle and lead time are the other tracker's. `closed_sprint`: the closed sprint a finished
    task was finished in, which it stays in (as a sprint close leaves done work)."""
    require_admin(actor)
    ensure_same_workspace(actor, task, closed_sprint, *[m.sprint for m in moments if m.sprint])
    imported_at = (
        TaskEvent.objects.filter(task=task, kind=TaskEventKind.CREATED)
        .values_list("created_at", flat=True)
        .first()
    ) or timezone.now()
    floor = created_at if created_at is not None and created_at < imported_at else None
    kept = sorted(
        (m for m in moments if m.at < imported_at and (floor is None or m.at >= floor)),
        key=lambda m: m.at,
    )
    replay = _PastReplay(task, via)
    for moment in kept:
        replay.add(moment)
    TaskEvent.objects.bulk_create(replay.events)
    changes = _task_changes(task, replay, floor, closed_sprint)
    if changes:
        Task.objects.filter(pk=task.pk).update(**changes)
        for name, value in changes.items():
            setattr(task, name, value)
    if closed_sprint is not None and "sprint" in changes:
        # The import's own "created" row said "no sprint"; the task's latest word is this one.
        TaskEvent.objects.filter(
            task=task, kind=TaskEventKind.CREATED, created_at=imported_at
        ).update(sprint=closed_sprint)
    return len(replay.events)
