"""Reads for pages and the API, shaped once per page: a fixed number of queries each.

Every selector takes the workspace first and never returns another workspace's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from alignment.models import Membership, Team, TeamKeyAlias, User, Workspace
from okrs import progress
from okrs.models import KeyResult, Objective
from roadmaps.models import KeyResultLink, RoadmapItem
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
    TaskQuerySet,
    WorkflowState,
    parse_key,
)


def tasks_shaped(workspace: Workspace) -> TaskQuerySet:
    """Tasks of the workspace with every FK a list shows, and their labels, in 3 queries."""
    return (
        Task.objects.for_workspace(workspace)
        .select_related("team", "state", "assignee", "sprint", "roadmap_item")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))
    )


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


def task_by_key(workspace: Workspace, key: str) -> Task | None:
    """The task with this key now, or the task an old key (move, merge) leads to."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    team_key, number = parsed
    base = Task.objects.for_workspace(workspace).select_related("team", "state")
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
    if renamed_team is None:
        return None
    task = base.filter(team_id=renamed_team, number=number).first()
    if task is not None:
        return task
    alias = aliases.filter(team_id=renamed_team, number=number).first()
    return None if alias is None else base.filter(pk=alias).first()


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


# ---- the alignment line -----------------------------------------------------------------


@dataclass
class LineStep:
    """One step of the line from a task up to the company objective."""

    kind: str  # roadmap_item | key_result | objective
    obj: Any
    progress: float | None = None
    status: str | None = None
    weight: Decimal | None = None


@dataclass
class AlignmentLine:
    task: Task
    item: RoadmapItem | None
    key_results: list[LineStep]
    # For each KR step, its objective followed by that objective's ancestors, top last.
    objectives: dict[int, list[LineStep]]

    @property
    def is_aligned(self) -> bool:
        return self.item is not None and bool(self.key_results)


def alignment_line(workspace: Workspace, task: Task, *, today: date | None = None) -> AlignmentLine:
    """task → roadmap item → key result(s) → objective → parent objectives, each with its
    progress and status. A fixed number of queries: links, the objectives of the periods
    involved, and their KRs."""
    today = today or timezone.localdate()
    item = task.roadmap_item
    if item is None:
        return AlignmentLine(task=task, item=None, key_results=[], objectives={})
    links = list(
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item=item)
        .select_related("key_result__objective__period")
        .order_by("-weight", "pk")
    )
    if not links:
        return AlignmentLine(task=task, item=item, key_results=[], objectives={})
    period_ids = {link.key_result.objective.period_id for link in links}
    objectives = {
        o.pk: o
        for o in Objective.objects.for_workspace(workspace)
        .filter(period_id__in=period_ids)
        .select_related("period")
    }
    key_results = list(
        KeyResult.objects.for_workspace(workspace).filter(objective_id__in=objectives)
    )
    evaluation = progress.evaluate(
        [
            progress.ObjectiveFacts(
                id=o.pk,
                period_start=o.period.start,
                period_end=o.period.end,
                weight=float(o.weight),
                parent_key_result_id=o.parent_key_result_id,
            )
            for o in objectives.values()
        ],
        [_kr_facts(kr) for kr in key_results],
        today=today,
    )
    kr_steps = []
    chains: dict[int, list[LineStep]] = {}
    for link in links:
        kr = link.key_result
        result = evaluation.key_results.get(kr.pk)
        kr_steps.append(
            LineStep(
                kind="key_result",
                obj=kr,
                progress=result.progress if result else None,
                status=result.status.code if result else None,
                weight=link.weight,
            )
        )
        chain: list[LineStep] = []
        node: Objective | None = objectives.get(kr.objective_id)
        seen: set[int] = set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            obj_result = evaluation.objectives.get(node.pk)
            chain.append(
                LineStep(
                    kind="objective",
                    obj=node,
                    progress=obj_result.progress if obj_result else None,
                    status=obj_result.status.code if obj_result else None,
                )
            )
            node = objectives.get(node.parent_id) if node.parent_id else None
        chains[kr.pk] = chain
    return AlignmentLine(task=task, item=item, key_results=kr_steps, objectives=chains)


def _kr_facts(kr: KeyResult) -> progress.KeyResultFacts:
    steps = tuple(
        progress.Step(
            title=str(s.get("title", "")),
            weight=float(s.get("weight", 1) or 0),
            done=bool(s.get("done")),
        )
        for s in (kr.milestones or [])
        if isinstance(s, dict)
    )
    return progress.KeyResultFacts(
        id=kr.pk,
        objective_id=kr.objective_id,
        kind=kr.kind,
        source=kr.source,
        baseline=float(kr.baseline),
        target=float(kr.target),
        current=float(kr.current),
        weight=float(kr.weight),
        confidence=kr.confidence,
        last_check_in_on=kr.last_check_in_at.date() if kr.last_check_in_at else None,
        created_on=kr.created_at.date() if kr.created_at else None,
        steps=steps,
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


def task_detail(workspace: Workspace, task: Task, *, today: date | None = None) -> TaskDetail:
    """Everything the task page shows, in a fixed number of queries."""
    task = tasks_shaped(workspace).select_related("parent__team").get(pk=task.pk)
    related = tasks_shaped(workspace)
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
        ],
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
    tasks = list(
        tasks_shaped(workspace)
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
