"""The team comparison table's rows, written in Python (leader dashboard, team delivery).

A row drew a link, a progress bar, a sparkline and four DORA cells through the template
engine: ≈ 240 µs a team, a third of the leader dashboard's CPU at 100 teams (issue #15).
The markup is the one `templates/dashboards/_team_table.html` wrote; numbers are localized
as `{{ value }}` localizes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from dashboards.team_rows import TeamRow
from okrs.templatetags.progress_bars import progress_bar

_NONE = mark_safe('<span class="muted">—</span>')


def team_rows_html(rows: Sequence[TeamRow], slug: str) -> SafeString:
    """The `<tr>` of every team, in order."""
    # Reversed once for the table, not per row.
    head, tail = reverse("dashboards:team", args=[slug, 0]).rsplit("/0/", 1)
    return mark_safe("".join(_row(row, f"{head}/{row.team.pk}/{tail}") for row in rows))


def _row(row: TeamRow, url: str) -> str:
    rollup = row.rollup
    if rollup is not None and rollup.total_count:
        sprint = format_html(
            "{} {}%",
            progress_bar(
                rollup.percent, rollup.expected_percent, rollup.status, rollup.get_basis_display()
            ),
            rollup.percent,
        )
    else:
        sprint = mark_safe('<span class="muted">No active sprint</span>')
    aligned = row.alignment_percent
    velocity = row.velocity
    if velocity is None:
        velocity_cell = _NONE
    else:
        spark = row.velocity_spark
        velocity_cell = format_html("{} pts", localize(velocity))
        if spark:
            points = ", ".join(localize(v) for v in row.velocity_points)
            velocity_cell = format_html(
                '{} <svg class="spark" viewBox="0 0 80 20" role="img" '
                'aria-label="Velocity of the last sprints: {}"><title>Points per sprint: {}'
                '</title><polyline points="{}"/></svg>',
                velocity_cell,
                points,
                points,
                spark,
            )
    cycle = row.cycle_time_p50
    dora = format_html_join(
        "",
        "<td>{}</td>",
        (
            (
                format_html(
                    '<span class="badge tier-{}" title="{}: {}">{}</span>',
                    tier,
                    label,
                    localize(value),
                    capfirst(tier),
                )
                if tier
                else _NONE,
            )
            for label, tier, value in row.dora
        ),
    )
    return format_html(
        '<tr id="team-{}"><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td>{}</tr>",
        row.team.pk,
        url,
        row.team.name,
        sprint,
        _NONE if aligned is None else f"{aligned}%",
        velocity_cell,
        _NONE if cycle is None else format_html("{} d", localize(cycle)),
        dora,
    )
