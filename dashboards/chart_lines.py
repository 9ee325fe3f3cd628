"""Chart shapes built on the primitives of `dashboards.charts` (same `Chart`, same template).

`dated_line_chart` places points by calendar date over a fixed span (a period), where
`charts.line_chart` spaces its labels evenly: a trend that has only ten days of snapshots then
covers the first ten days of the quarter, not the whole width, and a straight pace line from
the first to the last day stays straight.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dashboards.charts import HEIGHT, LEFT, RIGHT, WIDTH, Chart, Point, Series
from dashboards.charts import _fmt as fmt
from dashboards.charts import _ticks as ticks
from dashboards.charts import _y as y_of

Line = tuple[str, str, Sequence[tuple[date, float]]]  # (name, css class, (day, value)...)


def _with_unit(value: float, unit: str) -> str:
    return f"{fmt(value)}{unit}" if unit == "%" else f"{fmt(value)} {unit}"


def pace_value(start: date, end: date, day: date, first: float, last: float) -> float:
    """The straight line from `first` on `start` to `last` on `end`, read on `day` (clamped)."""
    span = (end - start).days
    if span <= 0:
        return last if day >= end else first
    share = min(max((day - start).days / span, 0.0), 1.0)
    return first + (last - first) * share


def dated_line_chart(
    slug: str,
    title: str,
    *,
    start: date,
    end: date,
    lines: Sequence[Line],
    pace: tuple[str, float, float] | None = None,
    top: float | None = None,
    unit: str = "points",
) -> Chart:
    """Lines of dated values over [start, end], with an optional straight pace line.

    `pace` is (name, value on `start`, value on `end`). The table view has a row per day that
    has a value, with each line's value ("" where a line has none) and the pace on that day.
    Values outside [start, end] are left out.
    """
    kept = [(n, c, [(d, v) for d, v in values if start <= d <= end]) for n, c, values in lines]
    everything = [v for _, _, values in kept for _, v in values]
    if pace is not None:
        everything += [pace[1], pace[2]]
    top = top if top is not None else (max([*everything, 0.0]) or 1.0)
    span = WIDTH - LEFT - RIGHT
    days = max((end - start).days, 1)

    def x(day: date) -> float:
        return LEFT + span * min(max((day - start).days / days, 0.0), 1.0)

    def point(day: date, name: str, value: float) -> Point:
        return Point(
            x(day), y_of(value, top, HEIGHT), f"{day:%d %b}: {name} {_with_unit(value, unit)}"
        )

    series = [Series(n, c, [point(d, n, v) for d, v in values]) for n, c, values in kept]
    columns = ["Day", *(n for n, _, _ in kept)]
    if pace is not None:
        name, first, last = pace
        series.insert(
            0, Series(name, "series-ideal", [point(start, name, first), point(end, name, last)])
        )
        columns.append(name)
    by_day: dict[date, dict[str, float]] = {}
    for n, _, values in kept:
        for d, v in values:
            by_day.setdefault(d, {})[n] = v
    rows = []
    for day in sorted(by_day):
        row = [
            day.isoformat(),
            *(fmt(by_day[day][n]) if n in by_day[day] else "" for n, _, _ in kept),
        ]
        if pace is not None:
            row.append(fmt(round(pace_value(start, end, day, pace[1], pace[2]), 1)))
        rows.append(row)
    return Chart(
        slug=slug,
        title=title,
        columns=columns,
        rows=rows,
        series=series,
        x_labels=[(x(start), f"{start:%d %b}"), (x(end), f"{end:%d %b}")],
        y_labels=ticks(top, HEIGHT),
    )


__all__ = ["dated_line_chart", "pace_value"]
