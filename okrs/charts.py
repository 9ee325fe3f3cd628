"""Server-rendered SVG charts for OKR pages: plain coordinates, drawn by templates.

No inline styles (the CSP forbids them): sizes live in attributes and the viewBox, colours in
CSS classes. Every chart carries a <title> and each point its own <title> (values on hover and
for screen readers); pages offer the same data as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from decimal import Decimal

from django.utils import timezone

from alignment import timezones
from alignment.svg import PlotFrame, polyline
from okrs.models import CheckIn, KeyResult

WIDTH, HEIGHT = 560, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 16, 14, 26


def number(value: Decimal | float, unit: str = "") -> str:
    """A value as people write it: no trailing zeros, the unit after (or "%" glued on)."""
    text = f"{Decimal(str(value)).normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "€", "$", "£") else f"{text} {unit}"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the point's <title>
    when: datetime
    value: Decimal
    confidence: int
    author: str
    note: str


@dataclass(frozen=True)
class Line:
    y: float
    label: str
    css: str


@dataclass
class LineChart(PlotFrame):
    title: str
    points: list[Point]
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[Line] = field(default_factory=list)  # baseline / target guides
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    pace: tuple[float, float, float, float] | None = None  # expected path, baseline → target
    pad_left, pad_right, pad_bottom = PAD_LEFT, PAD_RIGHT, PAD_BOTTOM

    @property
    def polyline(self) -> str:
        return polyline(self.points)


def _moment(day: date, zone: tzinfo, *, end: bool = False) -> datetime:
    return datetime.combine(day, time.max if end else time.min, tzinfo=zone)


def check_in_chart(
    key_result: KeyResult,
    check_ins: Sequence[CheckIn],
    *,
    period_start: date,
    period_end: date,
) -> LineChart:
    """Check-in values over the period, with baseline/target guides and the expected pace."""
    unit = key_result.unit
    ordered = sorted(check_ins, key=lambda c: (c.created_at, c.pk))
    # The period's days are the workspace's; check-in labels below are in the viewer's zone.
    zone = timezones.workspace_zone_of(key_result.workspace_id)
    start, end = _moment(period_start, zone), _moment(period_end, zone, end=True)
    if ordered:
        start = min(start, ordered[0].created_at)
        end = max(end, ordered[-1].created_at)
    span = max((end - start).total_seconds(), 1.0)
    values = [float(c.value) for c in ordered]
    low = min([float(key_result.baseline), float(key_result.target), *values])
    high = max([float(key_result.baseline), float(key_result.target), *values])
    if high == low:
        high = low + 1
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(moment: datetime) -> float:
        return PAD_LEFT + plot_w * (moment - start).total_seconds() / span

    def y_of(value: float) -> float:
        return PAD_TOP + plot_h * (1 - (value - low) / (high - low))

    points = [
        Point(
            x=x_of(c.created_at),
            y=y_of(float(c.value)),
            label=(
                f"{timezone.localtime(c.created_at):%d %b}: {number(c.value, unit)}, "
                f"confidence {c.confidence}/10"
                + (f" — {c.author.display_name}" if c.author else "")
            ),
            when=c.created_at,
            value=c.value,
            confidence=c.confidence,
            author=c.author.display_name if c.author else "",
            note=c.note,
        )
        for c in ordered
    ]
    baseline, target = float(key_result.baseline), float(key_result.target)
    lines = [
        Line(y_of(baseline), f"Baseline {number(key_result.baseline, unit)}", "guide-baseline"),
        Line(y_of(target), f"Target {number(key_result.target, unit)}", "guide-target"),
    ]
    period_x0, period_x1 = (
        x_of(_moment(period_start, zone)),
        x_of(_moment(period_end, zone, end=True)),
    )
    latest = f"latest {number(ordered[-1].value, unit)}" if ordered else "no check-ins yet"
    return LineChart(
        title=(
            f"Check-ins of “{key_result.title}”: {len(points)} "
            f"value{'' if len(points) == 1 else 's'}, {latest}; "
            f"from {number(key_result.baseline, unit)} to {number(key_result.target, unit)}."
        ),
        points=points,
        lines=lines,
        x_labels=[(period_x0, f"{period_start:%d %b}"), (period_x1, f"{period_end:%d %b}")],
        pace=(period_x0, y_of(baseline), period_x1, y_of(target)),
    )


__all__ = ["LineChart", "Point", "check_in_chart", "number"]
