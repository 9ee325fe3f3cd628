"""A cold read computes what the requested rows are made of first: a parent read before its
children (no rows anywhere: a world built with factories, no events) shows the same number
as one read after them, and as a full recompute."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment.models import Workspace
from dashboards import rollups
from dashboards.models import RollupPending
from dashboards.rollups.passes import Seeds
from okrs.models import KeyResultSource, Objective, ObjectiveLevel
from readmodel.models import Rollup
from readmodel.selectors import refresh_rows_of, rollup_for, rollups_for, rows_are_current
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import SprintFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(world):
    today = timezone.localdate()
    return PeriodFactory(
        workspace=world.workspace, start=today - timedelta(days=45), end=today + timedelta(days=45)
    )


@pytest.fixture
def company(period):
    company = ObjectiveFactory(period=period, level=ObjectiveLevel.COMPANY, team=None)
    KeyResultFactory(objective=company, current=40)
    return company


def _progress(world, kind: str, node_id: int) -> float:
    row = rollup_for(world.workspace.pk, kind, node_id)
    assert row is not None
    return row.progress


def test_a_cold_parent_counts_a_child_objective_that_had_no_row(world, period, company):
    child = ObjectiveFactory(period=period, team=world.team, parent=company)
    KeyResultFactory(objective=child, current=80)
    assert not Rollup.objects.filter(workspace=world.workspace).exists()

    first = _progress(world, "objective", company.pk)

    assert first == pytest.approx(0.6)  # (0.4 + 0.8) / 2, not 0.4 without the child
    assert _progress(world, "objective", child.pk) == pytest.approx(0.8)
    assert _progress(world, "objective", company.pk) == first


def test_a_cold_parent_counts_a_grandchild_through_a_child_that_had_no_row(world, period, company):
    child = ObjectiveFactory(period=period, team=world.team, parent=company)
    KeyResultFactory(objective=child, current=80)
    grandchild = ObjectiveFactory(period=period, team=world.team, parent=child)
    KeyResultFactory(objective=grandchild, current=20)

    first = rollups_for(world.workspace.pk, {"objective": [company.pk]})

    # child: (0.8 + 0.2) / 2 = 0.5; company: (0.4 + 0.5) / 2 = 0.45.
    assert first[("objective", company.pk)].progress == pytest.approx(0.45)
    rollups.recompute_all(world.workspace)
    assert _progress(world, "objective", company.pk) == pytest.approx(0.45)


def test_a_cold_children_fed_key_result_counts_its_aligned_objectives(world, period, company):
    fed = KeyResultFactory(objective=company, source=KeyResultSource.CHILDREN)
    for current in (30, 90):
        aligned = ObjectiveFactory(period=period, team=world.team, parent_key_result=fed)
        KeyResultFactory(objective=aligned, current=current)

    assert _progress(world, "key_result", fed.pk) == pytest.approx(0.6)


def test_a_cold_team_shows_its_active_sprint_that_had_no_row(world):
    sprint = SprintFactory(team=world.team, status="active")
    TaskFactory(team=world.team, sprint=sprint, estimate=Decimal("3"))
    assert not Rollup.objects.filter(kind="sprint").exists()

    row = rollup_for(world.workspace.pk, "team", world.team.pk)

    assert row is not None
    assert row.basis != "none"  # the active sprint's numbers, not "no active sprint"
    assert (row.total_points, row.total_count) == (Decimal("3"), 1)


def test_a_refresh_from_a_change_builds_the_rowless_children_of_what_it_walks_up_to(
    world, period, company
):
    # A check-in on the company's own key result walks up to the company objective while
    # its aligned child has no row: the stored parent must count the child all the same,
    # or later reads take the wrong row as current.
    own = company.key_results.get()
    child = ObjectiveFactory(period=period, team=world.team, parent=company)
    KeyResultFactory(objective=child, current=80)

    rollups.refresh(world.workspace, Seeds.of([("key_result", own.pk)]))

    stored = Rollup.objects.get(kind="objective", node_id=company.pk)
    assert stored.progress == Decimal("0.6000")
    assert Rollup.objects.filter(kind="objective", node_id=child.pk).exists()
    assert _progress(world, "objective", company.pk) == pytest.approx(0.6)


def test_refreshing_rows_of_a_queryset_costs_one_query_when_every_row_is_current(
    world, period, company
):
    nodes = {"objective": Objective.objects.filter(workspace=world.workspace)}
    refresh_rows_of(world.workspace.pk, nodes)  # cold: computes the company's row
    assert Rollup.objects.filter(kind="objective", node_id=company.pk).exists()
    for extra in range(2):
        ObjectiveFactory(period=period, team=world.team, parent=company, title=f"More {extra}")
        refresh_rows_of(world.workspace.pk, nodes)
        with CaptureQueriesContext(connection) as captured:
            refresh_rows_of(world.workspace.pk, nodes)
        # One UNION ALL: the queue's marker row (none: empty) and the nodes lacking a row.
        assert len(captured) == 1


def _current(world, nodes, *, today=None) -> bool:
    """`rows_are_current` as a page reads it: annotated on a row it reads anyway."""
    condition = rows_are_current(world.workspace.pk, nodes, today=today)
    return bool(Workspace.objects.filter(pk=world.workspace.pk).annotate(c=condition).get().c)


def test_rows_are_current_only_when_refreshing_would_have_nothing_to_do(world, period, company):
    nodes = {"objective": Objective.objects.filter(workspace=world.workspace)}
    cold = _current(world, nodes)
    refresh_rows_of(world.workspace.pk, nodes)
    fresh = _current(world, nodes)
    RollupPending.objects.create(workspace=world.workspace, kind="objective", node_id=company.pk)
    queued = _current(world, nodes)
    refresh_rows_of(world.workspace.pk, nodes)
    tomorrow = _current(world, nodes, today=timezone.localdate() + timedelta(days=1))

    assert (cold, fresh, queued, tomorrow) == (False, True, False, False)
    assert _current(world, nodes)  # the queue was drained by the refresh
