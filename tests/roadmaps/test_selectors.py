from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from readmodel.selectors import rollups_for
from roadmaps.selectors import roadmap_timeline
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemDependencyFactory,
    RoadmapItemFactory,
    TaskFactory,
    state_of,
)

TODAY = date(2026, 2, 15)


def test_bars_sit_on_a_quarter_aligned_grid(world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    RoadmapItemFactory(
        roadmap=roadmap, owner_team=team, start_date=date(2026, 1, 1), target_date=date(2026, 1, 31)
    )
    timeline = roadmap_timeline(world.workspace, roadmap, today=TODAY)
    [bar] = timeline.groups[0].bars
    assert (timeline.start, timeline.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert [m.label for m in timeline.months] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert [q.label for q in timeline.quarters] == ["Q1 2026"]
    assert (bar.left, round(bar.width, 4)) == (0.0, round(31 / 90, 4))
    assert round(timeline.today_left, 4) == round(45 / 90, 4)


def test_an_overdue_open_item_is_late(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    RoadmapItemFactory(roadmap=roadmap, target_date=date(2026, 2, 1))
    RoadmapItemFactory(roadmap=roadmap, target_date=date(2026, 2, 1), status="done")
    timeline = roadmap_timeline(world.workspace, roadmap, today=TODAY)
    assert [b.is_late for b in timeline.groups[0].bars] == [True, False]


def test_dependency_markers_flag_blocked_and_overlapping_items(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    dependency = RoadmapItemDependencyFactory(
        blocking__roadmap=roadmap,
        blocking__start_date=date(2026, 1, 5),
        blocked__start_date=date(2026, 1, 20),
    )
    timeline = roadmap_timeline(world.workspace, roadmap, today=TODAY)
    bars = {b.item.pk: b for g in timeline.groups for b in g.bars}
    blocked = bars[dependency.blocked_id]
    assert (blocked.blocked_by, blocked.is_blocked, blocked.starts_before_blocker_ends) == (
        [dependency.blocking_id],
        True,
        True,
    )
    assert bars[dependency.blocking_id].blocks == [dependency.blocked_id]


def test_grouping_by_objective_puts_unlinked_items_last(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    link = KeyResultLinkFactory(item__roadmap=roadmap)
    RoadmapItemFactory(roadmap=roadmap)
    timeline = roadmap_timeline(world.workspace, roadmap, "objective", today=TODAY)
    assert [g.label for g in timeline.groups] == [
        link.key_result.objective.title,
        "No objective",
    ]


def test_bar_progress_counts_done_points(world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    item = RoadmapItemFactory(roadmap=roadmap)
    TaskFactory(team=team, roadmap_item=item, estimate=3, state=state_of(team, "done"))
    TaskFactory(team=team, roadmap_item=item, estimate=1)
    TaskFactory(team=team, roadmap_item=item, estimate=8, state=state_of(team, "canceled"))
    [bar] = roadmap_timeline(world.workspace, roadmap, today=TODAY).groups[0].bars
    assert bar.progress == 0.75
    assert (bar.measured.basis, bar.done_points, bar.total_points) == ("points", 3, 4)


def test_bar_progress_and_health_are_the_items_read_model_row(world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    item = RoadmapItemFactory(roadmap=roadmap, target_date=date(2026, 2, 1))
    TaskFactory(team=team, roadmap_item=item, state=state_of(team, "done"))
    TaskFactory(team=team, roadmap_item=item)
    [bar] = roadmap_timeline(world.workspace, roadmap, today=TODAY).groups[0].bars
    row = rollups_for(world.workspace.pk, {"roadmap_item": [item.pk]}, today=TODAY)[
        ("roadmap_item", item.pk)
    ]
    # Nothing estimated: progress counts tasks; past its target date with open work.
    assert (bar.progress, bar.measured.basis) == (0.5, "count")
    assert (bar.measured.status, row.status) == ("off_track", "off_track")
    assert bar.measured.reasons == ["14 days past the target date with 1 open task."]


def test_an_item_without_tasks_has_no_progress_to_show(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    RoadmapItemFactory(roadmap=roadmap)
    [bar] = roadmap_timeline(world.workspace, roadmap, today=TODAY).groups[0].bars
    assert (bar.progress, bar.measured.is_measured, bar.measured.status) == (
        None,
        False,
        "on_track",
    )


def test_timeline_query_count_is_the_same_for_2_and_20_items(world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)

    def grow(n):
        for _ in range(n):
            link = KeyResultLinkFactory(item__roadmap=roadmap, item__owner_team=team)
            RoadmapItemDependencyFactory(blocking=link.item, blocked__roadmap=roadmap)

    def count():
        with CaptureQueriesContext(connection) as captured:
            roadmap_timeline(world.workspace, roadmap, "objective", today=TODAY)
        return len(captured)

    # The first read computes the rows factories did not; pages read them warm (the
    # read model's queue check and one bulk read replace the old per-page aggregate).
    grow(1)
    count()
    small = count()
    grow(9)
    count()
    assert count() == small == 5
