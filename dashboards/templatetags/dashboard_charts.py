"""`{% chart_figure chart desc=… empty=… %}`: a chart's markup, and `{% team_rows rows slug %}`:
the team table's rows, written in Python (`dashboards.chart_html`, `dashboards.team_table_html`:
a page with several charts, or a hundred teams, rendered them node by node)."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.safestring import SafeString

from dashboards import chart_html, team_table_html
from dashboards.charts import Chart
from dashboards.team_rows import TeamRow

register = template.Library()


@register.simple_tag
def chart_figure(chart: Chart | None, desc: str = "", empty: str = "") -> SafeString:
    return chart_html.chart_figure(chart, desc=desc, empty=empty)


@register.simple_tag
def team_rows(rows: Sequence[TeamRow], slug: str) -> SafeString:
    """The team comparison table's rows (`dashboards.team_table_html`)."""
    return team_table_html.team_rows_html(rows, slug)
