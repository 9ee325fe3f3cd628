"""Reads for pages and the API, shaped once per page: a fixed number of queries each.

Every selector takes the workspace first and never returns another workspace's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from alignment.models import Membership, Team, TeamKeyAlias, User, Workspace
from okrs.models import Objective
from roadmaps.models import KeyResultLink
from tasks.alignment_line import AlignmentLine, alignment_line
from tasks.models import (
    CLOSED_CATEGORIES,
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
    TaskQuerySet,
    WorkflowState,
    parse_key,
)


def tasks_shaped(workspace: Workspace, *, viewer: Membership | None = None) -> TaskQuerySet:
    """Tasks of the workspace with every FK a list shows, and their labels, in 3 queries;
    with a `viewer`, only those they may see (visible_to: private teams, guests)."""
    tasks = Task.objects.visible_to(viewer) if viewer else Task.objects.for_workspace(workspace)
    return tasks.select_related(
        "team", "state", "assignee", "sprint", "roadmap_item"
    ).prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))


def filter_tasks(
    qs: QuerySet[Task],
    *,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
) -> QuerySet[Task]:
    """The board and backlog filters (ids), shared with the API's FilterSet."""
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    if label is not None:
        qs = qs.filter(labels__id=label)
    if key_result is not None:
        qs = qs.filter(roadmap_item__kr_links__key_result_id=key_result)
    if objective is not None:
        qs = qs.filter(roadmap_item__kr_links__key_result__objective_id=objective)
    if label is not None or key_result is not None or objective is not None:
        qs = qs.distinct()
    return qs


def task_by_key(workspace: Workspace, key: str, *, viewer: Membership | None = None) -> Task | None:
    """The task with this key now, or the task an old key (move, merge) leads to. With a
    `viewer`, only a task they may see (private teams, guests); without, any (integrations)."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    team_key, number = parsed
    tasks = Task.objects.visible_to(viewer) if viewer else Task.objects.for_workspace(workspace)
    base = tasks.filter(workspace_id=workspace.pk).select_related("team", "state")
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


# ---- board ------------------------------------------------------------------------------


@dataclass
class BoardColumn:
    state: WorkflowState
    tasks: list[Task] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.tasks)

    @property
    def points(self) -> Decimal:
        return sum((t.estimate or Decimal(0) for t in self.tasks), Decimal(0))

    @property
    def over_wip_limit(self) -> bool:
        return self.state.wip_limit is not None and self.count > self.state.wip_limit


@dataclass
class Board:
    team: Team
    sprint: Sprint | None
    columns: list[BoardColumn]
    # task id → keys of the open tasks blocking it
    blocked_by: dict[int, list[str]]
    # task id → keys of tasks in a schedule conflict with it (see schedule_conflicts)
    conflicts: dict[int, list[str]]

    @property
    def tasks(self) -> list[Task]:
        return [t for column in self.columns for t in column.tasks]


def sprint_board(
    workspace: Workspace,
    team: Team,
    sprint: Sprint | None = None,
    *,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
) -> Board:
    """Columns of the team's states with the sprint's tasks in rank order (the active
    sprint when none is given); WIP counts, blocked flags and schedule conflicts. 6 queries
    whatever the size (states, sprint, tasks, labels, blockers, conflicts)."""
    if sprint is None:
        sprint = Sprint.objects.for_workspace(workspace).active().filter(team=team).first()
    states = list(WorkflowState.objects.for_workspace(workspace).filter(team=team))
    columns = {s.pk: BoardColumn(state=s) for s in states}
    tasks: list[Task] = []
    if sprint is not None:
        qs = filter_tasks(
            tasks_shaped(workspace).filter(sprint=sprint),
            assignee=assignee,
            label=label,
            key_result=key_result,
            objective=objective,
        )
        tasks = list(qs.order_by("rank", "pk"))
    for task in tasks:
        if task.state_id in columns:
            columns[task.state_id].tasks.append(task)
    ids = [t.pk for t in tasks]
    return Board(
        team=team,
        sprint=sprint,
        columns=list(columns.values()),
        blocked_by=open_blockers(workspace, ids),
        conflicts=schedule_conflicts(workspace, ids),
    )


def backlog_for_team(
    workspace: Workspace,
    team: Team,
    *,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
) -> QuerySet[Task]:
    """Open tasks of the team in no sprint, in rank order; slice it to page (3 queries)."""
    open_backlog = tasks_shaped(workspace).filter(team=team, sprint__isnull=True).open()
    qs = filter_tasks(
        open_backlog, assignee=assignee, label=label, key_result=key_result, objective=objective
    )
    return qs.order_by("rank", "pk")


def open_blockers(workspace: Workspace, task_ids: Iterable[int]) -> dict[int, list[str]]:
    """task id → keys of its unfinished blocking tasks (one query)."""
    rows = (
        TaskDependency.objects.for_workspace(workspace)
        .filter(blocked_id__in=list(task_ids))
        .exclude(blocking__state_category__in=sorted(CLOSED_CATEGORIES))
        .values_list("blocked_id", "blocking__team__key", "blocking__number")
    )
    result: dict[int, list[str]] = defaultdict(list)
    for blocked_id, team_key, number in rows:
        result[blocked_id].append(f"{team_key}-{number}")
    return dict(result)


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
        blocked_by=list(related.filter(blocks__blocked=task).order_by("pk")),
        blocks=list(related.filter(blocked_by__blocking=task).order_by("pk")),
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
