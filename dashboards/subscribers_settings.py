"""Workspace settings events → a full recompute of the workspace's rollups.

Kept apart from `subscribers.py` (node-level events): a threshold change is not about one
node. Every objective and key result's status may change with it, so nothing short of the
full pass is right; the full pass is the repair path, which gives exactly the incremental
result. Registered in `DashboardsConfig.ready`.
"""

from __future__ import annotations

from typing import Any

from dashboards import queue
from okrs.events import OkrThresholdsChanged


def on_thresholds_changed(event: OkrThresholdsChanged) -> None:
    """Queue the full recompute (after commit), then the findings that read its statuses."""
    from dashboards.tasks import rollups_recompute_all

    queue._enqueue(rollups_recompute_all, kwargs={"workspace_id": event.workspace_id})
    queue.schedule_findings(event.workspace_id)


SUBSCRIPTIONS: list[tuple[type, Any]] = [(OkrThresholdsChanged, on_thresholds_changed)]
