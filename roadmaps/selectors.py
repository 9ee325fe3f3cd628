"""Reads for the roadmap pages and API: the timeline, shaped in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.db.models import Q, Sum
from django.utils import timezone

from alignment.models import Workspace
from okrs.models import Objective
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency

GroupBy = Literal["team", "objective"]
# Task categories, as strings: roadmaps/ must not import tasks/.
DONE_CATEGORY = "done"
CANCELED_CATEGORY = "canceled"


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
    done_points: Decimal = Decimal(0)
    total_points: Decimal = Decimal(0)
    key_result_ids: list[int] = field(default_factory=list)

    @property
    def is_scheduled(self) -> bool:
        return self.left is not None

    @property
    def progress(self) -> float | None:
        """Done points / total points of the item's tasks (canceled ones left out)."""
        if not self.total_points:
            return None
        return float(self.done_points / self.total_points)


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


def _month_start(day: date) -> date:
    return day.replace(day=1)


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


def roadmap_timeline(
    workspace: Workspace,
    roadmap: Roadmap,
    group_by: GroupBy = "team",
    *,
    today: date | None = None,
) -> Timeline:
    """Bars on a month/quarter grid, grouped by owner team or by objective, with late flags,
    dependency markers and task progress. 4 queries whatever the number of items."""
    if group_by not in ("team", "objective"):
        raise ValueError(f"group_by must be 'team' or 'objective', not {group_by!r}")
    today = today or timezone.localdate()
    items = list(
        RoadmapItem.objects.for_workspace(workspace)
        .filter(roadmap=roadmap)
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
    points = _points_by_item(workspace, ids)

    start, end = _grid_range(items, today)
    total = (end - start).days + 1
    bars: dict[int, TimelineBar] = {}
    for item in items:
        first = item.start_date or item.target_date
        last = item.target_date or item.start_date
        left = width = None
        if first is not None and last is not None:
            left = (first - start).days / total
            width = ((last - first).days + 1) / total
        done, all_points = points.get(item.pk, (Decimal(0), Decimal(0)))
        bars[item.pk] = TimelineBar(
            item=item,
            start=first,
            end=last,
            left=left,
            width=width,
            is_late=bool(item.target_date and item.target_date < today and not item.is_closed),
            done_points=done,
            total_points=all_points,
        )
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
    objectives_of: dict[int, list[Objective]] = defaultdict(list)
    for link in links:
        bars[link.item_id].key_result_ids.append(link.key_result_id)
        objective = link.key_result.objective
        if objective not in objectives_of[link.item_id]:
            objectives_of[link.item_id].append(objective)

    groups: dict[str, TimelineGroup] = {}
    for item in items:
        bar = bars[item.pk]
        if group_by == "team":
            keys = (
                [(f"team:{item.owner_team_id}", item.owner_team.name)]
                if item.owner_team
                else [("none", "No team")]
            )
        else:
            keys = [(f"objective:{o.pk}", o.title) for o in objectives_of[item.pk]] or [
                ("none", "No objective")
            ]
        for key, label in keys:
            groups.setdefault(key, TimelineGroup(key=key, label=label)).bars.append(bar)
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


def _points_by_item(
    workspace: Workspace, item_ids: list[int]
) -> dict[int, tuple[Decimal, Decimal]]:
    """(done points, total points) of each item's tasks, canceled left out: one query.

    Reads tasks through the reverse relation so roadmaps/ does not import tasks/.
    """
    if not item_ids:
        return {}
    rows = (
        RoadmapItem.objects.for_workspace(workspace)
        .filter(pk__in=item_ids)
        .annotate(
            total=Sum("tasks__estimate", filter=~Q(tasks__state_category=CANCELED_CATEGORY)),
            done=Sum("tasks__estimate", filter=Q(tasks__state_category=DONE_CATEGORY)),
        )
        .values_list("pk", "done", "total")
    )
    return {pk: (done or Decimal(0), total or Decimal(0)) for pk, done, total in rows}
