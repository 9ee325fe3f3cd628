"""The digest's numbers are the read-model rows every page shows, not a day-old snapshot."""

from __future__ import annotations

from datetime import timedelta

from dashboards.models import Snapshot
from integrations.digest import build_digest
from readmodel.selectors import rollups_for


def test_what_moved_ends_at_the_objectives_current_row(planned, today):
    # The day's snapshot is not taken yet: the latest one says 35%, the row (and the page) 42%.
    Snapshot.objects.filter(node_id=planned.company.pk, day=today).update(
        day=today - timedelta(days=1), progress="0.35"
    )
    built = build_digest(planned.world.workspace, today=today)
    row = rollups_for(planned.world.workspace.pk, {"objective": [planned.company.pk]})[
        ("objective", planned.company.pk)
    ]
    [moved] = built.moved
    assert (moved.from_percent, moved.to_percent) == (30, row.percent) == (30, 42)
    assert (moved.expected_percent, moved.status) == (row.expected_percent, row.status)
    assert built.compared == (today - timedelta(days=7), today)


def test_at_risk_lines_show_the_key_results_row(planned, today):
    built = build_digest(planned.world.workspace, today=today)
    row = rollups_for(planned.world.workspace.pk, {"key_result": [planned.key_result.pk]})[
        ("key_result", planned.key_result.pk)
    ]
    [line] = [r for r in built.at_risk if r.kind == "Key result"]
    assert (line.percent, line.expected_percent, line.status) == (
        row.percent,
        row.expected_percent,
        row.status,
    )
