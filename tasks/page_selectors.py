"""Reads that only the work pages need, shaped once per page (a fixed number of queries).

The domain selectors (tasks.selectors, roadmaps.selectors) stay shared with the API; this
module adds what a page shows around them: filter choices, KR badges, backlog cursors,
history in words, external links, and the timeline scaled to SVG units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, DecimalField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from alignment.lookups import Ids
from alignment.models import Membership, Team, TeamMember, User, Workspace
from alignment.parsing import is_digits
from alignment.prepared import Prepared
from alignment.registry import Slot
from alignment.rows import instances
from okrs.models import KeyResult, Objective
from okrs.selectors import current_period
from roadmaps.models import KeyResultLink
from tasks import ranking
from tasks.board_selectors import Cursor, after_cursor, as_cards, backlog_for_team
from tasks.models import (
    CLOSED_CATEGORIES,
    Label,
    Sprint,
    SprintStatus,
    StateCategory,
    Task,
    TaskDependency,
    TaskEvent,
    TaskEventKind,
    TaskLabel,
    WorkflowState,
)
from tasks.selectors import TaskFilters

MAX_PAGE = 200  # hard cap of every list page (ARCHITECTURE §11)
BACKLOG_PAGE = 50
MAX_CHOICES = 200  # filter and form choices: enough for a workspace, never unbounded


def attach_workspace(objects: Iterable[Any], workspace: Workspace) -> None:
    """Fill the cached `workspace` of loaded rows, so `get_absolute_url()` costs no query."""
    for obj in objects:
        obj.workspace = workspace


# ---- choices ----------------------------------------------------------------------------


@dataclass
class FilterChoices:
    people: list[User]
    labels: list[Label]
    key_results: list[KeyResult]
    objectives: list[Objective]
    okrs: bool = True  # False for guests: no key result or objective filter at all


def workspace_people(workspace: Workspace) -> list[User]:
    """Active members of the workspace, by name (one query)."""
    return [
        m.user
        for m in Membership.objects.for_workspace(workspace)
        .active()
        .select_related("user")
        .order_by("user__full_name", "user__email")[:MAX_CHOICES]
    ]


def filter_choices(
    workspace: Workspace,
    viewer: Membership | None = None,
    *,
    on: date | None = None,
    keep: TaskFilters | None = None,
) -> FilterChoices:
    """People, labels, key results and objectives to filter a board or backlog by (4 queries).

    A guest is offered only what fits their teams: the people on them, the labels their teams'
    tasks carry, and no key results or objectives (company-wide pages a guest may not open).
    Everyone else gets the workspace's: labels and OKRs are workspace-wide (docs/teams.md)."""
    if viewer is not None and viewer.is_guest:
        teams = Team.objects.visible_to(viewer).values("pk")
        on_teams = TeamMember.objects.for_workspace(workspace).filter(team_id__in=teams)
        return FilterChoices(
            people=list(
                User.objects.filter(pk__in=on_teams.values("user_id"), is_active=True).order_by(
                    "full_name", "email"
                )[:MAX_CHOICES]
            ),
            labels=list(
                Label.objects.for_workspace(workspace)
                .filter(
                    pk__in=TaskLabel.objects.filter(
                        task__in=Task.objects.visible_to(viewer)
                    ).values("label_id")
                )
                .order_by("name")[:MAX_CHOICES]
            ),
            key_results=[],
            objectives=[],
            okrs=False,
        )
    # Key results and objectives of the period in play (the sprint's, else today's): older
    # periods' would crowd the list. One chosen by the link stays, so the form keeps it.
    period = current_period(workspace, today=on)
    keep = keep or {}
    in_period = Q(objective__period=period) if period else Q()
    objectives_in_period = Q(period=period) if period else Q()
    if keep.get("key_result"):
        in_period |= Q(pk=keep["key_result"])
    if keep.get("objective"):
        objectives_in_period |= Q(pk=keep["objective"])
    return FilterChoices(
        people=workspace_people(workspace),
        labels=list(Label.objects.for_workspace(workspace).order_by("name")[:MAX_CHOICES]),
        key_results=list(
            KeyResult.objects.for_workspace(workspace)
            .filter(in_period)
            .select_related("objective")
            .order_by("objective__title", "title")[:MAX_CHOICES]
        ),
        objectives=list(
            Objective.objects.for_workspace(workspace)
            .filter(objectives_in_period)
            .order_by("title")[:MAX_CHOICES]
        ),
    )


def open_sprints(workspace: Workspace, team: Team) -> list[Sprint]:
    """The team's planned and active sprints, earliest first (one query)."""
    return list(
        Sprint.objects.for_workspace(workspace)
        .filter(team=team)
        .exclude(status=SprintStatus.CLOSED)
        .order_by("start_date", "pk")
    )


def next_sprint(workspace: Workspace, team: Team) -> Sprint | None:
    """The sprint to plan: the earliest planned one, else the active one (one query)."""
    sprints = open_sprints(workspace, team)
    planned = [s for s in sprints if s.status == SprintStatus.PLANNED]
    active = [s for s in sprints if s.status == SprintStatus.ACTIVE]
    candidates = planned or active
    return candidates[0] if candidates else None


def team_states(workspace: Workspace, team: Team) -> list[WorkflowState]:
    return list(
        WorkflowState.objects.for_workspace(workspace)
        .filter(team=team)
        .annotate(task_count=Count("tasks"))
        .order_by("position", "pk")
    )


# ---- cards ------------------------------------------------------------------------------


@dataclass
class CardFacts:
    """What a page of cards shows beside the task row, read in one query (`card_facts`)."""

    labels: dict[int, list[str]] = field(default_factory=dict)  # task id → label names
    key_results: dict[int, list[str]] = field(default_factory=dict)  # item id → KR titles
    blocked_by: dict[int, list[str]] = field(default_factory=dict)  # task id → open blockers
    conflicts: dict[int, list[str]] = field(default_factory=dict)  # task id → other task keys
    subtasks: dict[int, list[str]] = field(default_factory=dict)  # task id → sub-task categories

    def subtask_progress(self, task_id: int) -> tuple[int, int] | None:
        """(done, total) of a task's sub-tasks, canceled ones left out; None without any."""
        categories = [c for c in self.subtasks.get(task_id, ()) if c != StateCategory.CANCELED]
        if not categories:
            return None
        return sum(c == StateCategory.DONE for c in categories), len(categories)


def _key(team: str, number: str) -> Concat:
    return Concat(team, Value("-"), Cast(number, CharField()), output_field=CharField())


def _card_facts_query(workspace: int, ids: Ids, items: Ids) -> QuerySet[Any]:
    """card_facts' one UNION ALL query (compiled once: alignment.prepared)."""
    no_weight = Value(Decimal(0), output_field=DecimalField(max_digits=12, decimal_places=4))
    # No ORDER BY inside a UNION (SQLite refuses it): the rows are sorted below.
    deps = TaskDependency.objects.for_workspace(workspace).order_by()
    conflicting = deps.filter(
        blocked__sprint__isnull=False,
        blocking__sprint__isnull=False,
        blocked__sprint__end_date__lt=F("blocking__sprint__end_date"),
    )
    labels = (
        TaskLabel.objects.filter(workspace=workspace, task_id__in_ids=ids)
        .order_by()
        .values_list(Value("l"), "task_id", "label__name", no_weight, "label_id")
    )
    parts = [
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item_id__in_ids=items)
        .order_by()
        .values_list(Value("k"), "item_id", "key_result__title", "weight", "pk"),
        deps.filter(blocked_id__in_ids=ids)
        .exclude(blocking__state_category__in=sorted(CLOSED_CATEGORIES))
        .values_list(
            Value("b"),
            "blocked_id",
            _key("blocking__team__key", "blocking__number"),
            no_weight,
            "pk",
        ),
        conflicting.filter(blocked_id__in_ids=ids).values_list(
            Value("c"),
            "blocked_id",
            _key("blocking__team__key", "blocking__number"),
            no_weight,
            "pk",
        ),
        conflicting.filter(blocking_id__in_ids=ids).values_list(
            Value("c"),
            "blocking_id",
            _key("blocked__team__key", "blocked__number"),
            no_weight,
            "pk",
        ),
        # Sub-tasks' categories: a card's done/total in the same round trip.
        Task.objects.for_workspace(workspace)
        .filter(parent_id__in_ids=ids)
        .order_by()
        .values_list(Value("s"), "parent_id", "state_category", no_weight, "pk"),
    ]
    return labels.union(*parts, all=True)


CARD_FACTS_QUERY = Prepared(_card_facts_query)


def card_facts(workspace: Workspace, tasks: Sequence[Task]) -> CardFacts:
    """Labels (by name), key results of each roadmap item (heaviest first), open blockers and
    schedule conflicts (see selectors.schedule_conflicts) of these cards: one UNION ALL query,
    so a page pays one round trip for every decoration of every card."""
    ids = [t.pk for t in tasks]
    item_ids = sorted({t.roadmap_item_id for t in tasks if t.roadmap_item_id})
    if not ids:
        return CardFacts()
    found = CARD_FACTS_QUERY.rows(workspace=workspace.pk, ids=Ids(ids), items=Ids(item_ids))
    rows = sorted(
        found,
        # Labels by name, key results heaviest first, flags in dependency order.
        key=lambda r: (r[0], r[1], -r[3], r[2] if r[0] == "l" else "", r[4]),
    )
    facts = CardFacts()
    target = {
        "l": facts.labels,
        "k": facts.key_results,
        "b": facts.blocked_by,
        "c": facts.conflicts,
        "s": facts.subtasks,
    }
    for kind, owner, text, _weight, _pk in rows:
        target[kind].setdefault(owner, []).append(text)
    return facts


def decorate_cards(workspace: Workspace, tasks: Sequence[Task]) -> CardFacts:
    """Attach `label_names`, `key_results` (titles), `blocked_keys` and `conflict_keys` to
    each card, from `card_facts` (one query); returns the facts."""
    facts = card_facts(workspace, tasks)
    for task in tasks:
        task.label_names = facts.labels.get(task.pk, [])  # type: ignore[attr-defined]
        task.key_results = facts.key_results.get(  # type: ignore[attr-defined]
            task.roadmap_item_id or 0, []
        )
        task.blocked_keys = facts.blocked_by.get(task.pk, [])  # type: ignore[attr-defined]
        task.conflict_keys = facts.conflicts.get(task.pk, [])  # type: ignore[attr-defined]
    return facts


# ---- board ------------------------------------------------------------------------------


_SPRINT_FIELDS = tuple(f.attname for f in Sprint._meta.concrete_fields)


def _board_sprints_query(workspace: int, team: int, wanted: int) -> QuerySet[Any]:
    return (
        Sprint.objects.for_workspace(workspace)
        .filter(team_id=team)
        .filter(~Q(status=SprintStatus.CLOSED) | Q(pk=wanted))
        .order_by("start_date", "pk")
        .values_list(*_SPRINT_FIELDS)
    )


# Every board request reads it: compiled and planned once (alignment.prepared).
BOARD_SPRINTS = Prepared(_board_sprints_query)


def board_sprints(
    workspace: Workspace, team: Team, sprint_id: str | None
) -> tuple[Sprint | None, list[Sprint]]:
    """The sprint the board shows (?sprint=<id> of this team, else the active one) and the
    team's open sprints for the switcher, in one query. (None, …) when the id is not the
    team's."""
    wanted = int(sprint_id) if sprint_id and is_digits(sprint_id) else None
    found = BOARD_SPRINTS.rows(workspace=workspace.pk, team=team.pk, wanted=wanted or 0)
    rows = instances(Sprint.objects.all(), _SPRINT_FIELDS, rows=found)
    if sprint_id:
        sprint = next((s for s in rows if s.pk == wanted), None)
    else:
        sprint = next((s for s in rows if s.status == SprintStatus.ACTIVE), None)
    return sprint, [s for s in rows if s.status != SprintStatus.CLOSED]


# ---- backlog ----------------------------------------------------------------------------


class BadCursor(ValueError):
    """A `?after=` cursor that is not `<rank>.<id>`."""


def parse_cursor(value: str) -> Cursor | None:
    if not value:
        return None
    rank, _, pk = value.rpartition(".")
    if not is_digits(pk) or not ranking.is_valid_key(rank):
        raise BadCursor(value)
    return Cursor(rank, int(pk))


@dataclass
class BacklogPage:
    tasks: list[Task]
    next_cursor: Cursor | None
    size: int


def backlog_page(
    workspace: Workspace,
    team: Team,
    *,
    after: str = "",
    size: int = BACKLOG_PAGE,
    filters: TaskFilters | None = None,
    order: Sequence[Any] = (),
) -> BacklogPage:
    """One page of the team's backlog in rank order, after a keyset cursor (one query).
    An `order` (a `sort:` qualifier) answers the first `size` tasks in that order, no cursor:
    a keyset over rank cannot page another order."""
    size = max(1, min(size, MAX_PAGE))
    qs = backlog_for_team(workspace, team, **(filters or {}))
    qs = qs.order_by(*order, "rank", "pk") if order else after_cursor(qs, parse_cursor(after))
    rows = list(qs[: size + 1])
    tasks, more = rows[:size], len(rows) > size and not order
    as_cards(tasks, team)
    last = tasks[-1] if tasks else None
    return BacklogPage(
        tasks=tasks,
        next_cursor=Cursor(last.rank, last.pk) if more and last is not None else None,
        size=size,
    )


# ---- task page --------------------------------------------------------------------------


@dataclass
class HistoryRow:
    event: TaskEvent
    text: str


def _name(users: dict[int, User], user_id: Any) -> str:
    if user_id in (None, ""):
        return "nobody"
    user = users.get(user_id)
    return user.display_name if user else "someone who left"


def history_rows(workspace: Workspace, events: Sequence[TaskEvent]) -> list[HistoryRow]:
    """Each history event in words, newest first; names of sprints and people in 2 queries."""
    sprint_ids: set[int] = set()
    user_ids: set[int] = set()
    for event in events:
        for data in (event.before or {}, event.after or {}):
            if isinstance(data, dict):
                if isinstance(data.get("sprint"), int):
                    sprint_ids.add(data["sprint"])
                if isinstance(data.get("assignee"), int):
                    user_ids.add(data["assignee"])
    sprints = (
        dict(
            Sprint.objects.for_workspace(workspace)
            .filter(pk__in=sprint_ids)
            .values_list("pk", "name")
        )
        if sprint_ids
        else {}
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}

    def value(name: str, data: Any) -> str:
        raw = data.get(name) if isinstance(data, dict) else None
        if name == "state":
            return raw.get("name", "?") if isinstance(raw, dict) else "?"
        if name == "sprint":
            return sprints.get(raw, "a deleted sprint") if raw else "the backlog"
        if name == "assignee":
            return _name(users, raw)
        if name == "estimate":
            return f"{raw} points" if raw not in (None, "") else "no estimate"
        return str(raw) if raw is not None else "—"

    rows = []
    for event in events:
        before, after = event.before, event.after
        if event.kind == TaskEventKind.CREATED:
            text = f"Created in {value('state', after)}"
        elif event.kind in (TaskEventKind.TEAM, TaskEventKind.MERGED):
            old = before.get("key") if isinstance(before, dict) else "?"
            new = after.get("key") if isinstance(after, dict) else "?"
            verb = "Moved" if event.kind == TaskEventKind.TEAM else "Merged"
            text = f"{verb}: {old} → {new}"
        else:
            name = str(event.kind)
            label = {"state": "State", "sprint": "Sprint", "estimate": "Estimate"}.get(
                name, "Assignee"
            )
            text = f"{label}: {value(name, before)} → {value(name, after)}"
            if isinstance(after, dict) and after.get("via"):
                text += f" (via {after['via']})"
        rows.append(HistoryRow(event=event, text=text))
    return list(reversed(rows))


# Pull requests and commits naming a task (under any key it or its team ever had) are the
# integrations app's: it fills this slot (alignment.registry), since tasks may not import it.
TaskLinks = Callable[[Task], Sequence[Any]]
task_links: Slot[TaskLinks] = Slot("tasks.page_selectors.task_links")


def external_links(task: Task) -> list[Any]:
    """Pull requests and commits naming the task, newest first ([] without integrations)."""
    provider = task_links.provider
    return [] if provider is None else list(provider(task))
