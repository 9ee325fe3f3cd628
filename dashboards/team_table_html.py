"""The team comparison table's rows, written in Python (leader dashboard, team delivery).

A row drew a link, a progress bar, a sparkline and four DORA cells through the template
engine: ≈ 240 µs a team, a third of the leader dashboard's CPU at 100 teams (issue #15).
The markup is the one `templates/dashboards/_team_table.html` wrote; numbers are localized
as `{{ value }}` localizes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import get_format, localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language

from dashboards.team_rows import TeamRow
from okrs.templatetags.progress_bars import progress_bar

_NONE = mark_safe('<span class="muted">—</span>')


def team_rows_html(rows: Sequence[TeamRow], slug: str) -> SafeString:
    """The `<tr>` of every team, in order."""
    # Reversed once for the table, not per row; the number format read once too.
    head, tail = reverse("dashboards:team", args=[slug, 0]).rsplit("/0/", 1)
    number = _number_format()
    return mark_safe("".join(_row(row, f"{head}/{row.team.pk}/{tail}", number) for row in rows))


def _number_format() -> Callable[[Any], str]:
    """`localize` for this table's numbers, with the active language's separators read once:
    per value, `localize` looks up the language and three formats (≈ 30% of a row's time at
    100 teams, issue #15). Anything but a number goes to `localize` itself."""
    language = get_language()
    decimal_sep = get_format("DECIMAL_SEPARATOR", language)
    grouping = get_format("NUMBER_GROUPING", language)
    thousand_sep = get_format("THOUSAND_SEPARATOR", language)

    def number(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return str(localize(value))
        return numberformat.format(value, decimal_sep, None, grouping, thousand_sep)

    return number


def _row(row: TeamRow, url: str, number: Callable[[Any], str]) -> str:
    # Written with f-strings: format_html escaped every argument, most of them numbers or
    # markup built here; text from the data (the team's name, the URL) is escaped below.
    rollup = row.rollup
    if rollup is not None and rollup.total_count:
        bar = progress_bar(
            rollup.percent, rollup.expected_percent, rollup.status, rollup.get_basis_display()
        )
        sprint = f"{bar} {escape(rollup.percent)}%"
    else:
        sprint = '<span class="muted">No active sprint</span>'
    aligned = row.alignment_percent
    velocity = row.velocity
    if velocity is None:
        velocity_cell = str(_NONE)
    else:
        spark = row.velocity_spark
        velocity_cell = f"{escape(number(velocity))} pts"
        if spark:
            points = escape(", ".join(number(v) for v in row.velocity_points))
            velocity_cell = (
                f'{velocity_cell} <svg class="spark" viewBox="0 0 80 20" role="img" '
                f'aria-label="Velocity of the last sprints: {points}"><title>Points per sprint: '
                f'{points}</title><polyline points="{escape(spark)}"/></svg>'
            )
    cycle = row.cycle_time_p50
    dora = "".join(
        (
            f'<td><span class="badge tier-{escape(tier)}" title="{escape(label)}: '
            f'{escape(number(value))}">{escape(capfirst(tier))}</span></td>'
        )
        if tier
        else f"<td>{_NONE}</td>"
        for label, tier, value in row.dora
    )
    return (
        f'<tr id="team-{escape(row.team.pk)}"><th scope="row"><a href="{escape(url)}">'
        f"{escape(row.team.name)}</a></th><td>{sprint}</td>"
        f"<td>{_NONE if aligned is None else escape(f'{aligned}%')}</td>"
        f"<td>{velocity_cell}</td>"
        f"<td>{_NONE if cycle is None else escape(number(cycle)) + ' d'}</td>{dora}</tr>"
    )
