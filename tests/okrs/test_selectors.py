"""Read side: trees and explanations, computed for a whole page in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okrs import selectors
from okrs.models import ObjectiveLevel
from tasks.models import StateCategory
from tests.factories.okrs import (
    CheckInFactory,
    KeyResultFactory,
    ObjectiveFactory,
    PeriodFactory,
)
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemFactory,
    TaskFactory,
    state_of,
)

pytestmark = pytest.mark.django_db


def _grow(period, world, count):
    root = ObjectiveFactory(period=period, level=ObjectiveLevel.COMPANY, title="Root")
    for n in range(count - 1):
        child = ObjectiveFactory(period=period, team=world.team, parent=root, title=f"Child {n}")
        KeyResultFactory(objective=child, current=n)
        KeyResultFactory(objective=child, kind="boolean", baseline=0, target=1, current=1)


def _tree_queries(world, period):
    with CaptureQueriesContext(connection) as captured:
        tree = selectors.objective_tree_for_period(world.workspace, period)
        list(tree.walk())
    return len(captured)


def test_tree_query_count_is_the_same_for_5_and_50_objectives(world, period, next_period):
    _grow(period, world, 5)
    _grow(next_period, world, 50)
    # The first read computes the missing rows; a warm read is the objectives, their KRs,
    # the read model's queue check and one read of the rows.
    _tree_queries(world, period), _tree_queries(world, next_period)
    assert _tree_queries(world, period) == _tree_queries(world, next_period) == 4


def test_tree_nests_children_under_their_parent(world, period):
    root = ObjectiveFactory(period=period, level=ObjectiveLevel.COMPANY, title="Root")
    child = ObjectiveFactory(period=period, team=world.team, parent=root, title="Child")
    tree = selectors.objective_tree_for_period(world.workspace, period)
    assert [n.objective for n in tree.roots] == [root]
    assert [(n.objective, n.depth) for n in tree.roots[0].children] == [(child, 1)]


def test_tree_carries_kr_progress_and_objective_weighted_progress(world, objective, today):
    KeyResultFactory(objective=objective, baseline=0, target=100, current=50, weight=3)
    KeyResultFactory(objective=objective, baseline=0, target=100, current=10, weight=1)
    node = selectors.objective_tree_for_period(world.workspace, objective.period).roots[0]
    assert [kr.progress for kr in node.key_results] == [0.5, 0.1]
    assert node.progress == pytest.approx(0.4)
    assert node.expected == 0.5


def test_tree_leaves_out_archived_objectives(world, objective):
    objective.status = "archived"
    objective.save()
    assert selectors.objective_tree_for_period(world.workspace, objective.period).roots == []


def test_tree_filter_keeps_the_ancestors_of_a_match(world, period):
    root = ObjectiveFactory(period=period, level=ObjectiveLevel.COMPANY, owner=world.admin.user)
    ObjectiveFactory(period=period, team=world.team, parent=root, owner=world.member.user)
    ObjectiveFactory(period=period, team=world.team, parent=root, owner=world.admin.user)
    tree = selectors.objective_tree_for_period(
        world.workspace, period, {"owner": str(world.member.user.pk), "level": "team"}
    )
    assert tree.roots[0].matches is False
    assert [c.objective.owner for c in tree.roots[0].children] == [world.member.user]


def test_tree_of_another_workspace_is_empty(world, world_b, objective):
    assert selectors.objective_tree_for_period(world_b.workspace, objective.period).roots == []


def test_children_kr_rolls_up_aligned_objectives(world, objective):
    parent_kr = KeyResultFactory(objective=objective, source="children", target=100)
    aligned = ObjectiveFactory(
        period=objective.period, parent=objective, parent_key_result=parent_kr
    )
    KeyResultFactory(objective=aligned, baseline=0, target=10, current=4)
    node = selectors.objective_tree_for_period(world.workspace, objective.period).roots[0]
    assert (node.key_results[0].progress, node.key_results[0].basis) == (0.4, "children")


def test_tasks_kr_shows_the_link_weighted_done_share_of_its_work(world, objective):
    kr = KeyResultFactory(objective=objective, source="tasks", baseline=0, target=10, current=9)
    item = RoadmapItemFactory(roadmap=RoadmapFactory(workspace=world.workspace))
    KeyResultLinkFactory(item=item, key_result=kr)
    TaskFactory(
        team=world.team,
        roadmap_item=item,
        estimate=Decimal("1"),
        state=state_of(world.team, StateCategory.DONE),
    )
    TaskFactory(team=world.team, roadmap_item=item, estimate=Decimal("3"))
    node = selectors.objective_tree_for_period(world.workspace, objective.period).roots[0]
    # From the work (1 of 4 points), not from the stale current value of 9 of 10.
    assert (node.key_results[0].progress, node.key_results[0].basis) == (0.25, "tasks")


def test_explanation_lists_contributions_and_history(world, objective, today):
    kr_a = KeyResultFactory(objective=objective, baseline=0, target=100, current=80, weight=1)
    kr_b = KeyResultFactory(objective=objective, baseline=0, target=100, current=20, weight=3)
    CheckInFactory(key_result=kr_a, value=Decimal("80"), note="Up")
    explanation = selectors.objective_explanation(objective)
    rows = [
        (k.node.key_result, k.node.weight_share, round(k.node.contribution, 4))
        for k in explanation.key_results
    ]
    assert rows == [(kr_a, 0.25, 0.2), (kr_b, 0.75, 0.15)]
    assert [c.note for c in explanation.key_results[0].check_ins] == ["Up"]
    assert explanation.node.progress == pytest.approx(0.35)


def test_explanation_states_reasons_as_sentences(world, objective, today):
    KeyResultFactory(objective=objective, baseline=0, target=100, current=10)
    explanation = selectors.objective_explanation(objective)
    assert explanation.node.status.code == "off_track"
    assert explanation.reason_sentences[0] == (
        "Progress is 10% but 50% of the period has passed (40 points behind pace)."
    )


def test_current_period_contains_today(world, period, next_period):
    assert selectors.current_period(world.workspace) == period


def test_progress_for_objectives_is_two_queries_for_a_page(world, period):
    objectives = [ObjectiveFactory(period=period, team=world.team) for _ in range(4)]
    for o in objectives:
        KeyResultFactory(objective=o)
    for o in objectives:  # the page's rows come with their period loaded
        o.period = period
    selectors.progress_for_objectives(world.workspace, objectives)  # computes the rows
    with CaptureQueriesContext(connection) as captured:
        nodes = selectors.progress_for_objectives(world.workspace, objectives)
    # Objectives, KRs, the read model's queue check and one read of the rows.
    assert (len(nodes), len(captured)) == (4, 4)


def test_period_not_started_yet_reads_as_on_track(world, today):
    later = PeriodFactory(workspace=world.workspace, start=today + timedelta(days=3))
    objective = ObjectiveFactory(period=later, team=world.team)
    KeyResultFactory(objective=objective)
    node = selectors.objective_tree_for_period(world.workspace, later).roots[0]
    assert [r.code for r in node.key_results[0].reasons] == ["period_not_started"]
