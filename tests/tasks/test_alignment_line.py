"""The task alignment line shows the read-model rows: task-fed progress, workspace thresholds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readmodel.selectors import rollups_for
from tasks import selectors
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemFactory,
    TaskFactory,
)

pytestmark = pytest.mark.calendar


@pytest.fixture
def task_fed(world, team, todo, done):
    """A company objective ← team objective ← task-fed KR ← item with 3 of 8 points done."""
    period = PeriodFactory(workspace=world.workspace)
    company = ObjectiveFactory(period=period, level="company", title="Win the market")
    objective = ObjectiveFactory(period=period, parent=company, team=team, title="Ship onboarding")
    kr = KeyResultFactory(objective=objective, source="tasks", title="Onboarding shipped")
    item = RoadmapItemFactory(roadmap=RoadmapFactory(workspace=world.workspace))
    KeyResultLinkFactory(item=item, key_result=kr, weight=Decimal(2))
    task = TaskFactory(team=team, roadmap_item=item, state=done, estimate=Decimal(3))
    TaskFactory(team=team, roadmap_item=item, state=todo, estimate=Decimal(5))
    return task, kr, objective, company, item


def _by_node(line):
    steps = [line.item_step, *line.key_results, *line.objectives[line.key_results[0].obj.pk]]
    return {(s.kind, s.obj.pk): s for s in steps}


def test_the_line_shows_task_fed_progress_from_the_rows(world, task_fed):
    task, kr, objective, company, item = task_fed
    line = selectors.alignment_line(world.workspace, task)
    steps = _by_node(line)
    # 3 of 8 points done: the old third computation said 0% here.
    assert steps[("key_result", kr.pk)].progress == pytest.approx(0.375)
    assert steps[("roadmap_item", item.pk)].percent == 38
    rows = rollups_for(
        world.workspace.pk,
        {"roadmap_item": [item.pk], "key_result": [kr.pk], "objective": [objective.pk, company.pk]},
    )
    assert set(steps) == set(rows)
    for key, row in rows.items():
        assert (steps[key].progress, steps[key].status) == (row.progress, row.status)
        assert steps[key].status_label in {"On track", "At risk", "Off track"}
    assert [s.obj for s in line.objectives[kr.pk]] == [objective, company]


def test_the_line_honours_the_workspace_thresholds(world, team, todo):
    # Nothing done half-way through the period: off track by default, on track when the
    # workspace tolerates being 90 points behind pace.
    def status_with(settings):
        world.workspace.settings = settings
        world.workspace.save(update_fields=["settings"])
        kr = KeyResultFactory(
            objective=ObjectiveFactory(period=PeriodFactory(workspace=world.workspace), team=team),
            source="tasks",
        )
        item = RoadmapItemFactory(roadmap=RoadmapFactory(workspace=world.workspace))
        KeyResultLinkFactory(item=item, key_result=kr)
        task = TaskFactory(team=team, roadmap_item=item, state=todo, estimate=Decimal(2))
        return selectors.alignment_line(world.workspace, task).key_results[0].status

    assert status_with({}) == "off_track"
    lenient = {"okrs": {"at_risk_gap": 0.9, "off_track_gap": 0.95}}
    assert status_with(lenient) == "on_track"


def test_the_line_reads_every_row_in_one_bulk_read(world, task_fed):
    task = task_fed[0]
    selectors.alignment_line(world.workspace, task)  # rows now exist and are current
    with CaptureQueriesContext(connection) as captured:
        selectors.alignment_line(world.workspace, task)
    rollup_reads = [q for q in captured if 'FROM "dashboards_rollup"' in q["sql"]]
    assert len(rollup_reads) == 1
    # links, objectives, the freshness queue check and the rows
    assert len(captured) <= 4


def test_the_task_page_and_api_show_the_rows(member_client, member_api, world, task_fed):
    task, kr, objective, company, item = task_fed
    rows = rollups_for(
        world.workspace.pk,
        {"roadmap_item": [item.pk], "key_result": [kr.pk], "objective": [objective.pk, company.pk]},
    )
    html = member_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/").content.decode()
    line = html[html.index('id="alignment-line"') :]
    for row in rows.values():
        shown = f'data-percent="{row.percent}" data-status="{row.status}"'
        assert f'data-node="{row.kind}-{row.node_id}" {shown}' in line
    data = member_api.get(
        f"/api/v1/workspaces/{world.workspace.slug}/tasks/{task.key}/alignment/"
    ).json()
    kr_data = data["key_results"][0]
    assert (kr_data["percent"], kr_data["status"]) == (38, rows[("key_result", kr.pk)].status)
    assert data["roadmap_item"]["percent"] == rows[("roadmap_item", item.pk)].percent
    assert [o["percent"] for o in kr_data["objectives"]] == [
        rows[("objective", objective.pk)].percent,
        rows[("objective", company.pk)].percent,
    ]
