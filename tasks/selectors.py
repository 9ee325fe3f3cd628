"""Reads for pages and the API, shaped once per page: a fixed number of queries each.

Every selector takes the workspace first and never returns another workspace's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple, TypedDict, Unpack

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

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
    TaskLabel,
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


class TaskFilters(TypedDict, total=False):
    """The board and backlog filters, each an id or None (see filter_tasks)."""

    assignee: int | None
    label: int | None
    key_result: int | None
    objective: int | None


def filter_tasks(
    qs: QuerySet[Task],
    *,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
) -> QuerySet[Task]:
    """The board and backlog filters (ids), shared with the API's FilterSet.

    Each filter is a subquery on the task's own columns, never a join: a task appears once
    (no DISTINCT), so the board's per-column windows and keyset pages count rows truly."""
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


BOARD_COLUMN_PAGE = 30  # cards a column shows at first; the rest load per column (htmx)
BOARD_MORE_PAGE = 200  # cards a column's "show more" brings (the API's page cap)
BOARD_COLUMN_MAX = 2000  # a column expanded without JavaScript (?expand=<state id>)


class Cursor(NamedTuple):
    """A keyset position in (rank, id) order: the last row a page showed."""

    rank: str
    pk: int

    def __str__(self) -> str:
        return f"{self.rank}.{self.pk}"


def after_cursor(qs: QuerySet[Task], cursor: Cursor | None) -> QuerySet[Task]:
    """Rows after `cursor` in (rank, id) order. `rank >= r` is the index bound; the exclusion
    only ever looks at rows that tie on rank, so a page costs the same at any depth."""
    if cursor is None:
        return qs
    return qs.filter(rank__gte=cursor.rank).exclude(rank=cursor.rank, pk__lte=cursor.pk)


def card_tasks(workspace: Workspace) -> TaskQuerySet:
    """Tasks as a board card or a backlog row reads them: the assignee joined; labels, key
    results and flags come from `page_selectors.card_facts` in one query for the page; the
    long text columns are left behind (a card never shows them)."""
    return (
        tasks_shaped(workspace)
        .select_related(None)
        .prefetch_related(None)
        .select_related("assignee")
        .defer("description", "description_html")
    )


@dataclass
class BoardColumn:
    state: WorkflowState
    # The cards shown now: the first BOARD_COLUMN_PAGE in rank order; `total` counts them all.
    tasks: list[Task] = field(default_factory=list)
    total: int = 0
    points: Decimal = Decimal(0)
    more: Cursor | None = None  # where the next cards start, when some are not shown yet
    cards_html: str = ""  # the shown cards, rendered once (tasks.cards)

    @property
    def count(self) -> int:
        return self.total

    @property
    def remaining(self) -> int:
        return self.total - len(self.tasks)

    @property
    def over_wip_limit(self) -> bool:
        return self.state.wip_limit is not None and self.total > self.state.wip_limit


@dataclass
class Board:
    team: Team
    sprint: Sprint | None
    columns: list[BoardColumn]

    @property
    def tasks(self) -> list[Task]:
        return [t for column in self.columns for t in column.tasks]


def board_states(viewer: Membership, team_id: int) -> list[WorkflowState]:
    """The team's workflow states in column order, each with its team loaded (one query);
    none when `viewer` may not see the team (private teams, guests)."""
    return list(
        WorkflowState.objects.visible_to(viewer).filter(team_id=team_id).select_related("team")
    )


def sprint_tasks(
    workspace: Workspace, team: Team, sprint: Sprint, **filters: Unpack[TaskFilters]
) -> QuerySet[Task]:
    """The sprint's tasks as cards, filtered, in (rank, id) order."""
    qs = card_tasks(workspace).filter(team=team, sprint=sprint)
    return filter_tasks(qs, **filters).order_by("rank", "pk")


def as_cards(
    tasks: Iterable[Task], team: Team, states: dict[int, WorkflowState] | None = None
) -> None:
    """Fill the team and state every card shows from the page's own rows (no join, no query)."""
    for task in tasks:
        task.team = team
        if states and task.state_id in states:
            task.state = states[task.state_id]


def sprint_board(
    workspace: Workspace,
    team: Team,
    sprint: Sprint | None = None,
    *,
    states: list[WorkflowState] | None = None,
    per_column: int = BOARD_COLUMN_PAGE,
    expand: int | None = None,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
) -> Board:
    """Columns of the team's states with the first `per_column` tasks of each in rank order,
    and each column's count and points over all its tasks (the active sprint when none is
    given; `expand`: a state whose column shows up to BOARD_COLUMN_MAX). One query for the
    tasks whatever the size: a window per column numbers and counts them."""
    if sprint is None:
        sprint = Sprint.objects.for_workspace(workspace).active().filter(team=team).first()
    if states is None:  # the caller has checked the team (a page reads them with it)
        states = list(WorkflowState.objects.for_workspace(workspace).filter(team=team))
    columns = {s.pk: BoardColumn(state=s) for s in states}
    if sprint is not None:
        by_state = [F("state_id")]
        qs = sprint_tasks(
            workspace,
            team,
            sprint,
            assignee=assignee,
            label=label,
            key_result=key_result,
            objective=objective,
        ).annotate(
            column_row=Window(
                RowNumber(), partition_by=by_state, order_by=[F("rank").asc(), F("pk").asc()]
            ),
            column_total=Window(Count("pk"), partition_by=by_state),
            column_points=Window(Sum("estimate"), partition_by=by_state),
        )
        if expand is None:
            qs = qs.filter(column_row__lte=per_column)
        else:
            qs = qs.filter(
                Q(column_row__lte=per_column) | Q(state_id=expand, column_row__lte=BOARD_COLUMN_MAX)
            )
        tasks = list(qs.order_by("rank", "pk"))
        as_cards(tasks, team, {s.pk: s for s in states})
        for task in tasks:
            column = columns.get(task.state_id)
            if column is None:
                continue
            column.tasks.append(task)
            column.total = task.column_total  # type: ignore[attr-defined]
            column.points = task.column_points or Decimal(0)  # type: ignore[attr-defined]
        for column in columns.values():
            if column.remaining and column.tasks:
                last = column.tasks[-1]
                column.more = Cursor(last.rank, last.pk)
    return Board(team=team, sprint=sprint, columns=list(columns.values()))


@dataclass
class ColumnPage:
    tasks: list[Task]
    remaining: int  # cards of the column after this page
    more: Cursor | None


def board_column_page(
    workspace: Workspace,
    team: Team,
    sprint: Sprint,
    state: WorkflowState,
    *,
    after: Cursor | None,
    size: int = BOARD_MORE_PAGE,
    **filters: Unpack[TaskFilters],
) -> ColumnPage:
    """The next `size` cards of one board column after a keyset cursor, and how many remain
    after them (one query: the count is a window over the rest of the column)."""
    qs = after_cursor(sprint_tasks(workspace, team, sprint, **filters).filter(state=state), after)
    tasks: list[Task] = list(qs.annotate(rest=Window(Count("pk")))[:size])
    as_cards(tasks, team, {state.pk: state})
    remaining = tasks[0].rest - len(tasks) if tasks else 0  # type: ignore[attr-defined]
    last = tasks[-1] if tasks else None
    return ColumnPage(
        tasks=tasks,
        remaining=remaining,
        more=Cursor(last.rank, last.pk) if remaining and last is not None else None,
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
    """Open tasks of the team in no sprint, in (rank, id) order: the order of the index
    task_backlog_idx, so a page is an index range scan; slice it to page (one query)."""
    open_backlog = (
        card_tasks(workspace).select_related("state").filter(team=team, sprint__isnull=True).open()
    )
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
