"""Progress trends of OKR nodes over their period, read from the daily snapshots.

The objective page draws one chart for the objective and one per key result; all of them come
from `progress_series`, one query whatever the number of nodes, so the page's query count does
not grow with its key results. The expected pace is the period's elapsed share, exactly as
`okrs.progress.expected_progress` computes it: 0% on the first day, 100% on the last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Q

from alignment import timezones
from alignment.models import Workspace
from dashboards.charts import HEIGHT, Area, Chart, Series, dated_line_chart, y_of
from dashboards.models import Snapshot
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective
from readmodel.forecasts import ForecastRow

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
    slug: str,
    subject: str,
    points: list[TrendPoint],
    *,
    start: date,
    end: date,
    today: date,
    forecast: ForecastRow | None = None,
) -> Trend:
    """A node's progress per day against the expected pace over its period (percent), with
    the forecast's band (P15 to P85 of the runs) and median from today to the period's end."""
    chart = dated_line_chart(
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
    band = _forecast_band(chart, forecast, start=start, end=end, today=today)
    if not points:
        return Trend(chart, f"No daily snapshot yet. {pace}{band}")
    first, last = points[0], points[-1]
    return Trend(
        chart,
        (
            f"{len(points)} daily snapshot{'' if len(points) == 1 else 's'}: "
            f"{first.percent:g}% on {first.day:%d %b}, {last.percent:g}% on {last.day:%d %b} "
            f"(expected {expected_percent(start=start, end=end, day=last.day):g}% that day). "
            + pace
            + band
        ),
    )


def _forecast_band(
    chart: Chart, forecast: ForecastRow | None, *, start: date, end: date, today: date
) -> str:
    """Draw the forecast on the chart (a band and a dashed median); its words for <desc>."""
    if forecast is None or not forecast.band or forecast.progress is None:
        return ""
    days = [(date.fromisoformat(d), lo, mid, hi) for d, lo, mid, hi in forecast.band]
    days = [(today, forecast.progress, forecast.progress, forecast.progress), *days]
    days = [row for row in days if start <= row[0] <= end]
    if len(days) < 2:
        return ""
    span = max((end - start).days, 1)
    x0, x1 = chart.plot_left, chart.plot_right

    def x(day: date) -> float:
        return x0 + (x1 - x0) * min(max((day - start).days / span, 0.0), 1.0)

    def y(share: float) -> float:
        return y_of(share * 100, 100.0, HEIGHT)

    upper = [f"{x(d):.1f},{y(hi):.1f}" for d, _, _, hi in days]
    lower = [f"{x(d):.1f},{y(lo):.1f}" for d, lo, _, _ in reversed(days)]
    chart.areas.append(
        Area("Forecast, 15th to 85th percentile", "area-forecast", " ".join(upper + lower))
    )
    median = dated_line_chart(
        chart.slug,
        "",
        start=start,
        end=end,
        lines=[
            (
                "Forecast (median)",
                "series-forecast",
                [(d, round(mid * 100, 1)) for d, _, mid, _ in days],
            )
        ],
        top=100.0,
        unit="%",
    ).series[0]
    chart.series.append(Series(median.name, median.css, median.points))
    last = days[-1]
    chance = "" if forecast.percent is None else f" ({forecast.percent}% likely to reach 100%)"
    return (
        f" Forecast from its own pace: {round(last[2] * 100):g}% by {last[0]:%d %b %Y} "
        f"(median){chance}, between {round(last[1] * 100):g}% and {round(last[3] * 100):g}% "
        "in 70% of the simulated runs."
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


# ---- the objective page's charts (fills the okrs.selectors.trends slot) ---------------

OBJECTIVE, KEY_RESULT = "objective", "key_result"


@dataclass
class ObjectiveTrends:
    objective: Trend
    key_results: dict[int, Trend]
    empty: str = EMPTY


def trends_for(
    objective: Objective,
    key_results: Sequence[KeyResult],
    *,
    today: date | None = None,
    forecasts: Mapping[tuple[str, int], ForecastRow] | None = None,
) -> ObjectiveTrends:
    """The objective's chart and one per key result: one query for all of them; each with
    its forecast's band when `forecasts` has one."""
    forecasts = forecasts or {}
    period = objective.period
    today = today or timezones.today_of(objective.workspace_id)
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
            forecast=forecasts.get((kind, node_id)),
        )

    return ObjectiveTrends(
        objective=chart(OBJECTIVE, objective.pk, f"the objective “{objective.title}”"),
        key_results={
            kr.pk: chart(KEY_RESULT, kr.pk, f"the key result “{kr.title}”") for kr in key_results
        },
    )
