"""What every server-rendered SVG chart shares, whatever draws it: the plot area inside the
chart's padding and a line's points as an SVG `points` attribute. OKR pages
(`okrs/charts.py`, drawn by a template) and the dashboards (`dashboards/charts.py`, drawn by
`chart_html.py`) build on it; each keeps its own scales, since their values differ (a key
result's baseline-to-target range, counts from zero).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class XY(Protocol):
    @property
    def x(self) -> float: ...

    @property
    def y(self) -> float: ...


def polyline(points: Iterable[XY]) -> str:
    """Points as an SVG polyline's `points` attribute, one decimal each."""
    return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)


class PlotFrame:
    """The plot area of a chart `width` by `height`, inside its padding (where the axes run)."""

    width: int
    height: int
    pad_left: int
    pad_right: int
    pad_bottom: int

    @property
    def plot_left(self) -> int:
        return self.pad_left

    @property
    def plot_right(self) -> int:
        return self.width - self.pad_right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.pad_bottom
