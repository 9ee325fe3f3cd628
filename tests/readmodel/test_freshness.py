"""The read model is what pages show, kept fresh on read: queued nodes drained, missing and
earlier-day rows computed, and nothing recomputed beside it."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alignment import events, timezones
from dashboards.rollups import queue
from okrs import selectors
from okrs.models import KeyResult, Objective, ObjectiveLevel
from readmodel import freshness
from readmodel.models import Rollup
from readmodel.selectors import oldest_as_of, rollup_for, rollups_for
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(world):
    today = timezone.localdate()
    return PeriodFactory(
        workspace=world.workspace, start=today - timedelta(days=45), end=today + timedelta(days=45)
    )


@pytest.fixture
def objective(world, period):
    return ObjectiveFactory(period=period, team=world.team, title="Ship the new onboarding")


@pytest.fixture
def key_result(objective):
    return KeyResultFactory(objective=objective, baseline=0, target=100, current=50)


def _kr_progress(world, objective) -> float:
    tree = selectors.objective_tree_for_period(world.workspace, objective.period)
    return tree.nodes[objective.pk].key_results[0].progress


def test_a_missing_row_is_computed_on_read(world, key_result):
    assert not Rollup.objects.filter(workspace=world.workspace).exists()
    row = rollup_for(world.workspace.pk, "key_result", key_result.pk)
    assert (row.progress, row.basis, row.status) == (0.5, "check_ins", "on_track")
    stored = Rollup.objects.get(kind="key_result", node_id=key_result.pk)
    assert (stored.progress, row.as_of) == (Decimal("0.5000"), stored.computed_at)


def test_a_page_shows_the_row_not_a_live_recompute(world, objective, key_result):
    assert _kr_progress(world, objective) == 0.5
    # A write that bypasses the services (no event, nothing queued): the row stands.
    KeyResult.objects.filter(pk=key_result.pk).update(current=Decimal("90"))
    assert _kr_progress(world, objective) == 0.5
    # Once the node is queued (as every service write does), the next read drains it.
    queue.mark(world.workspace.pk, [("key_result", key_result.pk)])
    assert _kr_progress(world, objective) == 0.9
    assert not queue.RollupPending.objects.filter(workspace=world.workspace).exists()


def test_the_objective_page_shows_the_rows_number(member_client, world, objective, key_result):
    url = reverse("okrs:objective_detail", args=[world.workspace.slug, objective.pk])
    assert 'id="objective-progress">50%<' in member_client.get(url).content.decode()
    Objective.objects.filter(pk=objective.pk).update(title="Ship it")  # no event
    KeyResult.objects.filter(pk=key_result.pk).update(current=Decimal("10"))
    assert 'id="objective-progress">50%<' in member_client.get(url).content.decode()
    queue.mark(world.workspace.pk, [("key_result", key_result.pk)])
    assert 'id="objective-progress">10%<' in member_client.get(url).content.decode()


def test_a_row_from_an_earlier_day_is_recomputed(world, key_result):
    a_week_ago = timezone.now() - timedelta(days=7)
    old = rollup_for(world.workspace.pk, "key_result", key_result.pk, today=a_week_ago.date())
    Rollup.objects.filter(kind="key_result", node_id=key_result.pk).update(computed_at=a_week_ago)
    row = rollup_for(world.workspace.pk, "key_result", key_result.pk)
    assert (old.expected, row.expected) == (pytest.approx(38 / 90, abs=1e-4), 0.5)
    assert timezone.localdate(row.as_of) == timezone.localdate()


def test_a_confirmed_row_is_not_recomputed_again_the_same_day(world, period, key_result):
    # A closed period: its numbers no longer move, so a refresh would not rewrite the row.
    period.end = timezone.localdate() - timedelta(days=1)
    period.save()
    rollup_for(world.workspace.pk, "key_result", key_result.pk)
    Rollup.objects.filter(kind="key_result", node_id=key_result.pk).update(
        computed_at=timezone.now() - timedelta(days=2)
    )
    rollup_for(world.workspace.pk, "key_result", key_result.pk)  # recomputed, confirmed
    with CaptureQueriesContext(connection) as captured:
        rollup_for(world.workspace.pk, "key_result", key_result.pk)
    assert len(captured) == 2


def test_a_warm_read_is_two_queries_whatever_the_number_of_nodes(world, period):
    small = [KeyResultFactory(objective__period=period) for _ in range(2)]
    large = [KeyResultFactory(objective__period=period) for _ in range(20)]
    for krs in (small, large):
        rollups_for(world.workspace.pk, {"key_result": [kr.pk for kr in krs]})
    counts = []
    for krs in (small, large):
        with CaptureQueriesContext(connection) as captured:
            rows = rollups_for(world.workspace.pk, {"key_result": [kr.pk for kr in krs]})
        assert len(rows) == len(krs)
        counts.append(len(captured))
    assert counts == [2, 2]  # the queue check and the read


def _tree(world, period, children: int) -> None:
    root = ObjectiveFactory(period=period, level=ObjectiveLevel.COMPANY, title="Root")
    KeyResultFactory(objective=root)
    for n in range(children):
        child = ObjectiveFactory(period=period, team=world.team, parent=root, title=f"Team {n}")
        KeyResultFactory(objective=child, current=n)


def test_a_cold_tree_costs_the_same_queries_at_3_and_20_objectives(world, monkeypatch):
    # Count the read and the refresh: RollupChanged subscribers (outbox rows) query too.
    monkeypatch.setattr(events, "_in_transaction_handlers", defaultdict(list))
    today = timezone.localdate()
    first, small, large = (
        PeriodFactory(workspace=world.workspace, start=today - timedelta(days=days))
        for days in (10, 9, 8)
    )
    _tree(world, first, 1)
    _tree(world, small, 2)
    _tree(world, large, 19)  # rows fit one SQLite insert batch (999 parameters)
    # The workspace's zone is read once and then served by the cache (as in production).
    timezones.workspace_zone_of(world.workspace.pk)
    counts = []
    for period in (small, large):
        with CaptureQueriesContext(connection) as captured:
            tree = selectors.objective_tree_for_period(world.workspace, period)
        assert all(node.as_of is not None for node in tree.walk())
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_without_a_refresher_the_stored_rows_are_read_as_they_are(world, key_result):
    registered = freshness.registered()
    freshness.register(None)
    try:
        with CaptureQueriesContext(connection) as captured:
            rows = rollups_for(world.workspace.pk, {"key_result": [key_result.pk]})
    finally:
        freshness.register(registered)
    assert (rows, len(captured)) == ({}, 1)


def test_rows_of_another_workspace_are_not_read(world, world_b, key_result):
    rollup_for(world.workspace.pk, "key_result", key_result.pk)
    assert rollups_for(world_b.workspace.pk, {"key_result": [key_result.pk]}) == {}


def test_nothing_asked_costs_no_query(world):
    with CaptureQueriesContext(connection) as captured:
        assert rollups_for(world.workspace.pk, {"objective": []}) == {}
    assert len(captured) == 0


def test_the_oldest_as_of_is_the_pages_time(world, objective, key_result):
    rows = rollups_for(
        world.workspace.pk, {"objective": [objective.pk], "key_result": [key_result.pk]}
    )
    assert oldest_as_of([*rows.values(), None]) == min(r.as_of for r in rows.values())
    assert oldest_as_of([]) is None


@pytest.mark.django_db(transaction=True)
def test_the_next_read_after_a_committed_check_in_shows_it(world, period):
    """Real commits (no test transaction): the change's events queue its nodes on commit,
    and the next read shows the new number, whichever way the queue is drained."""
    from tests.conftest import api_client_for, client_for

    objective = ObjectiveFactory(period=period, team=world.team)
    kr = KeyResultFactory(objective=objective, baseline=40, target=60, current=40)
    api = api_client_for(world.member)
    path = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{kr.pk}/"
    assert api.get(path).json()["progress"]["progress"] == 0.0
    checked_in = api.post(f"{path}check-ins/", '{"value": "55"}', content_type="application/json")
    assert checked_in.status_code == 201
    assert api.get(path).json()["progress"]["progress"] == 0.75
    page = client_for(world.member.user).get(
        reverse("okrs:objective_detail", args=[world.workspace.slug, objective.pk])
    )
    assert 'id="objective-progress">75%<' in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_read_drains_the_queue_when_no_worker_has_yet(world, period, monkeypatch):
    """Production between a change and the worker's job (here: a job that never runs)."""
    from tests.conftest import api_client_for

    monkeypatch.setattr(queue, "_enqueue", lambda task, **options: None)
    kr = KeyResultFactory(objective__period=period, baseline=0, target=10, current=0)
    api = api_client_for(world.member)
    path = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{kr.pk}/"
    assert api.get(path).json()["progress"]["progress"] == 0.0
    api.post(f"{path}check-ins/", '{"value": "3"}', content_type="application/json")
    assert queue.RollupPending.objects.filter(workspace=world.workspace).exists()
    assert api.get(path).json()["progress"]["progress"] == 0.3
    assert not queue.RollupPending.objects.filter(workspace=world.workspace).exists()
