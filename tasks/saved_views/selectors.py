"""Reads of saved views: which views a member sees, and a view's tasks as a board, a list or a
table (sorted, paginated). The tasks are those search finds for the view's query: the same
parser and the same qualifier filter (tasks.search_query), so a view and a search agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from alignment import keyset
from alignment.models import Membership
from tasks.models import StateCategory, Task
from tasks.saved_views.models import SavedView, ViewScope
from tasks.search_query import parse_search_query, task_filter

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200  # ARCHITECTURE §11: a hard cap, no switch that turns paging off
BOARD_COLUMN_CARDS = 50

# Sortable columns of the table: name → ordering (nulls last, ties broken by id).
SORTS: dict[str, tuple[str, ...]] = {
    "key": ("team__key", "number"),
    "title": ("title",),
    "state": ("state_category", "state__position"),
    "assignee": ("assignee__full_name",),
    "priority": ("priority",),
    "points": ("estimate",),
    "due": ("due_date",),
    "updated": ("updated_at",),
}
DEFAULT_SORT = "key"


def views_for(member: Membership, *, archived: bool = False) -> list[SavedView]:
    """The views `member` may open (the archived ones when `archived`), their own first, then
    the shared ones, by name."""
    rows = SavedView.objects.visible_to(member)
    rows = rows.archived() if archived else rows.active()
    found = list(rows.select_related("team", "owner"))
    return sorted(found, key=lambda v: (v.owner_id != member.user_id, v.name.lower(), v.pk))


def view_tasks(view: SavedView | str, *, viewer: Membership) -> QuerySet[Task]:
    """The tasks matching the view's query that `viewer` may see (archived ones never).

    Raises SearchQueryInvalid when a stored query names something gone since (a deleted
    label, a renamed state): the page says so instead of showing every task."""
    parsed = parse_search_query(view if isinstance(view, str) else view.query)
    tasks = Task.objects.visible_to(viewer).filter(task_filter(parsed, viewer=viewer))
    words = parsed.text.split()
    if words:
        tasks = tasks.filter(
            reduce(
                and_,
                (Q(title__icontains=w) | Q(description__icontains=w) for w in words),
            )
        )
    return tasks.select_related("team", "state", "assignee", "sprint", "roadmap_item")


def parse_sort(value: str | None) -> tuple[str, bool]:
    """("due", True) from "-due"; unknown names sort by key (a link's typo is not an error)."""
    value = (value or "").strip()
    descending = value.startswith("-")
    name = value.lstrip("-")
    if name not in SORTS:
        return DEFAULT_SORT, False
    return name, descending


def columns_for(sort: str, descending: bool) -> list[keyset.Column]:
    """The table's ordering for a sort: its columns, then the id (unique: one position per
    row), all in the same direction."""
    return [keyset.Column(path, descending) for path in (*SORTS[sort], "pk")]


def sorted_tasks(tasks: QuerySet[Task], sort: str, descending: bool) -> QuerySet[Task]:
    return tasks.order_by(*keyset.ordering(columns_for(sort, descending)))


CURSOR_SALT = "tasks.saved_views.cursor"


@dataclass
class TablePage:
    """One keyset page of a view's tasks: where it starts among `total`, and the cursors of
    the pages either side (None at the ends)."""

    tasks: list[Task]
    total: int
    size: int
    start: int  # rows before this page
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def first_row(self) -> int:
        return self.start + 1 if self.tasks else 0

    @property
    def last_row(self) -> int:
        return self.start + len(self.tasks)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def table_page(
    tasks: QuerySet[Task],
    *,
    view: SavedView,
    sort: str,
    descending: bool,
    cursor: str = "",
    size: int = PAGE_SIZE,
) -> TablePage:
    """One page of the view's tasks in the sort's order, after (or before) a cursor: 2 queries
    (the count and the rows), the same at any depth. Raises keyset.BadCursor for a cursor
    of another view or sort, or a forged one."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    columns = columns_for(sort, descending)
    bound = {"view": view.pk, "sort": f"{'-' if descending else ''}{sort}"}
    at = (
        keyset.decode(cursor, salt=CURSOR_SALT, bound=bound, width=len(columns)) if cursor else None
    )
    total = tasks.count()
    forward = at is None or at.forward
    rows = tasks.order_by(*keyset.ordering(columns, forward=forward))
    if at is not None:
        rows = rows.filter(keyset.seek(columns, at.position, forward=forward))
    found = list(rows[: size + 1])
    more = len(found) > size
    shown = found[:size] if forward else list(reversed(found[:size]))
    if forward:
        start = at.index if at is not None else 0
        has_next, has_previous = more, at is not None
    else:
        # Going back: the page ends just before the cursor's row, so there is a next page;
        # its start counts back from the cursor's (0 once nothing is left before it).
        assert at is not None  # only a cursor pages backwards
        start = max(0, at.index - len(shown)) if more else 0
        has_next, has_previous = True, more

    def cursor_at(task: Task, *, ahead: bool, index: int) -> str:
        return keyset.encode(
            salt=CURSOR_SALT,
            bound=bound,
            position=keyset.position_of(task, columns),
            forward=ahead,
            index=index,
        )

    return TablePage(
        tasks=shown,
        total=total,
        size=size,
        start=start,
        next_cursor=cursor_at(shown[-1], ahead=True, index=start + len(shown))
        if has_next and shown
        else None,
        previous_cursor=cursor_at(shown[0], ahead=False, index=start)
        if has_previous and shown
        else None,
    )


@dataclass
class ViewColumn:
    category: str
    name: str
    tasks: list[Task] = field(default_factory=list)
    total: int = 0
    cards_html: str = ""

    @property
    def more(self) -> int:
        return self.total - len(self.tasks)


def board_columns(tasks: QuerySet[Task]) -> list[ViewColumn]:
    """The view's tasks in one column per state category (a view spans teams, whose columns
    differ), each in board order and cut at BOARD_COLUMN_CARDS; 2 queries."""
    columns = {c.value: ViewColumn(category=c.value, name=str(c.label)) for c in StateCategory}
    counts = tasks.order_by().values("state_category").annotate(n=Count("pk"))
    for row in counts:
        columns[row["state_category"]].total = row["n"]
    first = tasks.annotate(
        column_row=Window(
            RowNumber(), partition_by=[F("state_category")], order_by=[F("rank"), F("pk")]
        )
    ).filter(column_row__lte=BOARD_COLUMN_CARDS)
    for task in first.order_by("state_category", "rank", "pk"):
        columns[task.state_category].tasks.append(task)
    return list(columns.values())


def scope_label(view: SavedView) -> str:
    if view.scope == ViewScope.TEAM and view.team is not None:
        return f"Shared with {view.team.name}"
    if view.scope == ViewScope.WORKSPACE:
        return "Shared with the workspace"
    return "Only you"
