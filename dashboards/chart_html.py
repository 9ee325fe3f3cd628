"""A chart's markup (`dashboards/_chart.html`), written in Python.

The team dashboard draws six charts a request; through the template language each point,
bar and table cell cost several node renders and filter calls, about a third of the page's
server time (issue #15). This writes the same elements and attributes in one pass: every
text escaped (`conditional_escape`), numbers localized as `{{ value }}` would
(`formats.localize`), coordinates as `stringformat:'.1f'` (one decimal).
"""

from __future__ import annotations

from typing import Any

from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from dashboards.charts import Chart

EMPTY = "Nothing to draw yet."


def _t(value: Any) -> str:
    """As `{{ value }}` renders it."""
    return str(conditional_escape(localize(value)))


def _f(value: float) -> str:
    """As `{{ value|stringformat:'.1f' }}` renders it."""
    return f"{value:.1f}"


def _svg(chart: Chart, desc: str) -> list[str]:
    slug = _t(chart.slug)
    left, right, bottom = _t(chart.plot_left), _t(chart.plot_right), _t(chart.plot_bottom)
    described = f' aria-describedby="chart-{slug}-desc"' if desc else ""
    out = [
        f'  <svg class="chart" viewBox="0 0 {_t(chart.width)} {_t(chart.height)}" role="img" '
        f'aria-labelledby="chart-{slug}-title"{described}>\n',
        f'    <title id="chart-{slug}-title">{_t(chart.title)}</title>\n',
    ]
    if desc:
        out.append(f'    <desc id="chart-{slug}-desc">{_t(desc)}</desc>\n')
    out.append(
        f'    <line class="axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>\n    '
    )
    for y, label in chart.y_labels:
        out.append(
            f'<line class="guide" x1="{left}" x2="{right}" y1="{_f(y)}" y2="{_f(y)}"/>'
            f'<text class="chart-label" x="{left}" y="{_f(y)}" dx="-6" dy="4" '
            f'text-anchor="end">{_t(label)}</text>'
        )
    out.append("\n    ")
    for area in chart.areas:
        out.append(
            f'<polygon class="area {_t(area.css)}" points="{_t(area.polygon)}">'
            f"<title>{_t(area.name)}</title></polygon>"
        )
    out.append("\n    ")
    for bar in chart.bars:
        out.append(
            f'<rect class="{_t(bar.css)}" x="{_f(bar.x)}" y="{_f(bar.y)}" '
            f'width="{_f(bar.width)}" height="{_f(bar.height)}" tabindex="0">'
            f"<title>{_t(bar.label)}</title></rect>"
        )
    out.append("\n")
    for series in chart.series:
        css = _t(series.css)
        out.append("    ")
        if len(series.points) > 1:
            out.append(
                f'<polyline class="{css}" points="{_t(series.polyline)}">'
                f"<title>{_t(series.name)}</title></polyline>"
            )
        out.append("\n    ")
        for point in series.points:
            out.append(
                f'<circle class="point {css}-point" cx="{_f(point.x)}" cy="{_f(point.y)}" '
                f'r="3" tabindex="0"><title>{_t(point.label)}</title></circle>'
            )
        out.append("\n")
    out.append("    ")
    height = _t(chart.height)
    for x, label, anchor in chart.x_label_marks:
        out.append(
            f'<text class="chart-label" x="{_f(x)}" y="{height}" dy="-8" '
            f'text-anchor="{_t(anchor)}">{_t(label)}</text>'
        )
    out.append("\n  </svg>\n")
    return out


def _legends(chart: Chart) -> list[str]:
    out = ["  "]
    if len(chart.series) > 1:
        spans = "".join(
            f'<span class="legend-{_t(s.css)}">{_t(s.name)}</span>' for s in chart.series
        )
        out.append(f'<figcaption class="legend">{spans}</figcaption>')
    out.append("\n  ")
    if chart.areas:
        spans = "".join(
            f'<span class="legend-{_t(a.css)}">{_t(a.name)}</span>' for a in reversed(chart.areas)
        )
        out.append(f'<figcaption class="legend">{spans}</figcaption>')
    out.append("\n")
    return out


def _table(chart: Chart) -> list[str]:
    head = "".join(f'<th scope="col">{_t(c)}</th>' for c in chart.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_t(cell)}</td>" for cell in row) + "</tr>" for row in chart.rows
    )
    return [
        '  <details class="chart-table">\n',
        "    <summary>Table view</summary>\n",
        '    <div class="table-wrap"><table class="data"><caption class="visually-hidden">'
        f"{_t(chart.title)}</caption>\n",
        f"      <thead><tr>{head}</tr></thead>\n",
        f"      <tbody>{body}</tbody>\n",
        "    </table></div>\n",
        "  </details>\n",
    ]


def chart_figure(chart: Chart | None, desc: str = "", empty: str = "") -> SafeString:
    """The chart as inline SVG with its legend and table view, or the `empty` sentence (also
    for a chart that was not loaded)."""
    slug = _t(chart.slug) if chart is not None else ""
    out = [f'<figure class="dash-chart" id="chart-{slug}">\n']
    if chart is None or chart.is_empty:
        out.append(f'  <p class="muted">{_t(empty or EMPTY)}</p>\n')
    else:
        out += [*_svg(chart, desc), *_legends(chart), *_table(chart)]
    out.append("</figure>\n")
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)
