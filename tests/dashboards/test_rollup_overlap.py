"""A full recompute's task aggregate on a second connection (dashboards/rollups/overlap.py).

Outside any transaction, on PostgreSQL, the aggregate runs on a thread of its own while this
connection reads the rest; inside one (a caller's, or a test's), it must run here, or it would
miss the uncommitted tasks.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from dashboards import rollups
from dashboards.rollups import overlap as rollup_overlap
from readmodel.models import Rollup
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.services import require_postgres


@pytest.fixture
def aggregate_threads(monkeypatch) -> list[str]:
    """The name of the thread each task aggregate of a full pass ran on."""
    names: list[str] = []
    real = rollups.work_rows

    def recording(*args, **kwargs):
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(rollups, "work_rows", recording)
    return names


def stored(plan: Plan) -> dict[tuple[str, int], tuple]:
    return {
        (r.kind, r.node_id): (r.digest, r.done_points, r.total_points, r.status)
        for r in Rollup.objects.filter(workspace=plan.world.workspace)
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_aggregate_runs_beside_the_other_reads(
    plan: Plan, aggregate_threads: list[str]
):
    require_postgres()
    plan.task(item=plan.item_a, sprint=plan.sprint, estimate="3", category=C.DONE)
    plan.task(item=plan.item_b, sprint=plan.sprint, estimate="5", category=C.STARTED)

    assert rollup_overlap.may_overlap()
    written = rollups.recompute_all(plan.world.workspace)

    assert aggregate_threads == ["rollup-aggregate"]
    assert written == len(stored(plan)) > 0
    overlapped = stored(plan)
    item = overlapped[("roadmap_item", plan.item_a.pk)]
    assert (item[1], item[2]) == (3, 3)
    # The same rows as the pass that reads everything on this connection, in order.
    with transaction.atomic():
        assert not rollup_overlap.may_overlap()
        fresh = rollups.compute_all(plan.world.workspace)
    assert aggregate_threads[-1] == threading.current_thread().name
    assert {key: row.digest for key, row in fresh.items()} == {
        key: values[0] for key, values in overlapped.items()
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_aggregate_sees_its_uncommitted_tasks(
    plan: Plan, aggregate_threads: list[str]
):
    require_postgres()
    rollups.recompute_all(plan.world.workspace)
    with transaction.atomic():
        plan.task(item=plan.item_a, sprint=plan.sprint, estimate="8", category=C.DONE)
        rollups.recompute_all(plan.world.workspace)
        row = Rollup.objects.get(kind="roadmap_item", node_id=plan.item_a.pk)
        assert (row.done_points, row.total_points) == (8, 8)
    assert aggregate_threads[-1] == threading.current_thread().name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_background_aggregate_fails_the_recompute_and_writes_nothing(
    plan: Plan, monkeypatch
):
    require_postgres()
    rollups.recompute_all(plan.world.workspace)
    plan.task(item=plan.item_a, sprint=plan.sprint, estimate="2", category=C.DONE)
    before = stored(plan)

    def broken(*args, **kwargs):
        raise RuntimeError("the aggregate failed")

    monkeypatch.setattr(rollups, "work_rows", broken)
    with pytest.raises(RuntimeError, match="the aggregate failed"):
        rollups.recompute_all(plan.world.workspace)
    assert stored(plan) == before
    assert not connection.in_atomic_block


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hand_managed_transaction_keeps_the_aggregate_on_this_connection(
    plan: Plan, aggregate_threads: list[str]
):
    require_postgres()
    transaction.set_autocommit(False)
    try:
        plan.task(item=plan.item_b, sprint=plan.sprint, estimate="4", category=C.DONE)
        assert not rollup_overlap.may_overlap()
        rollups.recompute_all(plan.world.workspace)
        row = Rollup.objects.get(kind="roadmap_item", node_id=plan.item_b.pk)
        assert (row.done_points, row.total_points) == (4, 4)
        assert aggregate_threads == [threading.current_thread().name]
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)


def test_only_postgresql_outside_a_transaction_overlaps(monkeypatch):
    wrapper = connections["default"]  # the connection itself: `connection` is a proxy
    monkeypatch.setattr(wrapper, "in_atomic_block", False)
    monkeypatch.setattr(wrapper, "get_autocommit", lambda: True)
    assert rollup_overlap.may_overlap() == (connection.vendor == "postgresql")
    monkeypatch.setattr(wrapper, "in_atomic_block", True)
    assert not rollup_overlap.may_overlap()
    monkeypatch.setattr(wrapper, "in_atomic_block", False)
    monkeypatch.setattr(wrapper, "get_autocommit", lambda: False)
    assert not rollup_overlap.may_overlap()
