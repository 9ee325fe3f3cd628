"""Team delivery metrics from history: sprint flow, velocity, cycle and lead time, throughput,
WIP, burn charts and the four DORA measures placed in the published tiers.

Sprint numbers come from replaying `TaskEvent` rows (each holds the task's sprint, estimate and
state category *after* the event), never from a sprint's current membership: work carried to
the next sprint still counts as committed-but-unfinished where it was. A job computes these
per team into `TeamMetrics`; pages read that row.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alignment.models import Team, Workspace
from dashboards.models import Deployment, DoraBenchmark, DoraMetric, Incident, TeamMetrics
from tasks.models import Sprint, SprintStatus, StateCategory, Task, TaskEvent, WorkflowState

SPRINTS = 6  # velocity over the last N closed sprints
WINDOW_DAYS = 30  # flow and DORA measure the last N days
THROUGHPUT_WEEKS = 8
METRICS_SETTINGS_KEY = "dashboards"


@dataclass(frozen=True)
class Moment:
    """A task's values just after one event."""

    at: datetime
    sprint_id: int | None
    estimate: float
    category: str


def _at_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _at_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def state_at(history: Sequence[Moment], when: datetime, *, inclusive: bool) -> Moment | None:
    """The task's values at `when` (events at exactly `when` count when `inclusive`)."""
    times = [m.at for m in history]
    index = bisect_right(times, when) if inclusive else bisect_left(times, when)
    return history[index - 1] if index else None


@dataclass
class SprintFlow:
    sprint_id: int
    name: str
    status: str
    start: str
    end: str
    committed_points: float = 0.0
    committed_count: int = 0
    completed_points: float = 0.0
    completed_count: int = 0
    added_points: float = 0.0
    added_count: int = 0
    carried_points: float = 0.0
    carried_count: int = 0


def sprint_window(sprint: Sprint, now: datetime) -> tuple[datetime, datetime]:
    """When the sprint's commitment is read, and when its outcome is (close excluded)."""
    start = sprint.started_at or _at_start(sprint.start_date)
    if sprint.status == SprintStatus.CLOSED and sprint.closed_at:
        end = sprint.closed_at
    else:
        end = min(now, _at_end(sprint.end_date))
    return start, max(start, end)


def sprint_flow(
    sprint: Sprint, histories: Mapping[int, Sequence[Moment]], *, now: datetime
) -> SprintFlow:
    """Committed at start, completed by the end, added after start, carried over (unfinished)."""
    start, end = sprint_window(sprint, now)
    flow = SprintFlow(
        sprint.pk,
        sprint.name,
        sprint.status,
        sprint.start_date.isoformat(),
        sprint.end_date.isoformat(),
    )
    for history in histories.values():
        at_start = state_at(history, start, inclusive=True)
        at_end = state_at(history, end, inclusive=False)
        was_in = at_start is not None and at_start.sprint_id == sprint.pk
        if was_in and at_start is not None and at_start.category != StateCategory.CANCELED:
            flow.committed_points += at_start.estimate
            flow.committed_count += 1
        joined_later = not was_in and any(
            m.sprint_id == sprint.pk and start < m.at < end for m in history
        )
        if joined_later:
            last = at_end if at_end is not None and at_end.sprint_id == sprint.pk else None
            flow.added_points += last.estimate if last else 0.0
            flow.added_count += 1
        if at_end is None or at_end.sprint_id != sprint.pk:
            continue
        if at_end.category == StateCategory.DONE:
            flow.completed_points += at_end.estimate
            flow.completed_count += 1
        elif at_end.category != StateCategory.CANCELED and sprint.status == SprintStatus.CLOSED:
            flow.carried_points += at_end.estimate
            flow.carried_count += 1
    return flow


def burn_series(
    sprint: Sprint, histories: Mapping[int, Sequence[Moment]], *, today: date
) -> list[dict[str, Any]]:
    """Scope and done points at the end of each sprint day so far: burndown and burnup."""
    series = []
    day = sprint.start_date
    last = min(sprint.end_date, today)
    if sprint.status == SprintStatus.CLOSED and sprint.closed_at:
        last = min(last, timezone.localdate(sprint.closed_at))
    while day <= last:
        cut = _at_end(day)
        if sprint.status == SprintStatus.CLOSED and sprint.closed_at:
            cut = min(cut, sprint.closed_at - timedelta(microseconds=1))
        scope = done = 0.0
        for history in histories.values():
            moment = state_at(history, cut, inclusive=True)
            if moment is None or moment.sprint_id != sprint.pk:
                continue
            if moment.category == StateCategory.CANCELED:
                continue
            scope += moment.estimate
            if moment.category == StateCategory.DONE:
                done += moment.estimate
        series.append(
            {"day": day.isoformat(), "scope": scope, "done": done, "remaining": scope - done}
        )
        day += timedelta(days=1)
    return series


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


def _histories(task_ids: Iterable[int]) -> dict[int, list[Moment]]:
    histories: dict[int, list[Moment]] = defaultdict(list)
    rows = (
        TaskEvent.objects.filter(task_id__in=task_ids)
        .order_by("task_id", "created_at", "id")
        .values_list("task_id", "created_at", "sprint_id", "estimate", "state_category")
    )
    for task_id, at, sprint_id, estimate, category in rows:
        histories[task_id].append(Moment(at, sprint_id, float(estimate or 0), category))
    return histories


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
    today = timezone.localdate(now)
    recent = list(
        Sprint.objects.filter(team=team)
        .exclude(status=SprintStatus.PLANNED)
        .order_by("-start_date", "-id")[: sprints + 1]
    )
    recent.reverse()
    sprint_ids = [s.pk for s in recent]
    task_ids = TaskEvent.objects.filter(sprint_id__in=sprint_ids).values_list("task_id", flat=True)
    histories = _histories(task_ids.distinct()) if sprint_ids else {}
    flows = []
    for sprint in recent:
        touched = {
            task_id: history
            for task_id, history in histories.items()
            if any(m.sprint_id == sprint.pk for m in history)
        }
        flows.append(sprint_flow(sprint, touched, now=now))
    closed = [f for f in flows if f.status == SprintStatus.CLOSED][-sprints:]
    velocity = [f.completed_points for f in closed]
    active = next((s for s in recent if s.status == SprintStatus.ACTIVE), None)
    burn = []
    if active is not None:
        mine = {t: h for t, h in histories.items() if any(m.sprint_id == active.pk for m in h)}
        burn = burn_series(active, mine, today=today)

    since = now - timedelta(days=window_days)
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
    week_start = today - timedelta(days=today.weekday())
    weeks = [week_start - timedelta(weeks=n) for n in range(THROUGHPUT_WEEKS - 1, -1, -1)]
    done_days = Task.objects.filter(
        team=team,
        state_category=StateCategory.DONE,
        completed_at__gte=_at_start(weeks[0]),
    ).values_list("completed_at", flat=True)
    per_week: dict[date, int] = dict.fromkeys(weeks, 0)
    for done_at in done_days:
        day = timezone.localdate(done_at)
        per_week[day - timedelta(days=day.weekday())] = (
            per_week.get(day - timedelta(days=day.weekday()), 0) + 1
        )
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
    deployments = list(Deployment.objects.filter(team=team, deployed_at__gte=since))
    incidents = list(
        Incident.objects.filter(team=team).filter(
            Q(started_at__gte=since) | Q(resolved_at__gte=since)
        )
    )
    return {
        "computed_at": now.isoformat(),
        "sprints": [asdict(f) for f in flows],
        "velocity": {
            "points": velocity,
            "average": round(sum(velocity) / len(velocity), 2) if velocity else None,
            "sprints": len(velocity),
        },
        "burn": {"sprint_id": active.pk if active else None, "days": burn},
        "cycle_time_days": spread(cycle),
        "lead_time_days": spread(lead),
        "throughput": [{"week": w.isoformat(), "count": per_week.get(w, 0)} for w in weeks],
        "wip": {"count": wip_count, "points": wip_points, "limit": sum(limits) if limits else None},
        "dora": dora(
            deployments,
            incidents,
            window_days=window_days,
            benchmarks=latest_benchmarks() if benchmarks is None else benchmarks,
        ),
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
