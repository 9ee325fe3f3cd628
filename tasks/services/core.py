"""Creating tasks (keys, first state, rank) and the named edits: update, transition, move,
assign. One transaction each; every edit goes through `tasks.services.changes.apply_changes`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from alignment.guards import ensure_same_workspace, require_member
from alignment.models import Membership, Team, User
from roadmaps.models import RoadmapItem
from tasks import custom_values, gates, ranking
from tasks.events import TaskCreated
from tasks.markdown import render_markdown
from tasks.models import (
    Label,
    Priority,
    Sprint,
    StateCategory,
    Task,
    TaskAlias,
    TaskCounter,
    TaskEventKind,
    TaskLabel,
    WorkflowState,
)
from tasks.services.changes import (
    apply_changes,
    check_sprint,
    check_state,
    clean_labels,
    record_event,
    set_state_times,
    tracked_value,
)
from tasks.services.rules import UNSET, clean_estimate, clean_title, ensure_workspace_user


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
    gated: bool = True,
    custom_fields: Mapping[Any, Any] | None = None,
) -> Task:
    """Create a task with the team's next key (TEAM-123), appended to the end of its order.

    `number` keeps a key from another tracker (imports): it must be free in the team. A task
    created straight into a gated state must meet its standards like a moved one (`gated`);
    importers pass `gated=False`: they copy history that happened elsewhere. `custom_fields`
    (field name or id → value) are checked like a task's PATCH: one that does not fit
    refuses the whole creation."""
    require_member(actor)
    ensure_same_workspace(actor, team, roadmap_item, sprint, parent, state)
    ensure_workspace_user(actor, assignee)
    label_list = clean_labels(actor, labels)
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
    check_sprint(task, sprint)
    chosen = state or default_state(team, in_sprint=sprint is not None)
    check_state(task, chosen)
    now = timezone.now()
    set_state_times(task, chosen, now)
    task.number = next_number(team) if number is None else _claim_number(team, number)
    # After the counter lock: a concurrent creator in this team has committed its rank.
    task.rank = ranking.key_between(last_rank(team), None)
    task.save()
    if gated:
        # After the save (the record of a met standard names the task); a refusal rolls the
        # whole creation back, number included.
        gates.check_entry(
            task, gates.Entry(state=chosen, from_category=None, from_team_id=None, actor=actor)
        )
    if label_list:
        TaskLabel.objects.bulk_create(
            TaskLabel(workspace_id=task.workspace_id, task=task, label=label)
            for label in label_list
        )
    # Before TaskCreated is published: its in-transaction subscribers (webhook bodies) read
    # the new task's values.
    first_values = custom_values.write_new(actor, task, custom_fields) if custom_fields else {}
    record_event(
        task,
        actor=actor,
        kind=TaskEventKind.CREATED,
        after={
            "state": tracked_value("state", chosen),
            "sprint": task.sprint_id,
            "estimate": tracked_value("estimate", task.estimate),
            "assignee": task.assignee_id,
        },
        at=now,
    ).save()
    audit_by(
        actor,
        verb="task.created",
        obj=task,
        after={
            "key": task.key,
            "title": task.title,
            **({"custom_fields": first_values} if first_values else {}),
        },
    )
    publish_on_commit(
        TaskCreated(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            roadmap_item_id=task.roadmap_item_id,
            actor_id=actor.user_id,
            assignee_id=task.assignee_id,
        )
    )
    return task


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
