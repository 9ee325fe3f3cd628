"""Reads for pages and the API, shaped once per page: a fixed number of queries each.

Every selector takes the workspace first and never returns another workspace's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from alignment.http import WorkspaceRequest
from alignment.models import Membership, TeamKeyAlias, User, Workspace
from okrs.models import Objective
from roadmaps.models import KeyResultLink
from tasks.alignment_line import AlignmentLine, alignment_line
from tasks.models import (
    Label,
    Sprint,
    SprintCapacity,
    StateCategory,
    Task,
    TaskAlias,
    TaskComment,
    TaskDependency,
    TaskEvent,
    TaskKeyAlias,
    TaskLabel,
    TaskQuerySet,
    parse_key,
)


def tasks_shaped(workspace: Workspace, *, viewer: Membership | None = None) -> TaskQuerySet:
    """Tasks of the workspace with every FK a list shows, and their labels, in 3 queries;
    with a `viewer`, only those they may see (visible_to: private teams, guests)."""
    tasks = Task.objects.visible_to(viewer) if viewer else Task.objects.for_workspace(workspace)
    return tasks.select_related(
        "team", "state", "assignee", "sprint", "roadmap_item"
    ).prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))


class TaskFilters(TypedDict, total=False):
    """The board and backlog filters, each an id or None (see filter_tasks); `where` is what
    the filter box's search qualifiers select (`cf:"Customer=Acme" label:bug`)."""

    where: Q | None
    assignee: int | None
    label: int | None
    key_result: int | None
    objective: int | None


def filter_tasks(
    qs: QuerySet[Task],
    *,
    where: Q | None = None,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
) -> QuerySet[Task]:
    """The board and backlog filters (ids), shared with the API's FilterSet.

    Each filter is a subquery on the task's own columns, never a join: a task appears once
    (no DISTINCT), so the board's per-column windows and keyset pages count rows truly."""
    if where is not None:
        qs = qs.filter(where)
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    if label is not None:
        qs = qs.filter(pk__in=TaskLabel.objects.filter(label_id=label).values("task_id"))
    if key_result is not None:
        qs = qs.filter(
            roadmap_item_id__in=KeyResultLink.objects.filter(key_result_id=key_result).values(
                "item_id"
            )
        )
    if objective is not None:
        qs = qs.filter(
            roadmap_item_id__in=KeyResultLink.objects.filter(
                key_result__objective_id=objective
            ).values("item_id")
        )
    return qs


def task_by_key(
    workspace: Workspace,
    key: str,
    *,
    viewer: Membership | None = None,
    rows: QuerySet[Task] | None = None,
) -> Task | None:
    """The task with this key now, or the task an old key (move, merge) leads to. With a
    `viewer`, only a task they may see (private teams, guests); without, any (integrations).
    `rows`: the tasks to look in, already scoped to the viewer (an API view's shaped rows,
    so the task it answers with is read once); default: with their team and state."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    team_key, number = parsed
    if rows is None:
        tasks = Task.objects.visible_to(viewer) if viewer else Task.objects.for_workspace(workspace)
        rows = tasks.select_related("team", "state")
    base = rows.filter(workspace_id=workspace.pk)
    task = base.filter(team__key=team_key, number=number).first()
    if task is not None:
        return task
    aliases = TaskAlias.objects.for_workspace(workspace).values_list("task_id", flat=True)
    alias = aliases.filter(team__key=team_key, number=number).first()
    if alias is not None:
        return base.filter(pk=alias).first()
    # A key from before the team's key changed (ENG-12 after ENG became PLAT).
    renamed_team = (
        TeamKeyAlias.objects.for_workspace(workspace)
        .filter(key=team_key)
        .values_list("team_id", flat=True)
        .first()
    )
    if renamed_team is not None:
        task = base.filter(team_id=renamed_team, number=number).first()
        if task is not None:
            return task
        alias = aliases.filter(team_id=renamed_team, number=number).first()
        if alias is not None:
            return base.filter(pk=alias).first()
    # A key from another tracker (Jira's WEB-2 imported as ENG-7); team keys above win.
    imported = (
        TaskKeyAlias.objects.for_workspace(workspace)
        .filter(key=f"{team_key}-{number}")
        .values_list("task_id", flat=True)
        .first()
    )
    return None if imported is None else base.filter(pk=imported).first()


def get_task(request: WorkspaceRequest, key: str) -> Task:
    """The task with this key (or an old key of it) that the member may see, else 404: the one
    lookup every page that takes a task key from its URL uses (the task pages, custom values)."""
    task = task_by_key(request.workspace, key, viewer=request.membership)
    if task is None:
        raise Http404("No such task in this workspace.")
    return task


# ---- dependencies -------------------------------------------------------------------------


def schedule_conflicts(workspace: Workspace, task_ids: Iterable[int]) -> dict[int, list[str]]:
    """Tasks whose sprint ends before the sprint of a task they depend on, flagged on both
    sides: task id → keys of the other task of each conflicting pair (one query)."""
    ids = list(task_ids)
    rows = (
        TaskDependency.objects.for_workspace(workspace)
        .filter(Q(blocked_id__in=ids) | Q(blocking_id__in=ids))
        .filter(
            blocked__sprint__isnull=False,
            blocking__sprint__isnull=False,
            blocked__sprint__end_date__lt=F("blocking__sprint__end_date"),
        )
        .values_list(
            "blocked_id",
            "blocked__team__key",
            "blocked__number",
            "blocking_id",
            "blocking__team__key",
            "blocking__number",
        )
    )
    result: dict[int, list[str]] = defaultdict(list)
    for blocked_id, blocked_team, blocked_no, blocking_id, blocking_team, blocking_no in rows:
        result[blocked_id].append(f"{blocking_team}-{blocking_no}")
        result[blocking_id].append(f"{blocked_team}-{blocked_no}")
    return dict(result)


# ---- planning ---------------------------------------------------------------------------


@dataclass
class PersonLoad:
    user: User | None
    capacity: Decimal | None
    committed: Decimal
    tasks: int

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.committed > self.capacity


def sprint_planning(workspace: Workspace, sprint: Sprint) -> list[PersonLoad]:
    """Capacity vs committed points per person in a sprint (2 queries); unassigned last."""
    committed = (
        Task.objects.for_workspace(workspace)
        .filter(sprint=sprint)
        .exclude(state_category=StateCategory.CANCELED)
        .values("assignee_id")
        .annotate(points=Sum("estimate"), count=Count("pk"))
    )
    capacities = {
        c.user_id: c
        for c in SprintCapacity.objects.for_workspace(workspace)
        .filter(sprint=sprint)
        .select_related("user")
    }
    users = {c.user_id: c.user for c in capacities.values()}
    loads: dict[int | None, PersonLoad] = {}
    rows = list(committed)
    missing = {r["assignee_id"] for r in rows} - set(users) - {None}
    if missing:
        users.update({u.pk: u for u in User.objects.filter(pk__in=missing)})
    for row in rows:
        uid = row["assignee_id"]
        loads[uid] = PersonLoad(
            user=users.get(uid) if uid else None,
            capacity=capacities[uid].points if uid in capacities else None,
            committed=row["points"] or Decimal(0),
            tasks=row["count"],
        )
    for uid, capacity in capacities.items():
        loads.setdefault(
            uid,
            PersonLoad(user=capacity.user, capacity=capacity.points, committed=Decimal(0), tasks=0),
        )
    return sorted(
        loads.values(),
        key=lambda load: (load.user is None, load.user.display_name if load.user else ""),
    )


@dataclass
class TaskDetail:
    task: Task
    line: AlignmentLine
    comments: list[TaskComment]
    events: list[TaskEvent]
    blocked_by: list[Task]
    blocks: list[Task]
    subtasks: list[Task]
    conflicts: list[str]
    old_keys: list[str]


def task_detail(
    workspace: Workspace, task: Task, *, viewer: Membership, today: date | None = None
) -> TaskDetail:
    """Everything the task page shows, in a fixed number of queries. Blockers, blocked and
    subtasks in teams `viewer` may not see are left out (the task itself is theirs to see)."""
    task = tasks_shaped(workspace).select_related("parent__team").get(pk=task.pk)
    related = tasks_shaped(workspace, viewer=viewer)
    return TaskDetail(
        task=task,
        line=alignment_line(workspace, task, today=today),
        comments=list(
            TaskComment.objects.for_workspace(workspace)
            .filter(task=task)
            .select_related("author")
            .prefetch_related("mentions")
        ),
        events=list(
            TaskEvent.objects.for_workspace(workspace)
            .filter(task=task)
            .select_related("actor", "sprint")
            .order_by("created_at", "pk")
        ),
        # dependency_id: the link itself, for the page's "Remove" (same join as the filter).
        blocked_by=list(
            related.filter(blocks__blocked=task)
            .annotate(dependency_id=F("blocks__pk"))
            .order_by("pk")
        ),
        blocks=list(
            related.filter(blocked_by__blocking=task)
            .annotate(dependency_id=F("blocked_by__pk"))
            .order_by("pk")
        ),
        subtasks=list(related.filter(parent=task).order_by("rank", "pk")),
        conflicts=schedule_conflicts(workspace, [task.pk]).get(task.pk, []),
        old_keys=[
            f"{team_key}-{number}"
            for team_key, number in TaskAlias.objects.for_workspace(workspace)
            .filter(task=task)
            .values_list("team__key", "number")
        ]
        + list(
            TaskKeyAlias.objects.for_workspace(workspace)
            .filter(task=task)
            .order_by("pk")
            .values_list("key", flat=True)
        ),
    )


# ---- my work ----------------------------------------------------------------------------


@dataclass
class WorkGroup:
    objective: Objective | None  # None: unaligned work
    tasks: list[Task] = field(default_factory=list)
    # A guest's one group: objectives are not theirs to read (docs/teams.md), so not grouped.
    okrs_hidden: bool = False


def my_work(workspace: Workspace, user: User | Membership) -> list[WorkGroup]:
    """A person's open tasks grouped by the objective they serve (through the roadmap item's
    heaviest key result link); unaligned work last. 4 queries."""
    user_id = user.user_id if isinstance(user, Membership) else user.pk
    # Assigned work in a team they cannot see (made private since) stays out of sight.
    viewer = user if isinstance(user, Membership) else None
    tasks = list(
        tasks_shaped(workspace, viewer=viewer)
        .filter(assignee_id=user_id)
        .open()
        .order_by("due_date", "priority", "rank", "pk")
    )
    if viewer is not None and viewer.is_guest:
        return [WorkGroup(objective=None, tasks=tasks, okrs_hidden=True)] if tasks else []
    item_ids = {t.roadmap_item_id for t in tasks if t.roadmap_item_id}
    primary: dict[int, Objective] = {}
    for link in (
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item_id__in=item_ids)
        .select_related("key_result__objective")
        .order_by("item_id", "-weight", "pk")
    ):
        primary.setdefault(link.item_id, link.key_result.objective)
    groups: dict[int | None, WorkGroup] = {}
    for task in tasks:
        objective = primary.get(task.roadmap_item_id) if task.roadmap_item_id else None
        key = objective.pk if objective else None
        groups.setdefault(key, WorkGroup(objective=objective)).tasks.append(task)
    return sorted(
        groups.values(),
        key=lambda g: (g.objective is None, g.objective.title if g.objective else ""),
    )
