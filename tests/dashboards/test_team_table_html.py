"""The team comparison rows written in Python (dashboards.team_table_html): exact markup,
text from the data escaped, numbers localized as a template's `{{ value }}` would be."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template
from django.test import override_settings

from alignment.models import Team
from dashboards.team_rows import TeamRow
from dashboards.team_table_html import team_rows_html
from readmodel.models import Rollup


def _row(name: str, *, metrics: dict, rollup: Rollup | None = None) -> TeamRow:
    return TeamRow(team=Team(pk=7, name=name), rollup=rollup, metrics=metrics)


def _localized(value: object) -> str:
    return Template("{{ value }}").render(Context({"value": value}))


def test_a_team_without_numbers_shows_dashes_and_its_escaped_name() -> None:
    html = team_rows_html([_row("R&D <core>", metrics={})], "acme")

    assert html == (
        '<tr id="team-7"><th scope="row"><a href="/w/acme/dashboards/teams/7/">'
        "R&amp;D &lt;core&gt;</a></th>"
        '<td><span class="muted">No active sprint</span></td>'
        '<td><span class="muted">—</span></td><td><span class="muted">—</span></td>'
        '<td><span class="muted">—</span></td>'
        + '<td><span class="muted">—</span></td>' * 4
        + "</tr>"
    )


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_numbers_read_as_the_template_engine_writes_them() -> None:
    rollup = Rollup(
        kind="team",
        node_id=7,
        progress=Decimal("0.4"),
        expected=Decimal("0.5"),
        status="at_risk",
        basis="points",
        total_count=3,
        total_points=Decimal("10"),
        aligned_points=Decimal("5"),
    )
    metrics = {
        "velocity": {"average": 1234.5, "points": [1000.5, 1468.5]},
        "cycle_time_days": {"p50": 2.25},
        "dora": {"lead_time": {"tier": "elite", "value": 12345.5}},
    }

    html = team_rows_html([_row("Core", metrics=metrics, rollup=rollup)], "acme")

    assert f"<td>{_localized(1234.5)} pts " in html
    assert f"Points per sprint: {_localized(1000.5)}, {_localized(1468.5)}</title>" in html
    assert f"<td>{_localized(2.25)} d</td>" in html
    assert f'title="Lead time: {_localized(12345.5)}">Elite</span>' in html
    assert _localized(1234.5) == "1,234.5"  # the setting is on: grouping is what is compared
    assert "<td>50%</td>" in html  # aligned: half of the points
    assert 'class="bar bar-at_risk"' in html
    assert "</svg> 40%</td>" in html
