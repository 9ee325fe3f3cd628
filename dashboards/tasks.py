"""Celery tasks of the dashboards: thin, idempotent (everything recomputes from source rows)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from alignment.models import Workspace
from dashboards import freshness, queue, rollups


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
    written = 0
    for workspace in workspaces:
        written += rollups.recompute_all(workspace)
        freshness.mark(workspace.pk)  # findings read the statuses just written
    return written


@shared_task(name="dashboards.rollups_sweep")
def rollups_sweep() -> int:
    """Drain queues whose job was lost (worker died, broker down): a beat safety net."""
    return sum(queue.drain(workspace_id) for workspace_id in queue.pending_workspaces())


@shared_task(
    name="dashboards.freshness_refresh",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def freshness_refresh(*, workspace_id: int) -> int:
    """Refresh the findings and team metrics a workspace's changes made stale; rows drained."""
    return freshness.drain(workspace_id).rows


@shared_task(name="dashboards.freshness_sweep")
def freshness_sweep() -> int:
    """Drain stale marks whose job was lost (broker or Redis down, worker died): beat, often."""
    return freshness.sweep()


@shared_task(name="dashboards.team_metrics_refresh", autoretry_for=(OperationalError,))
def team_metrics_refresh(*, workspace_id: int) -> int:
    """Recompute every team's delivery metrics of a workspace (and the findings that read them)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return freshness.refresh_now(workspace.pk).teams if workspace else 0


@shared_task(name="dashboards.findings_refresh", autoretry_for=(OperationalError,))
def findings_refresh(*, workspace_id: int) -> int:
    """Recompute a workspace's drift and risk findings now; findings written."""
    return freshness.refresh_now(workspace_id, team_ids=()).findings or 0


@shared_task(name="dashboards.snapshots_daily", autoretry_for=(OperationalError,))
def snapshots_daily() -> int:
    """The beat job: refresh rollups, metrics and findings of every workspace, then snapshot."""
    from dashboards.snapshots import take_daily

    return sum(take_daily(workspace) for workspace in Workspace.objects.all())
