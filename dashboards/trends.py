"""Progress trends of OKR nodes over their period, read from the daily snapshots.

The objective page draws one chart for the objective and one per key result; all of them come
from `progress_series`, one query whatever the number of nodes, so the page's query count does
not grow with its key results. The expected pace is the period's elapsed share, exactly as
`okrs.progress.expected_progress` computes it: 0% on the first day, 100% on the last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone

from alignment.models import Workspace
from dashboards import chart_lines
from dashboards.charts import Chart
from dashboards.models import Snapshot
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective

Node = tuple[str, int]  # (kind, id): ("objective", 4), ("key_result", 17)
EMPTY = "Trend appears after the first daily snapshot."


@dataclass(frozen=True)
class TrendPoint:
    day: date
    progress: float  # 0..1, as the snapshot stored it

    @property
    def percent(self) -> float:
        return round(self.progress * 100, 1)


def progress_series(
    workspace: Workspace, nodes: Iterable[Node], *, start: date, end: date
) -> dict[Node, list[TrendPoint]]:
    """Each node's daily snapshot progress from `start` to `end`, oldest first: one query."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for kind, node_id in nodes:
        wanted[kind].add(int(node_id))
    series: dict[Node, list[TrendPoint]] = {
        (kind, node_id): [] for kind, ids in wanted.items() for node_id in ids
    }
    if not series:
        return series
    which = reduce(or_, (Q(kind=kind, node_id__in=sorted(ids)) for kind, ids in wanted.items()))
    rows = (
        Snapshot.objects.filter(workspace=workspace, day__gte=start, day__lte=end)
        .filter(which)
        .order_by("kind", "node_id", "day")
        .values_list("kind", "node_id", "day", "progress")
    )
    for kind, node_id, day, progress in rows:
        series[(kind, node_id)].append(TrendPoint(day, float(progress)))
    return series


def expected_percent(*, start: date, end: date, day: date) -> float:
    """The expected pace on `day`, in percent (one decimal), as the OKR math defines it."""
    return round(okr_math.expected_progress(start=start, end=end, today=day) * 100, 1)


@dataclass
class Trend:
    """A trend chart and its long description (the SVG's <desc>)."""

    chart: Chart
    description: str


def trend_chart(
    slug: str, subject: str, points: list[TrendPoint], *, start: date, end: date, today: date
) -> Trend:
    """A node's progress per day against the expected pace over its period (percent)."""
    chart = chart_lines.dated_line_chart(
        slug,
        f"Progress of {subject} per day against the expected pace (percent)",
        start=start,
        end=end,
        lines=[("Progress", "series", [(p.day, p.percent) for p in points])],
        pace=("Expected pace", 0.0, 100.0),
        top=100.0,
        unit="%",
    )
    pace = (
        f"The expected pace is a straight line from 0% on {start:%d %b %Y} to 100% on "
        f"{end:%d %b %Y}; {expected_percent(start=start, end=end, day=today):g}% by today."
    )
    if not points:
        return Trend(chart, f"No daily snapshot yet. {pace}")
    first, last = points[0], points[-1]
    return Trend(
        chart,
        (
            f"{len(points)} daily snapshot{'' if len(points) == 1 else 's'}: "
            f"{first.percent:g}% on {first.day:%d %b}, {last.percent:g}% on {last.day:%d %b} "
            f"(expected {expected_percent(start=start, end=end, day=last.day):g}% that day). "
            + pace
        ),
    )


def csv_rows(
    charts: Iterable[tuple[Node, str, Chart]],
) -> tuple[list[str], list[list[str | int]]]:
    """The charts' table views as one CSV: the same rows the pages show, one per node and day."""
    header = ["kind", "id", "title", "day", "progress_percent", "expected_percent"]
    rows: list[list[str | int]] = [
        [kind, node_id, title, *row]
        for (kind, node_id), title, chart in charts
        for row in chart.rows
    ]
    return header, rows


__all__ = [
    "EMPTY",
    "Trend",
    "TrendPoint",
    "csv_rows",
    "expected_percent",
    "progress_series",
    "trend_chart",
]


# ---- the objective page's charts (registered with okrs.selectors.register_trends) -------

OBJECTIVE, KEY_RESULT = "objective", "key_result"


@dataclass
class ObjectiveTrends:
    objective: Trend
    key_results: dict[int, Trend]
    empty: str = EMPTY


def trends_for(
    objective: Objective, key_results: Sequence[KeyResult], *, today: date | None = None
) -> ObjectiveTrends:
    """The objective's chart and one per key result: one query for all of them."""
    period = objective.period
    today = today or timezone.localdate()
    nodes = [(OBJECTIVE, objective.pk), *((KEY_RESULT, kr.pk) for kr in key_results)]
    series = progress_series(objective.workspace, nodes, start=period.start, end=period.end)

    def chart(kind: str, node_id: int, subject: str) -> Trend:
        return trend_chart(
            f"{kind.replace('_', '-')}-{node_id}-trend",
            subject,
            series[(kind, node_id)],
            start=period.start,
            end=period.end,
            today=today,
        )

    return ObjectiveTrends(
        objective=chart(OBJECTIVE, objective.pk, f"the objective “{objective.title}”"),
        key_results={
            kr.pk: chart(KEY_RESULT, kr.pk, f"the key result “{kr.title}”") for kr in key_results
        },
    )
