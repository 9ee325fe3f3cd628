"""Creating and changing tasks: keys, fields, states, ranks, teams. One transaction each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors
from alignment.events import publish_on_commit
from alignment.models import Membership, Team, User
from roadmaps.models import RoadmapItem
from roadmaps.services import ensure_same_workspace
from roadmaps.versioning import save_versioned
from tasks import ranking
from tasks.errors import SprintClosed, SprintOfAnotherTeam, TransitionNotAllowed
from tasks.events import TaskChanged, TaskCreated
from tasks.markdown import render_markdown
from tasks.models import (
    Label,
    Priority,
    Sprint,
    SprintStatus,
    StateCategory,
    Task,
    TaskAlias,
    TaskCounter,
    TaskEvent,
    TaskEventKind,
    TaskLabel,
    WorkflowState,
)
from tasks.services.rules import (
    UNSET,
    clean_estimate,
    clean_title,
    ensure_workspace_user,
    require_member,
)

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


def next_number(team: Team) -> int:
    """The team's next task number. The UPDATE locks the counter row until commit, so
    concurrent creators queue up: no duplicates, and a rollback gives the number back."""
    counter, _ = TaskCounter.objects.get_or_create(
        team=team, defaults={"workspace_id": team.workspace_id}
    )
    TaskCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
    return (
        TaskCounter.objects.select_for_update()
        .values_list("last_number", flat=True)
        .get(pk=counter.pk)
    )


def reserve_numbers(team: Team, *, through: int) -> None:
    """Move the team's counter to at least `through`, so `next_number` never hands out a
    number an import is about to keep (Jira's WEB-40 stays WEB-40)."""
    counter, _ = TaskCounter.objects.get_or_create(
        team=team, defaults={"workspace_id": team.workspace_id}
    )
    TaskCounter.objects.filter(pk=counter.pk).update(
        last_number=Greatest(F("last_number"), Value(through))
    )


def _claim_number(team: Team, number: int) -> int:
    """`number` for a task that keeps its key from another tracker: refused when a task, a
    merged tombstone or an old key (TaskAlias) of this team already has it."""
    taken = (
        Task.all_objects.filter(team=team, number=number).exists()
        or TaskAlias.objects.filter(team=team, number=number).exists()
    )
    if number < 1 or taken:
        raise FieldErrors({"number": f"{team.key}-{number} is taken."})
    reserve_numbers(team, through=number)
    return number


def last_rank(team: Team) -> str | None:
    return Task.objects.filter(team=team).order_by("-rank").values_list("rank", flat=True).first()


def default_state(team: Team, *, in_sprint: bool) -> WorkflowState:
    states = list(WorkflowState.objects.filter(team=team).order_by("position", "pk"))
    if not states:
        raise FieldErrors({"state": f"{team.name} has no workflow states; an admin adds them."})
    wanted = StateCategory.UNSTARTED if in_sprint else StateCategory.BACKLOG
    for state in states:
        if state.category == wanted:
            return state
    for state in states:
        if state.category in (StateCategory.BACKLOG, StateCategory.UNSTARTED):
            return state
    return states[0]


def _check_state(task: Task, state: WorkflowState) -> None:
    if state.team_id != task.team_id:
        raise TransitionNotAllowed(task=task.key, state=state.name)


def _check_sprint(task: Task, sprint: Sprint | None) -> None:
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


def _clean_labels(actor: Membership, labels: Iterable[Label]) -> list[Label]:
    labels = list(labels)
    ensure_same_workspace(actor, *labels, what="That label")
    return labels


def publish_change(
    actor: Membership, task: Task, fields: Sequence[str], item_ids: Iterable[int | None]
) -> None:
    publish_on_commit(
        TaskChanged(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            fields=tuple(fields),
            roadmap_item_ids=tuple(sorted({i for i in item_ids if i is not None})),
            actor_id=actor.user_id,
        )
    )


@transaction.atomic
def task_create(
    *,
    actor: Membership,
    team: Team,
    title: str,
    description: str = "",
    state: WorkflowState | None = None,
    assignee: User | None = None,
    estimate: Decimal | int | float | str | None = None,
    priority: int = Priority.NONE,
    labels: Iterable[Label] = (),
    due_date: date | None = None,
    roadmap_item: RoadmapItem | None = None,
    sprint: Sprint | None = None,
    parent: Task | None = None,
    number: int | None = None,
) -> Task:
    """Create a task with the team's next key (TEAM-123), appended to the end of its order.

    `number` keeps a key from another tracker (imports): it must be free in the team."""
    require_member(actor)
    ensure_same_workspace(actor, team, roadmap_item, sprint, parent, state)
    ensure_workspace_user(actor, assignee)
    label_list = _clean_labels(actor, labels)
    if priority not in Priority.values:
        raise FieldErrors({"priority": "Use 0 (none) to 4 (low)."})
    task = Task(
        workspace_id=actor.workspace_id,
        team=team,
        title=clean_title(title),
        description=description or "",
        description_html=render_markdown(description or ""),
        assignee=assignee,
        estimate=clean_estimate(estimate),
        priority=priority,
        due_date=due_date,
        roadmap_item=roadmap_item,
        sprint=sprint,
        parent=parent,
        created_by=actor.user,
    )
    _check_sprint(task, sprint)
    chosen = state or default_state(team, in_sprint=sprint is not None)
    _check_state(task, chosen)
    now = timezone.now()
    set_state_times(task, chosen, now)
    task.number = next_number(team) if number is None else _claim_number(team, number)
    # After the counter lock: a concurrent creator in this team has committed its rank.
    task.rank = ranking.key_between(last_rank(team), None)
    task.save()
    if label_list:
        TaskLabel.objects.bulk_create(
            TaskLabel(workspace_id=task.workspace_id, task=task, label=label)
            for label in label_list
        )
    record_event(
        task,
        actor=actor,
        kind=TaskEventKind.CREATED,
        after={
            "state": tracked_value("state", chosen),
            "sprint": task.sprint_id,
            "estimate": _value(task.estimate),
            "assignee": task.assignee_id,
        },
        at=now,
    ).save()
    audit_by(
        actor,
        verb="task.created",
        obj=task,
        after={"key": task.key, "title": task.title},
    )
    publish_on_commit(
        TaskCreated(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            roadmap_item_id=task.roadmap_item_id,
            actor_id=actor.user_id,
        )
    )
    return task


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
    ensure_same_workspace(actor, task)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise FieldErrors(dict.fromkeys(unknown, "This field cannot be changed here."))
    related = [changes.get(n) for n in ("state", "roadmap_item", "sprint", "parent")]
    ensure_same_workspace(actor, *[r for r in related if r is not None])
    if "assignee" in changes:
        ensure_workspace_user(actor, changes["assignee"])
    if "title" in changes:
        changes["title"] = clean_title(changes["title"])
    if "estimate" in changes:
        changes["estimate"] = clean_estimate(changes["estimate"])
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise FieldErrors({"priority": "Use 0 (none) to 4 (low)."})
    if "description" in changes:
        changes["description"] = changes["description"] or ""
    if changes.get("state") is not None:
        _check_state(task, changes["state"])
    elif "state" in changes:
        raise FieldErrors({"state": "A task always has a state."})
    if "sprint" in changes:
        _check_sprint(task, changes["sprint"])
    if "parent" in changes:
        _check_parent(task, changes["parent"])
    if "rank" in changes:
        ranking.validate_key(changes["rank"])

    item_before = task.roadmap_item_id
    changed: list[str] = []
    events: list[tuple[str, Any, Any]] = []
    now = timezone.now()
    write_fields: set[str] = set()
    for name, value in changes.items():
        old = getattr(task, name)
        if _value(old) == _value(value):
            continue
        changed.append(name)
        if name in TRACKED:
            events.append((name, tracked_value(name, old), tracked_value(name, value)))
        if name == "state":
            set_state_times(task, value, now)
            write_fields |= {"state_id", "state_category", "started_at", "completed_at"}
        elif name == "description":
            task.description = value
            task.description_html = render_markdown(value)
            write_fields |= {"description", "description_html"}
        else:
            setattr(task, name, value)
            write_fields.add(Task._meta.get_field(name).attname)  # type: ignore[union-attr]
    if labels is not None:
        label_list = _clean_labels(actor, labels)
        current = set(TaskLabel.objects.filter(task=task).values_list("label_id", flat=True))
        wanted = {label.pk for label in label_list}
        if current != wanted:
            changed.append("labels")
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
        fields=sorted(write_fields),
        label=task_label(task),
    )
    if labels is not None and "labels" in changed:
        TaskLabel.objects.filter(task=task).exclude(label_id__in=wanted).delete()
        TaskLabel.objects.bulk_create(
            [
                TaskLabel(workspace_id=task.workspace_id, task=task, label_id=label_id)
                for label_id in wanted - current
            ],
            ignore_conflicts=True,
        )
    if events:
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
    audit_by(
        actor,
        verb="task.updated",
        obj=task,
        after={"key": task.key, "fields": changed},
    )
    publish_change(actor, task, changed, [item_before, task.roadmap_item_id])
    return changed


@transaction.atomic
def task_update(
    *,
    actor: Membership,
    task: Task,
    expected_version: int | None = None,
    labels: Iterable[Label] | None = None,
    **changes: Any,
) -> Task:
    """Change any editable fields of a task; a stale `expected_version` is refused (409)."""
    require_member(actor)
    apply_changes(
        actor=actor, task=task, changes=changes, expected_version=expected_version, labels=labels
    )
    return task


@transaction.atomic
def task_transition(
    *,
    actor: Membership,
    task: Task,
    to_state: WorkflowState,
    expected_version: int | None = None,
    via: str = "",
) -> Task:
    """Move a task to another column of its own team's workflow.

    `via` names what made the move when it was not the person's own click (an integration:
    "GitHub pull_request closed"); the history shows it next to the change.
    """
    require_member(actor)
    apply_changes(
        actor=actor,
        task=task,
        changes={"state": to_state},
        expected_version=expected_version,
        extra_after={"via": via[:120]} if via else None,
    )
    return task


def rank_between(task: Task, after: Task | None, before: Task | None) -> str:
    """A rank that puts `task` after `after` and before `before` (either may be None).

    Neighbours with equal or crossed ranks (two people dropped into the same gap at once)
    do not fail the move: the card goes just after `after`, before the next distinct rank.
    """
    low = after.rank if after is not None else None
    high = before.rank if before is not None else None
    if low is not None and high is not None and low >= high:
        high = (
            Task.objects.filter(team_id=task.team_id, rank__gt=low)
            .exclude(pk=task.pk)
            .order_by("rank")
            .values_list("rank", flat=True)
            .first()
        )
    return ranking.key_between(low, high)


@transaction.atomic
def task_move(
    *,
    actor: Membership,
    task: Task,
    expected_version: int | None,
    after: Task | None = None,
    before: Task | None = None,
    state: WorkflowState | None = UNSET,
    sprint: Sprint | None = UNSET,
) -> Task:
    """Drop a card between two neighbours, optionally into another column or sprint.

    Only the moved task is written (a new rank between its neighbours): no renumbering.
    """
    require_member(actor)
    ensure_same_workspace(actor, after, before, what="The neighbouring task")
    for neighbour in (after, before):
        if neighbour is not None and neighbour.pk == task.pk:
            raise FieldErrors({"after": "A task cannot be its own neighbour."})
    changes: dict[str, Any] = {"rank": rank_between(task, after, before)}
    if state is not UNSET:
        changes["state"] = state
    if sprint is not UNSET:
        changes["sprint"] = sprint
    apply_changes(actor=actor, task=task, changes=changes, expected_version=expected_version)
    return task


@transaction.atomic
def task_assign(
    *,
    actor: Membership,
    task: Task,
    assignee: User | None,
    expected_version: int | None = None,
) -> Task:
    """Give the task to a workspace member, or to nobody."""
    require_member(actor)
    apply_changes(
        actor=actor, task=task, changes={"assignee": assignee}, expected_version=expected_version
    )
    return task
