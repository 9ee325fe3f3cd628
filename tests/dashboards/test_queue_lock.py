"""One drain of a workspace's rollup queue at a time (dashboards/rollups/queue.py, PostgreSQL).

Page reads drain before they read while the worker drains too; a drain that had to wait finds
the rows the running one drained already gone, instead of recomputing and rewriting them.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from dashboards.models import RollupPending
from dashboards.rollups import queue
from dashboards.rollups.math import ITEM, SPRINT
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def waiting_for_the_drain_lock(workspace_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s AND objid = %s",
            [queue.DRAIN_LOCK_CLASS, workspace_id],
        )
        return int(cursor.fetchone()[0])


class RunningDrain(threading.Thread):
    """A drain holding the workspace's lock until `finish` is set (its own connection)."""

    def __init__(self, workspace_id: int) -> None:
        super().__init__(daemon=True)
        self.workspace_id = workspace_id
        self.holding = threading.Event()
        self.finish = threading.Event()
        self.written: int | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                queue._take_drain_lock(self.workspace_id)
                self.holding.set()
                self.finish.wait(30)
                self.written = queue.drain(self.workspace_id)  # inside: no second lock
        finally:
            connection.close()


def marked(plan: Plan) -> int:
    plan.task(item=plan.item_a, sprint=plan.sprint, estimate="3", category=C.DONE)
    ws = plan.world.workspace.pk
    return queue.mark(ws, [(ITEM, plan.item_a.pk), (SPRINT, plan.sprint.pk)])


def test_a_drain_waits_for_the_running_one_and_finds_its_work_done(plan: Plan):
    require_postgres()
    ws = plan.world.workspace.pk
    assert marked(plan) == 2
    running = RunningDrain(ws)
    running.start()
    assert running.holding.wait(30)
    results: list[int] = []

    def second() -> None:
        try:
            results.append(queue.drain(ws))
        finally:
            connection.close()

    waiter = threading.Thread(target=second, daemon=True)
    waiter.start()
    for _ in range(300):  # until the second drain is queued behind the lock
        if waiting_for_the_drain_lock(ws):
            break
        time.sleep(0.05)
    assert waiting_for_the_drain_lock(ws) == 1
    assert results == []  # still waiting

    running.finish.set()
    running.join(30)
    waiter.join(30)

    assert (running.written or 0) > 0
    assert results == [0]  # nothing left to recompute or rewrite
    assert not RollupPending.objects.filter(workspace_id=ws).exists()


def test_a_drain_inside_a_callers_transaction_does_not_wait_for_the_lock(plan: Plan):
    require_postgres()
    ws = plan.world.workspace.pk
    marked(plan)
    running = RunningDrain(ws)
    running.start()
    assert running.holding.wait(30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # A regression (waiting here while the lock is held) fails instead of hanging.
                cursor.execute("SET LOCAL lock_timeout = '10s'")
            written = queue.drain(ws)
    finally:
        running.finish.set()
        running.join(30)

    assert written > 0
    assert not RollupPending.objects.filter(workspace_id=ws).exists()
