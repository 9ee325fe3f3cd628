"""Reads for the roadmap pages and API: the timeline, shaped in a fixed number of queries.

An item's progress and health are its read-model row (`readmodel.selectors.rollups_for`):
the same row the task alignment line, the key result it feeds and the dashboards read, so
no roadmap page recomputes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q

from alignment import timezones
from alignment.models import Membership, Workspace
from okrs.health import STATUS_LABELS, Reason
from okrs.models import Objective
from okrs.reason_words import reason_sentence
from readmodel.models import Basis, NodeKind
from readmodel.selectors import RollupRow, rollups_for
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency

GroupBy = Literal["team", "objective"]
ITEM = NodeKind.ROADMAP_ITEM.value
BASIS_LABELS = dict(Basis.choices)


def item_rows(
    workspace: Workspace, item_ids: Iterable[int], *, today: date | None = None
) -> dict[int, RollupRow]:
    """The read-model rows of these roadmap items by item id: one bulk read, fresh first."""
    rows = rollups_for(workspace.pk, {ITEM: item_ids}, today=today)
    return {node_id: row for (_, node_id), row in rows.items()}


@dataclass(frozen=True)
class ItemProgress:
    """What an item's pages and API show of its row: progress, health and what was counted."""

    row: RollupRow | None

    @property
    def is_measured(self) -> bool:
        """Some work is counted (a row with basis "none" has no tasks yet)."""
        return self.row is not None and self.row.basis != Basis.NONE

    @property
    def progress(self) -> float | None:
        return self.row.progress if self.is_measured and self.row else None

    @property
    def percent(self) -> int | None:
        return self.row.percent if self.is_measured and self.row else None

    @property
    def status(self) -> str | None:
        return self.row.status if self.row else None

    @property
    def status_label(self) -> str | None:
        return STATUS_LABELS.get(self.row.status, self.row.status) if self.row else None

    @property
    def basis(self) -> str | None:
        return self.row.basis if self.row else None

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self.row.basis, "") if self.row else ""

    @property
    def done_points(self) -> Decimal:
        return self.row.done_points if self.row else Decimal(0)

    @property
    def total_points(self) -> Decimal:
        return self.row.total_points if self.row else Decimal(0)

    @property
    def done_count(self) -> int:
        return self.row.done_count if self.row else 0

    @property
    def total_count(self) -> int:
        return self.row.total_count if self.row else 0

    @property
    def reasons(self) -> list[str]:
        """The row's status reasons in words."""
        return [item_reason_sentence(r) for r in self.row.reasons] if self.row else []

    @property
    def as_of(self) -> Any:
        return self.row.as_of if self.row else None


def _plural(count: float, noun: str) -> str:
    n = int(count)
    return f"{n} {noun}{'' if n == 1 else 's'}"


def item_reason_sentence(reason: Mapping[str, Any]) -> str:
    """An item row's stored reason in plain English (the codes of an item's rollup)."""
    code = str(reason.get("code", ""))
    n = reason.get("numbers") or {}
    if code == "past_target_date":
        return (
            f"{_plural(n.get('days_late', 0), 'day')} past the target date with "
            f"{_plural(n.get('open_count', 0), 'open task')}."
        )
    if code == "no_tasks":
        return "No tasks to count yet."
    if code == "not_scheduled":
        return "No start and target dates to measure the pace against."
    objects = [(str(k), int(i)) for k, i in reason.get("objects") or []]
    return reason_sentence(Reason(code, dict(n), objects))


@dataclass
class GridColumn:
    """A month or quarter of the grid; `left`/`width` are fractions of the whole range."""

    label: str
    start: date
    end: date  # inclusive
    left: float
    width: float


@dataclass
class TimelineBar:
    item: RoadmapItem
    start: date | None
    end: date | None
    left: float | None  # fraction of the grid, None when the item has no dates
    width: float | None
    is_late: bool
    # Item ids this one waits for, and ids waiting for it.
    blocked_by: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    # Some blocking item is not done yet.
    is_blocked: bool = False
    # It starts before an item it depends on is due to finish: a schedule conflict.
    starts_before_blocker_ends: bool = False
    key_result_ids: list[int] = field(default_factory=list)
    # The item's read-model row: progress (done points / total points, or done tasks / tasks
    # when nothing is estimated; canceled work left out) and health.
    measured: ItemProgress = field(default_factory=lambda: ItemProgress(None))

    @property
    def is_scheduled(self) -> bool:
        return self.left is not None

    @property
    def progress(self) -> float | None:
        """The row's progress; None while the item has no work to count."""
        return self.measured.progress

    @property
    def done_points(self) -> Decimal:
        return self.measured.done_points

    @property
    def total_points(self) -> Decimal:
        return self.measured.total_points


@dataclass
class TimelineGroup:
    key: str  # "team:3", "objective:7", "none"
    label: str
    bars: list[TimelineBar] = field(default_factory=list)


@dataclass
class Timeline:
    roadmap: Roadmap
    group_by: str
    start: date
    end: date  # inclusive
    today: date
    today_left: float | None  # None when today is outside the range
    months: list[GridColumn]
    quarters: list[GridColumn]
    groups: list[TimelineGroup]
    dependencies: list[tuple[int, int]]  # (blocking item id, blocked item id)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _grid_range(items: list[RoadmapItem], today: date) -> tuple[date, date]:
    days = [d for i in items for d in (i.start_date, i.target_date) if d is not None]
    low, high = (min(days), max(days)) if days else (today, today)
    start = _quarter_start(low)
    end = _quarter_start(high)
    for _ in range(3):
        end = _next_month(end)
    return start, end - timedelta(days=1)


def _columns(start: date, end: date, *, months: int) -> list[GridColumn]:
    total = (end - start).days + 1
    columns = []
    cursor = start
    while cursor <= end:
        following = cursor
        for _ in range(months):
            following = _next_month(following)
        last = min(following - timedelta(days=1), end)
        if months == 3:
            label = f"Q{(cursor.month - 1) // 3 + 1} {cursor.year}"
        else:
            label = cursor.strftime("%b %Y")
        columns.append(
            GridColumn(
                label=label,
                start=cursor,
                end=last,
                left=(cursor - start).days / total,
                width=((last - cursor).days + 1) / total,
            )
        )
        cursor = following
    return columns


def _bar(
    item: RoadmapItem, start: date, total: int, today: date, row: RollupRow | None
) -> TimelineBar:
    """The item's bar on a grid of `total` days from `start`; an undated item has no bar."""
    first = item.start_date or item.target_date
    last = item.target_date or item.start_date
    left = width = None
    if first is not None and last is not None:
        left = (first - start).days / total
        width = ((last - first).days + 1) / total
    return TimelineBar(
        item=item,
        start=first,
        end=last,
        left=left,
        width=width,
        is_late=bool(item.target_date and item.target_date < today and not item.is_closed),
        measured=ItemProgress(row),
    )


def _mark_dependencies(
    bars: dict[int, TimelineBar], edges: list[tuple[int, int, str, date | None]]
) -> None:
    """Blocked-by and blocks on each bar; blocked while a blocker is open, and flagged when it
    starts before its blocker's target."""
    for blocking_id, blocked_id, blocking_status, blocking_target in edges:
        if blocked_id in bars:
            bar = bars[blocked_id]
            bar.blocked_by.append(blocking_id)
            if blocking_status not in ("done", "canceled"):
                bar.is_blocked = True
            if blocking_target and bar.start and bar.start <= blocking_target:
                bar.starts_before_blocker_ends = True
        if blocking_id in bars:
            bars[blocking_id].blocks.append(blocked_id)


def _link_key_results(
    bars: dict[int, TimelineBar], links: list[KeyResultLink]
) -> dict[int, list[Objective]]:
    """Each bar's key results; returns each item's objectives, heaviest link first."""
    objectives_of: dict[int, list[Objective]] = defaultdict(list)
    for link in links:
        bars[link.item_id].key_result_ids.append(link.key_result_id)
        objective = link.key_result.objective
        if objective not in objectives_of[link.item_id]:
            objectives_of[link.item_id].append(objective)
    return objectives_of


def _group_keys(
    item: RoadmapItem, group_by: str, objectives: list[Objective]
) -> list[tuple[str, str]]:
    """The (key, label) of each group the item's bar shows in."""
    if group_by == "team":
        if item.owner_team:
            return [(f"team:{item.owner_team_id}", item.owner_team.name)]
        return [("none", "No team")]
    return [(f"objective:{o.pk}", o.title) for o in objectives] or [("none", "No objective")]


def _group_bars(
    items: list[RoadmapItem],
    bars: dict[int, TimelineBar],
    group_by: str,
    objectives_of: dict[int, list[Objective]],
) -> dict[str, TimelineGroup]:
    groups: dict[str, TimelineGroup] = {}
    for item in items:
        for key, label in _group_keys(item, group_by, objectives_of[item.pk]):
            groups.setdefault(key, TimelineGroup(key=key, label=label)).bars.append(bars[item.pk])
    return groups


def roadmap_timeline(
    workspace: Workspace,
    roadmap: Roadmap,
    group_by: GroupBy = "team",
    *,
    today: date | None = None,
    viewer: Membership | None = None,
) -> Timeline:
    """Bars on a month/quarter grid, grouped by owner team or by objective, with late flags,
    dependency markers and each item's progress and health from the read model. 5 queries
    whatever the number of items (the rows: a freshness check and one bulk read). With a
    `viewer`, a private team's items are left out for those not on it."""
    if group_by not in ("team", "objective"):
        raise ValueError(f"group_by must be 'team' or 'objective', not {group_by!r}")
    today = today or timezones.today(workspace)
    all_items = RoadmapItem.objects.visible_to(viewer) if viewer else RoadmapItem.objects.all()
    items = list(
        all_items.filter(workspace_id=workspace.pk, roadmap=roadmap)
        .select_related("owner_team")
        .order_by("start_date", "target_date", "pk")
    )
    ids = [i.pk for i in items]
    links = list(
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item_id__in=ids)
        .select_related("key_result__objective")
        .order_by("-weight", "pk")
    )
    edges = list(
        RoadmapItemDependency.objects.for_workspace(workspace)
        .filter(Q(blocking_id__in=ids) | Q(blocked_id__in=ids))
        .values_list("blocking_id", "blocked_id", "blocking__status", "blocking__target_date")
    )
    rows = item_rows(workspace, ids, today=today)

    start, end = _grid_range(items, today)
    total = (end - start).days + 1
    bars = {item.pk: _bar(item, start, total, today, rows.get(item.pk)) for item in items}
    _mark_dependencies(bars, edges)
    objectives_of = _link_key_results(bars, links)
    groups = _group_bars(items, bars, group_by, objectives_of)
    ordered = sorted(groups.values(), key=lambda g: (g.key == "none", g.label.lower()))
    return Timeline(
        roadmap=roadmap,
        group_by=group_by,
        start=start,
        end=end,
        today=today,
        today_left=(today - start).days / total if start <= today <= end else None,
        months=_columns(start, end, months=1),
        quarters=_columns(start, end, months=3),
        groups=ordered,
        dependencies=[(a, b) for a, b, _, _ in edges],
    )


# ---- the timeline page, in SVG units -------------------------------------------------------

SCALE = 1000  # SVG user units across the whole grid


@dataclass
class BarRow:
    bar: TimelineBar
    x: float | None
    width: float | None
    progress_width: float | None
    blocked_titles: list[str] = field(default_factory=list)


@dataclass
class TimelineView:
    timeline: Timeline
    today_x: float | None
    months: list[tuple[float, float, str]]
    quarters: list[tuple[float, float, str]]
    groups: list[tuple[str, str, list[BarRow]]]
    item_titles: dict[int, str]


def timeline_view(timeline: Timeline) -> TimelineView:
    """The timeline in SVG units (0..1000 across), with the titles of each bar's blockers."""
    titles = {bar.item.pk: bar.item.title for g in timeline.groups for bar in g.bars}

    def units(fraction: float | None) -> float | None:
        return None if fraction is None else round(fraction * SCALE, 2)

    groups = []
    for group in timeline.groups:
        rows = []
        for bar in group.bars:
            width = units(bar.width)
            progress = bar.progress
            rows.append(
                BarRow(
                    bar=bar,
                    x=units(bar.left),
                    width=width,
                    progress_width=round(width * progress, 2)
                    if width is not None and progress is not None
                    else None,
                    blocked_titles=[titles.get(i, f"item {i}") for i in bar.blocked_by],
                )
            )
        groups.append((group.key, group.label, rows))
    return TimelineView(
        timeline=timeline,
        today_x=units(timeline.today_left),
        months=[(units(c.left) or 0, units(c.width) or 0, c.label) for c in timeline.months],
        quarters=[(units(c.left) or 0, units(c.width) or 0, c.label) for c in timeline.quarters],
        groups=groups,
        item_titles=titles,
    )
