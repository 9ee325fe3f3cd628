"""Fresh findings and team metrics: every committed change marks them stale, one job refreshes.

Findings (`dashboards.drift`) and team metrics (`dashboards.metrics`) are computed for a whole
workspace (findings) or a team (metrics) and stored; pages read the stored rows. A change that
can alter them writes a `RefreshPending` row *in its own transaction* (the in-transaction
subscribers of `dashboards.subscribers_freshness`), so the mark commits or rolls back with the
change and survives a Redis or broker outage.

Production (a broker, workers and beat):
- after commit, the first mark of a burst (a cache flag, `cache.add`) sends one
  `dashboards.freshness_refresh` job with a countdown of COALESCE_SECONDS; later marks of the
  burst only add their row, and the job refreshes them all at once;
- the job clears the flag *before* it reads the rows and deletes only the rows it read: a change
  committed while it runs keeps its row and, the flag being gone, sends the next job;
- a beat sweep (`dashboards-freshness-sweep`, every 15 s) drains rows older than
  SWEEP_AFTER_SECONDS: a lost job, a Redis outage (the flag fails closed) or a broker outage
  (the job could not be sent).
So a change shows within COALESCE_SECONDS plus the run time, and within SWEEP_AFTER_SECONDS +
15 s plus the run time when its job was lost: under 60 seconds either way.

Embedded (`CELERY_TASK_ALWAYS_EAGER`: `make run`, no broker, no beat): no job is sent. The
dashboards and the findings and team-metrics API call `ensure_fresh` before they read, which
drains the rows synchronously: the next page load shows the change, and a burst costs one
refresh. Nothing is pending most of the time, and then it costs one indexed query.

Order matters: findings read rollups (statuses, alignment), team metrics (scope added) and
forecasts (likely to miss), so a drain brings the rollup queue up to date first, then team
metrics, then the forecasts whose node moved (or that are from an earlier day), then findings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import OperationalError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from alignment import timezones
from alignment.models import Workspace
from dashboards.models import RefreshClock, RefreshPending, RefreshTarget

logger = logging.getLogger(__name__)

COALESCE_SECONDS = 20  # a burst's first change waits this long for the rest of the burst
FLAG_SECONDS = 90  # a lost job's flag expires; the sweep has caught up long before
SWEEP_AFTER_SECONDS = 25  # rows this old have lost their job (or never had one)
EVERY_TEAM = 0
DELETE_CHUNK = 1000

FINDINGS = RefreshTarget.FINDINGS
TEAM_METRICS = RefreshTarget.TEAM_METRICS


def flag_key(workspace_id: int) -> str:
    return f"dashboards:freshness-queued:{workspace_id}"


def is_embedded() -> bool:
    """True when Celery runs tasks in-process (no broker, no beat): reads drain instead."""
    from alignment.celery import app

    return bool(app.conf.task_always_eager)


@dataclass(frozen=True)
class Drained:
    """What one drain refreshed: teams whose metrics were written, findings written (or None)."""

    rows: int = 0
    teams: int = 0
    findings: int | None = None


def _rows(
    workspace_id: int, *, findings: bool, team_ids: Iterable[int | None]
) -> list[RefreshPending]:
    now = timezone.now()
    rows = [
        RefreshPending(workspace_id=workspace_id, target=TEAM_METRICS, team_id=t, marked_at=now)
        for t in sorted({int(t) for t in team_ids if t is not None})
    ]
    if findings or rows:  # team metrics feed findings (scope added): refresh those as well
        rows.append(RefreshPending(workspace_id=workspace_id, target=FINDINGS, marked_at=now))
    return rows


def mark(workspace_id: int, *, findings: bool = True, team_ids: Iterable[int | None] = ()) -> int:
    """Record that findings (and the metrics of `team_ids`) are stale; rows written.

    Call it inside the changing transaction: the rows commit with the change, and the job is
    scheduled once it has committed (never for a rolled-back change).
    """
    rows = RefreshPending.objects.bulk_create(
        _rows(workspace_id, findings=findings, team_ids=team_ids)
    )
    if rows:
        transaction.on_commit(lambda: schedule(workspace_id))
    return len(rows)


def refresh_now(
    workspace_id: int, *, team_ids: Iterable[int] = (EVERY_TEAM,), now: datetime | None = None
) -> Drained:
    """Refresh team metrics (every team by default) and findings in this process, now: the
    nightly job and repairs. Whatever else is pending for the workspace goes with them."""
    RefreshPending.objects.bulk_create(_rows(workspace_id, findings=True, team_ids=team_ids))
    return drain(workspace_id, now=now)


def schedule(workspace_id: int) -> bool:
    """Send the refresh job unless one is already on its way (or embedded); True when sent."""
    if is_embedded():
        return False  # the next read drains (ensure_fresh)
    if not cache.add(flag_key(workspace_id), 1, timeout=FLAG_SECONDS):
        return False  # a job is queued and will read this change's row; or Redis is down
    from dashboards.tasks import freshness_refresh

    try:
        freshness_refresh.apply_async(
            kwargs={"workspace_id": workspace_id}, countdown=COALESCE_SECONDS
        )
    except Exception:  # noqa: BLE001 - any broker failure: the rows wait for the sweep
        cache.delete(flag_key(workspace_id))  # so the next change tries to send again
        logger.warning("Could not send the freshness job of workspace %s", workspace_id)
        return False
    return True


def drain(workspace_id: int, *, now: datetime | None = None) -> Drained:
    """Refresh what the pending rows of a workspace ask for, then delete exactly those rows."""
    from dashboards import forecasting
    from dashboards.drift import refresh_findings
    from dashboards.metrics import refresh_team_metrics
    from dashboards.rollups import queue

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return Drained()
    queue.drain(workspace_id)  # findings read rollups: bring them up to date first
    # From here on a new change sends the next job; every row read below is already committed.
    cache.delete(flag_key(workspace_id))
    with transaction.atomic():
        RefreshClock.objects.get_or_create(workspace_id=workspace_id)
        # One drain per workspace at a time: a second waits here, then sees only what is left.
        clock = RefreshClock.objects.select_for_update().get(pk=workspace_id)
        pending = list(
            RefreshPending.objects.filter(workspace_id=workspace_id).values_list(
                "id", "target", "team_id"
            )
        )
        if not pending:
            return Drained()
        now = now or timezone.now()
        teams = {team_id for _, target, team_id in pending if target == TEAM_METRICS}
        written_teams = 0
        if teams:
            written_teams = refresh_team_metrics(
                workspace, now=now, team_ids=None if EVERY_TEAM in teams else teams
            )
        findings = None
        if teams or any(target == FINDINGS for _, target, _ in pending):
            # Findings read forecasts ("likely to miss"): bring those current first.
            forecasting.refresh_stale(workspace_id, today=timezones.today(workspace, now=now))
            findings = refresh_findings(workspace, now=now)
            clock.computed_at = now
            clock.save(update_fields=["computed_at"])
        ids = [pk for pk, _, _ in pending]
        for start in range(0, len(ids), DELETE_CHUNK):
            RefreshPending.objects.filter(pk__in=ids[start : start + DELETE_CHUNK]).delete()
    return Drained(rows=len(pending), teams=written_teams, findings=findings)


def stale_workspaces(*, older_than: int = SWEEP_AFTER_SECONDS) -> list[int]:
    """Workspaces with a row older than `older_than` seconds: their job was lost or never sent."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return sorted(
        set(
            RefreshPending.objects.filter(marked_at__lt=cutoff).values_list(
                "workspace_id", flat=True
            )
        )
    )


def sweep(*, older_than: int = SWEEP_AFTER_SECONDS) -> int:
    """Drain every workspace whose rows waited too long; rows drained."""
    return sum(drain(ws).rows for ws in stale_workspaces(older_than=older_than))


@dataclass(frozen=True)
class Clock:
    """How fresh a workspace's findings are: when computed, and whether a change is waiting."""

    as_of: datetime | None
    pending: bool


def findings_clock(workspace: Workspace) -> Clock:
    """The findings' "as of" time and whether a refresh is on its way: one query."""
    row = (
        Workspace.objects.filter(pk=workspace.pk)
        .annotate(
            as_of=Subquery(
                RefreshClock.objects.filter(workspace=OuterRef("pk")).values("computed_at")[:1]
            ),
            pending=Exists(RefreshPending.objects.filter(workspace=OuterRef("pk"))),
        )
        .values_list("as_of", "pending")
        .first()
    )
    return Clock(as_of=row[0], pending=bool(row[1])) if row else Clock(None, False)


def with_findings_clock(rows: QuerySet[Any]) -> QuerySet[Any]:
    """`rows` (of a model with a workspace) with their workspace's findings clock read in
    the same query, for `clock_of`: a page that reads such a row first (its team) saves
    `findings_clock`'s query."""
    return rows.annotate(
        clock_as_of=Subquery(
            RefreshClock.objects.filter(workspace=OuterRef("workspace_id")).values("computed_at")[
                :1
            ]
        ),
        clock_pending=Exists(RefreshPending.objects.filter(workspace=OuterRef("workspace_id"))),
    )


def clock_of(row: Any) -> Clock:
    """The clock `with_findings_clock` read with `row`."""
    return Clock(as_of=row.clock_as_of, pending=bool(row.clock_pending))


def ensure_fresh(workspace: Workspace, *, clock: Clock | None = None) -> Clock:
    """The findings' clock, after draining what is pending when embedded: the read path.

    Embedded, a page or API read first refreshes what committed changes made stale, so it
    shows them all; a burst costs one refresh. In production a read never waits (the job and
    the sweep refresh within a minute) and `pending` tells the page a refresh is on its way.
    One query when nothing is pending.
    """
    clock = clock or findings_clock(workspace)  # `clock`: read with a row (clock_of)
    if not (clock.pending and is_embedded()):
        return clock
    try:
        drained = drain(workspace.pk).rows
    except OperationalError:
        # A locked database (another request is refreshing): show the stored rows, "updating".
        logger.warning("Could not refresh the findings of workspace %s now", workspace.pk)
        return clock
    return findings_clock(workspace) if drained else clock
