"""Workspace settings events → a full recompute of the workspace's rollups.

Kept apart from `subscribers.py` (node-level events): a threshold or time zone change is not
about one node. Every objective and key result's status may change with it, so nothing short of the
full pass is right; the full pass is the repair path, which gives exactly the incremental
result. Registered in `DashboardsConfig.ready` (which imports this module, so workers know
the task below too).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

from alignment.models import Workspace
from alignment.timezones import WorkspaceTimeZoneChanged
from dashboards import rollups
from dashboards.rollups import queue
from okrs.events import OkrThresholdsChanged


@shared_task(
    name="dashboards.rollups_recompute_for_thresholds",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rollups_recompute_for_thresholds(*, workspace_id: int) -> int:
    """Recompute every rollup of a workspace, then mark its findings stale (they read the
    statuses just written, so not before). Safe to repeat."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    written = rollups.recompute_all(workspace)
    queue.schedule_findings(workspace_id)
    return written


def on_thresholds_changed(event: OkrThresholdsChanged | WorkspaceTimeZoneChanged) -> None:
    """Queue the full recompute (this runs after commit; a broker outage is logged, not
    raised, and the nightly snapshot job recomputes everything anyway)."""
    queue._enqueue(rollups_recompute_for_thresholds, kwargs={"workspace_id": event.workspace_id})


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (OkrThresholdsChanged, on_thresholds_changed),
    # A new zone moves "today", so the expected pace (elapsed share of the period) moves too.
    (WorkspaceTimeZoneChanged, on_thresholds_changed),
]
