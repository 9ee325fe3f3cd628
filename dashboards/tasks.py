"""Celery tasks of the dashboards: thin, idempotent (everything recomputes from source rows)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from alignment.models import Workspace
from dashboards import queue, rollups


@shared_task(
    name="dashboards.rollups_refresh_pending",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rollups_refresh_pending(*, workspace_id: int) -> int:
    """Drain a workspace's queue of stale nodes."""
    return queue.drain(workspace_id)


@shared_task(
    name="dashboards.rollups_refresh",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rollups_refresh(*, task_id: int) -> int:
    """Recompute the chain above one task (safe to repeat)."""
    return rollups.refresh_ancestors_of_task(task_id)


@shared_task(name="dashboards.rollups_recompute_all", autoretry_for=(OperationalError,))
def rollups_recompute_all(*, workspace_id: int | None = None) -> int:
    """Full repair of one workspace, or of every workspace when none is named."""
    workspaces = Workspace.objects.all()
    if workspace_id is not None:
        workspaces = workspaces.filter(pk=workspace_id)
    return sum(rollups.recompute_all(workspace) for workspace in workspaces)


@shared_task(name="dashboards.rollups_sweep")
def rollups_sweep() -> int:
    """Drain queues whose job was lost (worker died, broker down): a beat safety net."""
    return sum(queue.drain(workspace_id) for workspace_id in queue.pending_workspaces())


@shared_task(name="dashboards.team_metrics_refresh", autoretry_for=(OperationalError,))
def team_metrics_refresh(*, workspace_id: int) -> int:
    """Recompute every team's delivery metrics of a workspace."""
    from dashboards.metrics import refresh_team_metrics

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return refresh_team_metrics(workspace) if workspace else 0


@shared_task(name="dashboards.findings_refresh", autoretry_for=(OperationalError,))
def findings_refresh(*, workspace_id: int) -> int:
    """Recompute a workspace's drift and risk findings."""
    from dashboards.drift import refresh_findings

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return refresh_findings(workspace) if workspace else 0


@shared_task(name="dashboards.snapshots_daily", autoretry_for=(OperationalError,))
def snapshots_daily() -> int:
    """The beat job: refresh rollups, metrics and findings of every workspace, then snapshot."""
    from dashboards.snapshots import take_daily

    return sum(take_daily(workspace) for workspace in Workspace.objects.all())
