"""The board's and the backlog's cards: columns with their first cards, a column's next page,
the backlog in rank order (split from tasks.selectors, which they build on).

Each read is one query whatever the size of the sprint or backlog (issue #15)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Unpack

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from alignment.models import Membership, Role, Team, Workspace
from alignment.prepared import Prepared
from alignment.querysets import visibility_of
from alignment.rows import columns as row_columns
from alignment.rows import instances
from tasks.models import Sprint, Task, TaskQuerySet, WorkflowState
from tasks.selectors import TaskFilters, filter_tasks, tasks_shaped

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


# What a board card reads of its task (tasks.cards), and of its assignee: the board builds its
# cards from these columns alone (alignment.rows), so a card that starts to read another field
# must add it here, or each card runs a query for it (the board's query-count tests fail).
CARD_FIELDS = (
    "id",
    "workspace_id",
    "team_id",
    "number",
    "title",
    "state_id",
    "state_category",
    "assignee_id",
    "estimate",
    "priority",
    "roadmap_item_id",
    "sprint_id",
    "parent_id",
    "rank",
    "version",
)
CARD_RELATED = {"assignee": ("email", "full_name")}


def board_cards(qs: QuerySet[Task], *annotations: str) -> list[Task]:
    """The tasks of `qs` as cards: CARD_FIELDS and the assignee, with `annotations`."""
    return instances(qs, CARD_FIELDS + annotations, related=CARD_RELATED)


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
    is_sorted: bool = False  # a `sort:` orders the columns: no reordering within them

    @property
    def tasks(self) -> list[Task]:
        return [t for column in self.columns for t in column.tasks]


_STATE_FIELDS = tuple(f.attname for f in WorkflowState._meta.concrete_fields)
_STATE_TEAM = {"team": tuple(f.attname for f in Team._meta.concrete_fields if not f.primary_key)}


def _board_states_query(role: str) -> Callable[..., QuerySet[Any]]:
    def build(workspace: int, team: int, user: int = 0) -> QuerySet[Any]:
        # An unsaved membership of that role: `visible_to` reads its ids and role only.
        viewer = Membership(workspace_id=workspace, user_id=user, role=role)
        return (
            WorkflowState.objects.visible_to(viewer)
            .filter(team_id=team)
            .values_list(*row_columns(WorkflowState, _STATE_FIELDS, _STATE_TEAM))
        )

    return build


# One per kind of visibility (alignment.querysets.visibility_of): each is its own SQL.
_BOARD_STATES: dict[str, Prepared] = {}


def board_states(viewer: Membership, team_id: int) -> list[WorkflowState]:
    """The team's workflow states in column order, each with its team loaded (one query,
    compiled and planned once per kind of visibility); none when `viewer` may not see the
    team (private teams, guests)."""
    role = visibility_of(viewer)
    sees_all = role == Role.ADMIN  # no team rule: the user never reaches the SQL
    query = _BOARD_STATES.get(role)
    if query is None:
        names = ["workspace", "team"] if sees_all else ["workspace", "team", "user"]
        query = _BOARD_STATES[role] = Prepared(_board_states_query(role), names=names)
    values = {"workspace": viewer.workspace_id, "team": team_id}
    if not sees_all:
        values["user"] = viewer.user_id
    found = query.rows(**values)
    return instances(WorkflowState.objects.all(), _STATE_FIELDS, related=_STATE_TEAM, rows=found)


def sprint_tasks(
    workspace: Workspace, team: Team, sprint: Sprint, **filters: Unpack[TaskFilters]
) -> QuerySet[Task]:
    """The sprint's tasks as cards, filtered, in (rank, id) order."""
    qs = card_tasks(workspace).filter(team=team, sprint=sprint)
    return filter_tasks(qs, **filters).order_by("rank", "pk")


def as_cards(
    tasks: Iterable[Task], team: Team, states: dict[int, WorkflowState] | None = None
) -> None:
    """Fill the team and state every card shows from the page's own rows (no join, no query).

    Straight into the related-object cache: the rows' ids already match, and the descriptors'
    checks cost more than the rest of a card."""
    for task in tasks:
        cache = task._state.fields_cache
        cache["team"] = team
        if states and task.state_id in states:
            cache["state"] = states[task.state_id]


BOARD_ANNOTATIONS = ("column_row", "column_total", "column_points")


def board_query(
    workspace: int,
    team: int,
    sprint: int,
    per_column: int,
    expand: int | None = None,
    order: Sequence[Any] = (),
    filters: TaskFilters | None = None,
) -> QuerySet[Task]:
    """sprint_board's one query: the first `per_column` cards of each column (all of column
    `expand`, up to BOARD_COLUMN_MAX), numbered, counted and summed by a window per column."""
    shown = card_tasks(workspace).filter(team_id=team, sprint_id=sprint)  # type: ignore[arg-type]
    by_state = [F("state_id")]
    qs: QuerySet[Any] = (
        filter_tasks(shown, **(filters or {}))
        .order_by("rank", "pk")
        .annotate(
            column_row=Window(
                RowNumber(),
                partition_by=by_state,
                order_by=[*order, F("rank").asc(), F("pk").asc()],
            ),
            column_total=Window(Count("pk"), partition_by=by_state),
            column_points=Window(Sum("estimate"), partition_by=by_state),
        )
    )
    if expand is None:
        qs = qs.filter(column_row__lte=per_column)
    else:
        qs = qs.filter(
            Q(column_row__lte=per_column) | Q(state_id=expand, column_row__lte=BOARD_COLUMN_MAX)
        )
    return qs.order_by(*order, "rank", "pk")


def _board_first(workspace: int, team: int, sprint: int) -> QuerySet[Any]:
    columns_read = row_columns(Task, CARD_FIELDS + BOARD_ANNOTATIONS, CARD_RELATED)
    return board_query(workspace, team, sprint, BOARD_COLUMN_PAGE).values_list(*columns_read)


def _board_expanded(workspace: int, team: int, sprint: int, expand: int) -> QuerySet[Any]:
    columns_read = row_columns(Task, CARD_FIELDS + BOARD_ANNOTATIONS, CARD_RELATED)
    return board_query(workspace, team, sprint, BOARD_COLUMN_PAGE, expand).values_list(
        *columns_read
    )


# The unfiltered, unsorted board at BOARD_COLUMN_PAGE cards a column (how it opens, and with
# a column expanded): board_query's SQL compiled once per process (≈ 2 ms of CPU a request).
# The page size is a constant of the SQL, not an argument: Django folds `row_number <= n`.
BOARD_FIRST = Prepared(_board_first)
BOARD_EXPANDED = Prepared(_board_expanded)


def sprint_board(
    workspace: Workspace,
    team: Team,
    sprint: Sprint | None = None,
    *,
    states: list[WorkflowState] | None = None,
    per_column: int = BOARD_COLUMN_PAGE,
    expand: int | None = None,
    where: Q | None = None,
    assignee: int | None = None,
    label: int | None = None,
    key_result: int | None = None,
    objective: int | None = None,
    order: Sequence[Any] = (),
) -> Board:
    """Columns of the team's states with the first `per_column` tasks of each in rank order,
    and each column's count and points over all its tasks (the active sprint when none is
    given; `expand`: a state whose column shows up to BOARD_COLUMN_MAX). One query for the
    tasks whatever the size: a window per column numbers and counts them.

    `order` (a `sort:` qualifier's expressions) sorts each column by it, then by rank: the
    same one query, the sort key a correlated subquery inside it. A sorted column has no
    keyset cursor (`more` stays None: the rank cursor cannot follow another order); its
    other cards are reached with `expand`."""
    if sprint is None:
        sprint = Sprint.objects.for_workspace(workspace).active().filter(team=team).first()
    if states is None:  # the caller has checked the team (a page reads them with it)
        states = list(WorkflowState.objects.for_workspace(workspace).filter(team=team))
    columns = {s.pk: BoardColumn(state=s) for s in states}
    if sprint is not None:
        filters: TaskFilters = {
            "where": where,
            "assignee": assignee,
            "label": label,
            "key_result": key_result,
            "objective": objective,
        }
        custom = per_column != BOARD_COLUMN_PAGE
        if custom or order or any(value is not None for value in filters.values()):
            qs = board_query(workspace.pk, team.pk, sprint.pk, per_column, expand, order, filters)
            tasks = board_cards(qs, *BOARD_ANNOTATIONS)
        else:  # the board as it first opens: its SQL compiled once (alignment.prepared)
            args: dict[str, int] = {"workspace": workspace.pk, "team": team.pk}
            args["sprint"] = sprint.pk
            if expand is None:
                found = BOARD_FIRST.rows(**args)
            else:
                found = BOARD_EXPANDED.rows(**args, expand=expand)
            tasks = instances(
                Task.objects.all(),
                CARD_FIELDS + BOARD_ANNOTATIONS,
                related=CARD_RELATED,
                rows=found,
            )
        as_cards(tasks, team, {s.pk: s for s in states})
        for task in tasks:
            column = columns.get(task.state_id)
            if column is None:
                continue
            column.tasks.append(task)
            column.total = task.column_total  # type: ignore[attr-defined]
            column.points = task.column_points or Decimal(0)  # type: ignore[attr-defined]
        for column in columns.values():
            if column.remaining and column.tasks and not order:
                last = column.tasks[-1]
                column.more = Cursor(last.rank, last.pk)
    return Board(team=team, sprint=sprint, columns=list(columns.values()), is_sorted=bool(order))


def _column_page(qs: QuerySet[Task], size: int) -> QuerySet[Task]:
    """The first `size` rows of a column's query, each counting the rows from it to the end."""
    return qs.annotate(rest=Window(Count("pk")))[:size]


def _column_after(
    workspace: int, team: int, sprint: int, state: int, rank: str, pk: int
) -> QuerySet[Any]:
    tasks = card_tasks(workspace).filter(team_id=team, sprint_id=sprint, state_id=state)  # type: ignore[arg-type]
    qs = _column_page(after_cursor(tasks.order_by("rank", "pk"), Cursor(rank, pk)), BOARD_MORE_PAGE)
    return qs.values_list(*row_columns(Task, (*CARD_FIELDS, "rest"), CARD_RELATED))


COLUMN_AFTER = Prepared(_column_after)


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
    if after is not None and size == BOARD_MORE_PAGE and all(v is None for v in filters.values()):
        # The unfiltered column scrolled on: its SQL compiled and prepared once (the shape of
        # every "show more" of a board nobody filters).
        found = COLUMN_AFTER.rows(
            workspace=workspace.pk,
            team=team.pk,
            sprint=sprint.pk,
            state=state.pk,
            rank=after.rank,
            pk=after.pk,
        )
        tasks = instances(
            Task.objects.all(), (*CARD_FIELDS, "rest"), related=CARD_RELATED, rows=found
        )
    else:
        qs = after_cursor(
            sprint_tasks(workspace, team, sprint, **filters).filter(state=state), after
        )
        tasks = board_cards(_column_page(qs, size), "rest")
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
    where: Q | None = None,
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
        open_backlog,
        where=where,
        assignee=assignee,
        label=label,
        key_result=key_result,
        objective=objective,
    )
    return qs.order_by("rank", "pk")
