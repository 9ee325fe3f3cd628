"""What moved this week, for the weekly digest: each objective's current read-model row (the
number its page shows today) against its snapshot of a week ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max
from django.urls import reverse

from alignment.models import Workspace
from dashboards.models import Snapshot
from dashboards.rollups.math import KR, OBJECTIVE
from okrs.models import KeyResult, Objective, ObjectiveLevel, Period
from okrs.selectors import current_period
from readmodel.selectors import RollupRow, rollups_for

MOVED_MIN = 0.01  # a change smaller than one percentage point is not "moved"


def point_unit(count: float) -> str:
    """ "pt" for one (or minus one) point, else "pts": percentage points and story points."""
    return "pt" if abs(count) == 1 else "pts"


def points(count: float) -> str:
    """`1 pt`, `2 pts`, `0.5 pts`."""
    return f"{count:g} {point_unit(count)}"


@dataclass(frozen=True)
class MovedObjective:
    title: str
    url: str
    level: str
    from_percent: int
    to_percent: int
    expected_from_percent: int
    expected_percent: int
    status: str

    @property
    def delta(self) -> int:
        return self.to_percent - self.from_percent

    @property
    def pace_gap(self) -> int:
        """Points ahead (+) or behind (−) the expected pace at the end of the week."""
        return self.to_percent - self.expected_percent

    @property
    def pace_words(self) -> str:
        gap = self.pace_gap
        if gap == 0:
            return "on pace"
        return f"{points(abs(gap))} {'ahead of' if gap > 0 else 'behind'} pace"

    @property
    def delta_text(self) -> str:
        return f"{self.delta:+d} {point_unit(self.delta)}"

    @property
    def pace_gap_text(self) -> str:
        return f"{self.pace_gap:+d} {point_unit(self.pace_gap)}"


def fresh_rows(workspace: Workspace, today: date) -> dict[tuple[str, int], RollupRow]:
    """The current period's objective and key result rows, brought up to date for `today`.

    Read before the dashboard's rows, so a digest sent in the morning shows the numbers every
    page shows that day (expected pace moves with the calendar) rather than yesterday's rows.
    Three queries when every row is current.
    """
    period = current_period(workspace, today=today)
    if period is None:
        return {}
    objectives = Objective.objects.for_workspace(workspace).live().filter(period=period)
    objective_ids = list(objectives.values_list("id", flat=True))
    key_result_ids = KeyResult.objects.for_workspace(workspace).filter(
        objective_id__in=objective_ids
    )
    return rollups_for(
        workspace.pk,
        {OBJECTIVE: objective_ids, KR: key_result_ids.values_list("id", flat=True)},
        today=today,
    )


def moved_this_week(
    workspace: Workspace,
    period: Period | None,
    today: date,
    rows: dict[tuple[str, int], RollupRow],
    *,
    shown: int,
) -> tuple[list[MovedObjective], int, tuple[date, date] | None]:
    """Objectives of the period whose progress moved since a week ago: three queries.

    "From" is each objective's snapshot a week ago; "to" is its current read-model row, the
    number its page shows today (the day's snapshot may not be taken yet).
    """
    if period is None:
        return [], 0, None
    snapshots = Snapshot.objects.filter(workspace=workspace, kind=OBJECTIVE)
    week_ago = today - timedelta(days=7)
    # Only the week before "a week ago" is looked at: older rows are no basis for "this
    # week", and the aggregate then reads a bounded slice of the workspace's history.
    from_day = snapshots.filter(day__gt=week_ago - timedelta(days=7), day__lte=week_ago).aggregate(
        from_day=Max("day")
    )["from_day"]
    if from_day is None:
        return [], 0, None
    in_period = Objective.objects.for_workspace(workspace).live().filter(period=period)
    titles = {
        pk: (title, level) for pk, title, level in in_period.values_list("id", "title", "level")
    }
    moved = []
    slug = workspace.slug
    for node_id, stored, pace in snapshots.filter(
        day=from_day, node_id__in=in_period.values("id")
    ).values_list("node_id", "progress", "expected"):
        row = rows.get((OBJECTIVE, node_id))
        if row is None or node_id not in titles:
            continue  # gone since: nothing to compare with
        before, expected_before = float(stored), float(pace)
        if abs(row.progress - before) < MOVED_MIN:
            continue
        title, level = titles[node_id]
        url = reverse("okrs:objective_detail", kwargs={"slug": slug, "objective_id": node_id})
        moved.append(
            MovedObjective(
                title=title,
                url=settings.SITE_URL + url,
                level=level,
                from_percent=round(before * 100),
                to_percent=row.percent,
                expected_from_percent=round(expected_before * 100),
                expected_percent=row.expected_percent,
                status=row.status,
            )
        )
    # Biggest moves first, company objectives before team ones at equal size.
    level_rank: dict[str, int] = {ObjectiveLevel.COMPANY.value: 0, ObjectiveLevel.TEAM.value: 1}
    moved.sort(key=lambda m: (-abs(m.delta), level_rank.get(m.level, 2), m.title))
    return moved[:shown], len(moved), (from_day, today)
