"""Server-rendered SVG charts for the dashboards: coordinates here, markup in chart_html.py.

No inline styles (the CSP forbids them): sizes live in attributes, colours in CSS classes.
Every chart has a <title>; every point and bar its own <title> (values on hover and for
screen readers); each page also shows the same numbers as a table.

Two ways to place x: `line_chart`, `bar_chart` and `stacked_area_chart` space their labels
evenly; `dated_line_chart` places points by calendar date over a fixed span (a period), so a
trend with ten days of snapshots covers the first ten days of the quarter, not the whole
width, and a straight pace line from the first to the last day stays straight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from alignment.svg import PlotFrame, polyline

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 14, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass
class Series:
    name: str
    css: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return polyline(self.points)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    css: str = "bar-value"


@dataclass(frozen=True)
class Area:
    """One band of a stacked area chart, as an SVG polygon."""

    name: str
    css: str
    polygon: str


@dataclass
class Chart(PlotFrame):
    """One chart: the slug makes ids unique on a page; `rows` feed the table view."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    series: list[Series] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_labels: list[tuple[float, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    pad_left, pad_right, pad_bottom = LEFT, RIGHT, BOTTOM

    @property
    def x_label_marks(self) -> list[tuple[float, str, str]]:
        """x labels with a text anchor that keeps the first and last inside the drawing."""
        marks = []
        for x, label in self.x_labels:
            anchor = "middle"
            if x - self.plot_left < 16:
                anchor = "start"
            elif self.plot_right - x < 16:
                anchor = "end"
            marks.append((x, label, anchor))
        return marks

    @property
    def is_empty(self) -> bool:
        return not self.rows


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def y_of(value: float, top: float, height: int) -> float:
    span = height - TOP - BOTTOM
    return height - BOTTOM - (value / top) * span if top else height - BOTTOM


def ticks(top: float, height: int) -> list[tuple[float, str]]:
    return [(y_of(v, top, height), fmt(v)) for v in (0.0, top / 2, top)] if top else []


def line_chart(
    slug: str,
    title: str,
    labels: Sequence[str],
    lines: Sequence[tuple[str, str, Sequence[float]]],
    *,
    unit: str = "points",
) -> Chart:
    """Lines over shared x labels; `lines` are (name, css class, values)."""
    top = max([v for _, _, values in lines for v in values] + [0.0]) or 1.0
    count = len(labels)
    span = WIDTH - LEFT - RIGHT

    def x(i: int) -> float:
        return LEFT + (span * i / (count - 1) if count > 1 else span / 2)

    series = [
        Series(
            name,
            css,
            [
                Point(x(i), y_of(v, top, HEIGHT), f"{labels[i]}: {name} {fmt(v)} {unit}")
                for i, v in enumerate(values)
            ],
        )
        for name, css, values in lines
    ]
    x_labels = [(x(0), labels[0]), (x(count - 1), labels[-1])] if count else []
    rows = [[labels[i], *(fmt(values[i]) for _, _, values in lines)] for i in range(count)]
    return Chart(
        slug=slug,
        title=title,
        columns=["Day", *(name for name, _, _ in lines)],
        rows=rows,
        series=series,
        x_labels=x_labels,
        y_labels=ticks(top, HEIGHT),
    )


def bar_chart(
    slug: str, title: str, labels: Sequence[str], values: Sequence[float], *, unit: str = "points"
) -> Chart:
    """One bar per label."""
    top = max([*values, 0.0]) or 1.0
    count = len(labels)
    span = WIDTH - LEFT - RIGHT
    slot = span / count if count else span
    bars = []
    for i, value in enumerate(values):
        y = y_of(value, top, HEIGHT)
        bars.append(
            Bar(
                x=LEFT + slot * i + slot * 0.15,
                y=y,
                width=slot * 0.7,
                height=HEIGHT - BOTTOM - y,
                label=f"{labels[i]}: {fmt(value)} {unit}",
            )
        )
    x_labels = [(LEFT + slot * i + slot / 2, labels[i]) for i in range(count)]
    return Chart(
        slug=slug,
        title=title,
        columns=["Sprint", unit.capitalize()],
        rows=[[labels[i], fmt(values[i])] for i in range(count)],
        bars=bars,
        x_labels=x_labels,
        y_labels=ticks(top, HEIGHT),
    )


def stacked_area_chart(
    slug: str,
    title: str,
    labels: Sequence[str],
    bands: Sequence[tuple[str, str, Sequence[float]]],
    *,
    unit: str = "tasks",
) -> Chart:
    """Bands stacked bottom-up over shared x labels (cumulative flow); `bands` are
    (name, css class, values). Each day gets a full-height hover column whose <title> lists
    every band's value, since a polygon can only carry one title."""
    count = len(labels)
    totals = [sum(values[i] for _, _, values in bands) for i in range(count)]
    top = max([*totals, 0.0]) or 1.0
    span = WIDTH - LEFT - RIGHT

    def x(i: int) -> float:
        return LEFT + (span * i / (count - 1) if count > 1 else span / 2)

    # One day alone is drawn as a flat band across the plot, not as an invisible sliver.
    xs = [x(i) for i in range(count)] if count > 1 else [LEFT, WIDTH - RIGHT] * count
    index = list(range(count)) if count > 1 else [0, 0] * count
    areas = []
    below = [0.0] * count
    for name, css, values in bands:
        above = [below[i] + values[i] for i in range(count)]
        upper = [f"{xs[j]:.1f},{y_of(above[i], top, HEIGHT):.1f}" for j, i in enumerate(index)]
        lower = [f"{xs[j]:.1f},{y_of(below[i], top, HEIGHT):.1f}" for j, i in enumerate(index)]
        areas.append(Area(name, css, " ".join(upper + lower[::-1])))
        below = above
    slot = span / count if count else span
    columns = []
    for i in range(count):
        parts = ", ".join(f"{name} {fmt(values[i])}" for name, _, values in reversed(bands))
        left = x(i) - slot / 2 if count > 1 else LEFT
        columns.append(
            Bar(
                x=max(LEFT, left),
                y=TOP,
                width=min(slot, WIDTH - RIGHT - max(LEFT, left)) if count > 1 else span,
                height=HEIGHT - TOP - BOTTOM,
                label=f"{labels[i]}: {parts} ({fmt(totals[i])} {unit})",
                css="hover-column",
            )
        )
    x_labels = [(x(0), labels[0]), (x(count - 1), labels[-1])] if count else []
    return Chart(
        slug=slug,
        title=title,
        columns=["Day", *(name for name, _, _ in bands)],
        rows=[[labels[i], *(fmt(values[i]) for _, _, values in bands)] for i in range(count)],
        areas=areas,
        bars=columns,
        x_labels=x_labels,
        y_labels=ticks(top, HEIGHT),
    )


def sparkline(values: Sequence[float], *, width: int = 80, height: int = 20) -> str:
    """Points of a tiny trend line (for table cells), as an SVG polyline attribute."""
    if len(values) < 2:
        return ""
    top = max(values) or 1.0
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )


# ---- lines over calendar dates (the OKR trend charts) --------------------------------------

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
