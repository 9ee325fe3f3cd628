"""`{% chart_figure chart desc=… empty=… %}`: a chart's markup, written in Python
(`dashboards.chart_html`: a page with several charts rendered them node by node)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from dashboards import chart_html
from dashboards.charts import Chart

register = template.Library()


@register.simple_tag
def chart_figure(chart: Chart | None, desc: str = "", empty: str = "") -> SafeString:
    return chart_html.chart_figure(chart, desc=desc, empty=empty)
