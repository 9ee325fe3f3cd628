"""Team delivery metrics from history: sprint flow, velocity, cycle and lead time, throughput,
WIP, burn charts and the four DORA measures placed in the published tiers.

Sprint numbers (committed, added after start, removed, completed, carried over, burndown and
burnup) are `tasks.sprint_scope`'s: the one definition sprint close and the sprint API use too,
replayed from `TaskEvent` history, never from a sprint's current membership. A job computes
these per team into `TeamMetrics`; pages read that row.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from types import SimpleNamespace
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alignment import timezones
from alignment.models import Team, Workspace
from dashboards.models import Deployment, DoraBenchmark, DoraMetric, Incident, TeamMetrics
from tasks import sprint_scope
from tasks.models import Sprint, SprintStatus, StateCategory, Task, WorkflowState

SPRINTS = 6  # velocity over the last N closed sprints
WINDOW_DAYS = 30  # flow and DORA measure the last N days
THROUGHPUT_WEEKS = 8
METRICS_SETTINGS_KEY = "dashboards"


@dataclass(frozen=True)
class Moment:
    """A task's values just after one event (the snapshot backfill's replay of history)."""

    at: datetime
    sprint_id: int | None
    estimate: float
    category: str


def _at_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _at_end(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=zone)


def state_at(history: Sequence[Moment], when: datetime, *, inclusive: bool) -> Moment | None:
    """The task's values at `when` (events at exactly `when` count when `inclusive`)."""
    times = [m.at for m in history]
    index = bisect_right(times, when) if inclusive else bisect_left(times, when)
    return history[index - 1] if index else None


def sprint_flow(
    sprint: Sprint, histories: Mapping[int, sprint_scope.History], *, now: datetime
) -> SimpleNamespace:
    """Committed, completed, added, removed and carried over, as `tasks.sprint_scope` defines
    them (attributes named like the stored JSON keys)."""
    scope = sprint_scope.scope_from_histories(sprint, histories, as_of=now)
    return SimpleNamespace(**scope.flow())


def burn_series(
    sprint: Sprint, histories: Mapping[int, sprint_scope.History], *, today: date
) -> list[dict[str, Any]]:
    """Scope and done points at the end of each sprint day up to `today` (burndown, burnup)."""
    zone = timezones.workspace_zone_of(sprint.workspace_id)
    return sprint_scope.burn_days(sprint, histories, as_of=_at_end(today, zone))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> dict[str, Any]:
    p50, p85 = percentile(values, 0.5), percentile(values, 0.85)
    return {
        "p50": None if p50 is None else round(p50, 2),
        "p85": None if p85 is None else round(p85, 2),
        "count": len(values),
    }


# ---- DORA ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    tier: str
    label: str
    year: int
    report: str
    source_url: str


def place(
    metric: str, value: float | None, benchmarks: Sequence[DoraBenchmark]
) -> Placement | None:
    """The DORA tier of one value: the best tier whose bound it meets; change fail rate goes
    to the nearest published cluster value (its 2024 clusters are not in tier order)."""
    tiers = sorted((b for b in benchmarks if b.metric == metric), key=lambda b: b.rank)
    if value is None or not tiers:
        return None
    chosen = tiers[-1]
    if tiers[0].comparison == "nearest":
        chosen = min(tiers, key=lambda b: (abs(b.bound - value), b.rank))
    else:
        for bench in tiers:
            meets = value >= bench.bound if bench.comparison == "at_least" else value <= bench.bound
            if meets:
                chosen = bench
                break
    return Placement(chosen.tier, chosen.label, chosen.year, chosen.report, chosen.source_url)


def latest_benchmarks() -> list[DoraBenchmark]:
    """The clusters of the newest report stored."""
    year = DoraBenchmark.objects.order_by("-year").values_list("year", flat=True).first()
    return list(DoraBenchmark.objects.filter(year=year)) if year else []


def dora(
    deployments: Sequence[Deployment],
    incidents: Sequence[Incident],
    *,
    window_days: int,
    benchmarks: Sequence[DoraBenchmark],
) -> dict[str, Any]:
    """The four DORA measures over a window, each with its tier."""
    frequency = len(deployments) / window_days if window_days else 0.0
    leads = [
        (d.deployed_at - d.committed_at).total_seconds() / 3600
        for d in deployments
        if d.committed_at is not None
    ]
    failed_ids = {i.deployment_id for i in incidents if i.deployment_id}
    failures = sum(1 for d in deployments if d.is_failure or d.pk in failed_ids)
    failure_rate = failures / len(deployments) if deployments else None
    restores = [
        (i.resolved_at - i.started_at).total_seconds() / 3600
        for i in incidents
        if i.resolved_at is not None
    ]
    values: dict[str, float | None] = {
        DoraMetric.DEPLOYMENT_FREQUENCY: round(frequency, 4) if deployments else None,
        DoraMetric.LEAD_TIME: percentile(leads, 0.5),
        DoraMetric.CHANGE_FAILURE_RATE: failure_rate,
        DoraMetric.TIME_TO_RESTORE: percentile(restores, 0.5),
    }
    result: dict[str, Any] = {
        "window_days": window_days,
        "deployments": len(deployments),
        "incidents": len(incidents),
    }
    for metric, value in values.items():
        placement = place(metric, value, benchmarks)
        result[str(metric)] = {
            "value": None if value is None else round(value, 4),
            "tier": placement.tier if placement else None,
            "tier_label": placement.label if placement else None,
        }
    if benchmarks:
        result["benchmark"] = {
            "report": benchmarks[0].report,
            "year": benchmarks[0].year,
            "source_url": benchmarks[0].source_url,
        }
    return result


# ---- one team ---------------------------------------------------------------------------------


def _histories(task_ids: Iterable[int]) -> dict[int, list[sprint_scope.Moment]]:
    return sprint_scope.load_histories(task_ids)


def _sprint_numbers(
    team: Team, *, now: datetime, sprints: int
) -> tuple[list[dict[str, Any]], list[Any], Any, list[dict[str, Any]]]:
    """The last `sprints` closed sprints and the active one, replayed from their history:
    (every sprint's flow, the velocity points, the active sprint, its burn days)."""
    recent = list(
        Sprint.objects.filter(team=team)
        .exclude(status=SprintStatus.PLANNED)
        .order_by("-start_date", "-id")[: sprints + 1]
    )
    recent.reverse()
    # One definition of every sprint number (tasks.sprint_scope): sprint close, the sprint
    # API and these metrics read the same replay of the same history.
    histories = sprint_scope.sprint_histories(recent)
    scopes = [
        sprint_scope.scope_from_histories(s, sprint_scope.touching(histories, s.pk), as_of=now)
        for s in recent
    ]
    flows = [scope.flow() for scope in scopes]
    closed = [f for f in flows if f["status"] == SprintStatus.CLOSED][-sprints:]
    velocity = [f["completed_points"] for f in closed]
    active = next((s for s in recent if s.status == SprintStatus.ACTIVE), None)
    burn = []
    if active is not None:
        burn = sprint_scope.burn_days(
            active, sprint_scope.touching(histories, active.pk), as_of=now
        )
    return flows, velocity, active, burn


def _flow_times(team: Team, since: datetime) -> tuple[list[float], list[float]]:
    """Cycle and lead times (days) of the tasks finished since `since`."""
    finished = list(
        Task.objects.filter(
            team=team, state_category=StateCategory.DONE, completed_at__gte=since
        ).values_list("created_at", "started_at", "completed_at")
    )
    cycle = [
        (done - started).total_seconds() / 86400
        for _, started, done in finished
        if started and done
    ]
    lead = [(done - created).total_seconds() / 86400 for created, _, done in finished if done]
    return cycle, lead


def _throughput(team: Team, today: date, zone: Any) -> list[dict[str, Any]]:
    """Tasks finished per week (the workspace's weeks), the last THROUGHPUT_WEEKS."""
    week_start = today - timedelta(days=today.weekday())
    weeks = [week_start - timedelta(weeks=n) for n in range(THROUGHPUT_WEEKS - 1, -1, -1)]
    done_days = Task.objects.filter(
        team=team,
        state_category=StateCategory.DONE,
        completed_at__gte=_at_start(weeks[0], zone),
    ).values_list("completed_at", flat=True)
    per_week: dict[date, int] = dict.fromkeys(weeks, 0)
    for done_at in done_days:
        day = timezone.localtime(done_at, zone).date()
        per_week[day - timedelta(days=day.weekday())] = (
            per_week.get(day - timedelta(days=day.weekday()), 0) + 1
        )
    return [{"week": w.isoformat(), "count": per_week.get(w, 0)} for w in weeks]


def _wip(team: Team) -> dict[str, Any]:
    """Work in progress: tasks and points started, and the started columns' WIP limits."""
    started = Task.objects.filter(team=team, state_category=StateCategory.STARTED)
    wip_points = sum(float(e or 0) for e in started.values_list("estimate", flat=True))
    wip_count = started.count()
    limits = [
        limit
        for limit in WorkflowState.objects.filter(
            team=team, category=StateCategory.STARTED
        ).values_list("wip_limit", flat=True)
        if limit
    ]
    return {"count": wip_count, "points": wip_points, "limit": sum(limits) if limits else None}


def _team_dora(
    team: Team,
    since: datetime,
    *,
    window_days: int,
    benchmarks: Sequence[DoraBenchmark] | None,
) -> dict[str, Any]:
    """The DORA numbers of the team's deployments and incidents in the window."""
    deployments = list(Deployment.objects.filter(team=team, deployed_at__gte=since))
    incidents = list(
        Incident.objects.filter(team=team).filter(
            Q(started_at__gte=since) | Q(resolved_at__gte=since)
        )
    )
    return dora(
        deployments,
        incidents,
        window_days=window_days,
        benchmarks=latest_benchmarks() if benchmarks is None else benchmarks,
    )


def team_metrics(
    team: Team,
    *,
    now: datetime | None = None,
    sprints: int = SPRINTS,
    window_days: int = WINDOW_DAYS,
    benchmarks: Sequence[DoraBenchmark] | None = None,
) -> dict[str, Any]:
    """Every delivery number of one team, as JSON-ready data."""
    now = now or timezone.now()
    # Weeks and days are the workspace's: a task done at 23:00 on Friday in Auckland counts
    # on Friday there, whatever the UTC date.
    zone = timezones.workspace_zone_of(team.workspace_id)
    today = timezone.localtime(now, zone).date()
    flows, velocity, active, burn = _sprint_numbers(team, now=now, sprints=sprints)
    since = now - timedelta(days=window_days)
    cycle, lead = _flow_times(team, since)
    return {
        "computed_at": now.isoformat(),
        "sprints": flows,
        "velocity": {
            "points": velocity,
            "average": round(sum(velocity) / len(velocity), 2) if velocity else None,
            "sprints": len(velocity),
        },
        "burn": {"sprint_id": active.pk if active else None, "days": burn},
        "cycle_time_days": spread(cycle),
        "lead_time_days": spread(lead),
        "throughput": _throughput(team, today, zone),
        "wip": _wip(team),
        "dora": _team_dora(team, since, window_days=window_days, benchmarks=benchmarks),
    }


def refresh_team_metrics(
    workspace: Workspace, *, now: datetime | None = None, team_ids: Iterable[int] | None = None
) -> int:
    """Recompute and store the metrics of every team (or of `team_ids`); teams written."""
    benchmarks = latest_benchmarks()
    settings = (workspace.settings or {}).get(METRICS_SETTINGS_KEY) or {}
    sprints = int(settings.get("velocity_sprints", SPRINTS) or SPRINTS)
    window = int(settings.get("metrics_window_days", WINDOW_DAYS) or WINDOW_DAYS)
    team_rows = Team.objects.filter(workspace=workspace)
    if team_ids is not None:
        team_rows = team_rows.filter(pk__in=list(team_ids))
    teams = list(team_rows)
    for team in teams:
        data = team_metrics(
            team, now=now, sprints=sprints, window_days=window, benchmarks=benchmarks
        )
        TeamMetrics.objects.update_or_create(
            team=team,
            defaults={"workspace": workspace, "data": data, "computed_at": now or timezone.now()},
        )
    return len(teams)
