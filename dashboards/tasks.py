"""Celery tasks of the dashboards: thin, idempotent (everything recomputes from source rows)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError

from alignment.models import Workspace
from dashboards import freshness, rollups
from dashboards.rollups import queue


@shared_task(
    name="dashboards.rollups_refresh_pending",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rollups_refresh_pending(*, workspace_id: int) -> int:
    """Drain a workspace's queue of stale nodes."""
    return queue.drain(workspace_id)


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
    """Every workspace now, under its local date (repair; beat runs `snapshots_tick`)."""
    from dashboards.snapshots import take_daily

    return sum(take_daily(workspace) for workspace in Workspace.objects.all())


SNAPSHOT_JOB = "dashboards.snapshot"


@shared_task(name="dashboards.snapshots_tick")
def snapshots_tick() -> int:
    """Beat, every 15 minutes: queue the snapshot of each workspace whose local time just
    reached SNAPSHOTS_LOCAL_TIME and that has none for its local day; workspaces queued."""
    from django.conf import settings
    from django.utils import timezone

    from alignment import local_schedule, timezones

    slot = local_schedule.LocalSlot.parse(settings.SNAPSHOTS_LOCAL_TIME)
    now = timezone.now()
    due = {}
    for workspace in Workspace.objects.order_by("pk").only("pk", "settings"):
        day = local_schedule.reached(timezones.workspace_zone(workspace), slot, now)
        if day is not None:
            due[workspace.pk] = day
    local_schedule.forget_runs_before(SNAPSHOT_JOB, now - timedelta(days=local_schedule.KEEP_DAYS))
    done = local_schedule.already_ran(SNAPSHOT_JOB, due.items())
    queued = [(pk, day) for pk, day in due.items() if (pk, day) not in done]
    for workspace_id, day in queued:
        workspace_snapshot.delay(workspace_id=workspace_id, day=day.isoformat())
    return len(queued)


@shared_task(
    name="dashboards.workspace_snapshot",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def workspace_snapshot(*, workspace_id: int, day: str) -> int:
    """One workspace's daily refresh and snapshot for its local `day`, at most once per day."""
    from datetime import date

    from alignment import local_schedule
    from dashboards.snapshots import take_daily

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    written = local_schedule.run_once(
        workspace_id=workspace.pk,
        job=SNAPSHOT_JOB,
        day=date.fromisoformat(day),
        work=lambda: take_daily(workspace, day=date.fromisoformat(day)),
    )
    return written or 0
