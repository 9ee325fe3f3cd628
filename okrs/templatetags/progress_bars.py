"""`{% progress_bar pct exp code basis %}`: a progress bar with its expected-pace marker.

Inline SVG (the CSP forbids style attributes). Written here rather than by an included
template: the leader dashboard draws one per team and the OKR pages one per objective and key
result, and an `{% include %}` per bar was a third of the leader dashboard's render at 100
teams (issue #15). Numbers are written unlocalized: SVG wants plain ones.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def progress_bar(pct: Any, exp: Any, code: Any, basis: Any = "") -> SafeString:
    """`pct` and `exp` are 0–100; `code` the status (on_track, at_risk, off_track, …)."""
    pct, exp = str(pct), str(exp)
    title = f"{pct}% done, {exp}% expected by today"
    return format_html(
        '<svg class="bar bar-{}" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        'aria-label="{}"><title>{}{}</title>'
        '<rect class="bar-track" x="0" y="2" width="100" height="6"/>'
        '<rect class="bar-fill" x="0" y="2" width="{}" height="6"/>'
        '<line class="bar-pace" x1="{}" x2="{}" y1="0" y2="10" '
        'vector-effect="non-scaling-stroke"/></svg>',
        code,
        title,
        title,
        f" · {basis}" if basis else "",
        pct,
        exp,
        exp,
    )
