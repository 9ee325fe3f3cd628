"""The coalescing refresh queue: domain events mark nodes stale, one job per workspace drains.

A handler inserts (kind, node id) rows into `RollupPending`; the unique constraint folds a
burst of 1,000 task moves into one row per affected node. A cache flag per workspace
(`cache.add`, atomic in Redis and locmem) lets only the first event of a burst enqueue the
Celery job; the job clears the flag *before* it reads the queue, so an event arriving while it
runs enqueues the next one. Rows re-marked during a drain carry a newer `created_at` and
survive its delete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from alignment.models import Workspace
from dashboards import freshness, rollups
from dashboards.models import RollupPending
from dashboards.rollups.passes import Seeds

logger = logging.getLogger(__name__)

FLAG_SECONDS = 300
# The drain job waits this long for the rest of a burst. Sent at once, a steady write load
# (8 writes a second, bench-load) made a job per write: 575 drains in 80 s, the worker busy
# for 56 of them. Pages never wait for it: a page drains what is queued before it reads.
COALESCE_SECONDS = 1


def flag_key(workspace_id: int) -> str:
    return f"dashboards:rollups-queued:{workspace_id}"


def mark(workspace_id: int, nodes: Iterable[tuple[str, int | None]]) -> int:
    """Record stale nodes (no job): usable inside a transaction, e.g. before a delete."""
    now = timezone.now()
    rows = [
        RollupPending(workspace_id=workspace_id, kind=kind, node_id=node_id, created_at=now)
        for kind, node_id in dict.fromkeys(nodes)
        if node_id is not None
    ]
    if rows:
        RollupPending.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["workspace", "kind", "node_id"],
            update_fields=["created_at"],
        )
    return len(rows)


def _first_of_burst(key: str, timeout: int) -> bool:
    """True for the first caller within `timeout`.

    Also False while Redis is down (alignment.cache fails open): the stale nodes are already
    `RollupPending` rows, committed with the change, and the beat sweep drains them.
    """
    return bool(cache.add(key, 1, timeout=timeout))


def _enqueue(task: Any, **options: Any) -> None:
    """Send a Celery job; with the broker down, leave the work to the sweep."""
    try:
        task.apply_async(**options)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep catches up
        logger.warning("Could not enqueue %s; the beat sweep will catch up", task.name)


def schedule(workspace_id: int) -> None:
    """Once the change commits, enqueue the drain job unless one is already on its way.

    The burst flag is taken after commit too: taken inside a transaction that then rolls
    back, it would hold off every job of the workspace for FLAG_SECONDS with nothing queued.
    """
    from dashboards.tasks import rollups_refresh_pending

    def send() -> None:
        if _first_of_burst(flag_key(workspace_id), FLAG_SECONDS):
            _enqueue(
                rollups_refresh_pending,
                kwargs={"workspace_id": workspace_id},
                countdown=COALESCE_SECONDS,
            )

    transaction.on_commit(send)


def enqueue(workspace_id: int, nodes: Iterable[tuple[str, int | None]]) -> None:
    """Mark nodes stale (in the caller's transaction) and send a drain job after commit."""
    if mark(workspace_id, nodes):
        schedule(workspace_id)


# pg_advisory_xact_lock(class, workspace id): one drain of a workspace at a time.
DRAIN_LOCK_CLASS = 0x524F4C4C  # "ROLL"


def _take_drain_lock(workspace_id: int) -> None:
    """Wait for the drain of this workspace that runs now, if any (PostgreSQL).

    Page reads drain before they read (readmodel.freshness) while the worker drains too: under
    a write load two web workers and the Celery worker used to read the same queued rows,
    recompute the same nodes and write the same rollup rows, each waiting on the others' row
    locks. One at a time, a drain that waited finds the rows already drained (and deleted)
    and has nothing left to do, and a page still never reads a row older than the last
    committed change. Only when the drain owns its transaction: a caller's open transaction
    may hold queue rows that the running drain waits for (a deadlock), and such a caller
    reads its own uncommitted changes anyway.
    """
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time already
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DRAIN_LOCK_CLASS, workspace_id])


def drain(workspace_id: int) -> int:
    """Recompute every node queued for a workspace (and what they feed); rows written."""
    cache.delete(flag_key(workspace_id))
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    owns_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if owns_transaction:
            _take_drain_lock(workspace_id)
        # A row re-marked from now on has a newer created_at and is kept for the next job.
        cutoff = timezone.now() + timedelta(microseconds=1)
        pending = list(
            RollupPending.objects.filter(
                workspace_id=workspace_id, created_at__lt=cutoff
            ).values_list("id", "kind", "node_id")
        )
        if not pending:
            return 0
        written = rollups.refresh(
            workspace, Seeds.of((kind, node_id) for _, kind, node_id in pending)
        )
        RollupPending.objects.filter(
            pk__in=[pk for pk, _, _ in pending], created_at__lt=cutoff
        ).delete()
        if written:
            # Findings read rollup statuses: mark them with the rows that changed.
            freshness.mark(workspace_id)
    return written


def schedule_findings(workspace_id: int) -> int:
    """Mark a workspace's findings stale (dashboards.freshness refreshes them)."""
    return freshness.mark(workspace_id)


def pending_workspaces() -> list[int]:
    return list(RollupPending.objects.values_list("workspace_id", flat=True).distinct())


def schedule_metrics(workspace_id: int, team_ids: Iterable[int] | None = None) -> int:
    """Mark team metrics stale (every team unless `team_ids`), and the findings that read them."""
    teams = [freshness.EVERY_TEAM] if team_ids is None else team_ids
    return freshness.mark(workspace_id, team_ids=teams)
