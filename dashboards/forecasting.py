"""Forecasts of every node, from its `Rollup` row and its own history: computed and stored.

Where a node stands comes from the read model (its `Rollup` row, never recomputed here); how
fast it moves comes from its history:
- objectives, key results and roadmap items: their daily snapshots (the share of the target
  per day, so a manual key result's check-in trend and a task-driven one read alike), over
  the last LOOKBACK_DAYS of the period;
- active sprints: the team's done points per day over the last LOOKBACK_DAYS (tasks per day
  when the sprint counts tasks), since a sprint is too short to have a history of its own.
The deadline is the period's end, the item's target date or the sprint's end date.

A batch costs a fixed handful of queries whatever its size; the runs are seeded by node and
day, so the same inputs give the same forecast on every process.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from alignment import timezones
from dashboards import forecast_math as mc
from dashboards.models import Snapshot
from dashboards.rollups.math import ITEM, KR, OBJECTIVE, SPRINT
from okrs.models import KeyResult, Objective
from readmodel.forecasts import FIELDS as STORED_FIELDS
from readmodel.forecasts import FORECAST_KINDS, is_current, stored_forecasts
from readmodel.models import Basis, Forecast, ForecastStatus, Rollup
from readmodel.selectors import Key, RollupRow, rollups_for
from roadmaps.models import CLOSED_ITEM_STATUSES, RoadmapItem
from tasks.models import Sprint, SprintStatus, StateCategory, Task

LOOKBACK_DAYS = 42  # six weeks: long enough for variance, short enough to follow a change

# What an upsert rewrites: every stored field but the node's identity (one list, shared
# with the reader, readmodel.forecasts.FIELDS).
FIELDS = ["workspace", *(f for f in STORED_FIELDS if f not in ("kind", "node_id"))]


@dataclass(frozen=True)
class Window:
    """A node's span: when it started (its history starts no earlier) and its deadline."""

    start: date | None
    deadline: date | None
    closed: bool = False
    team_id: int | None = None


def seed_for(key: Key, today: date) -> int:
    """The same seed for the same node on the same day, on every process."""
    return zlib.crc32(f"{key[0]}:{key[1]}:{today.isoformat()}".encode())


def node_windows(workspace_id: int, keys: Collection[Key]) -> dict[Key, Window]:
    ids: dict[str, list[int]] = defaultdict(list)
    for kind, node_id in keys:
        ids[kind].append(node_id)
    found: dict[Key, Window] = {}
    if ids[KR]:
        for pk, start, end in KeyResult.objects.filter(
            workspace_id=workspace_id, pk__in=ids[KR]
        ).values_list("id", "objective__period__start", "objective__period__end"):
            found[(KR, pk)] = Window(start, end)
    if ids[OBJECTIVE]:
        for pk, start, end in Objective.objects.filter(
            workspace_id=workspace_id, pk__in=ids[OBJECTIVE]
        ).values_list("id", "period__start", "period__end"):
            found[(OBJECTIVE, pk)] = Window(start, end)
    if ids[ITEM]:
        for pk, item_start, target, status in RoadmapItem.objects.filter(
            workspace_id=workspace_id, pk__in=ids[ITEM]
        ).values_list("id", "start_date", "target_date", "status"):
            found[(ITEM, pk)] = Window(item_start, target, closed=status in CLOSED_ITEM_STATUSES)
    if ids[SPRINT]:
        for pk, start, end, status, team_id in Sprint.objects.filter(
            workspace_id=workspace_id, pk__in=ids[SPRINT]
        ).values_list("id", "start_date", "end_date", "status", "team_id"):
            found[(SPRINT, pk)] = Window(
                start, end, closed=status != SprintStatus.ACTIVE, team_id=team_id
            )
    return found


def _snapshot_series(
    workspace_id: int, keys: Iterable[Key], *, since: date, until: date
) -> dict[Key, list[tuple[int, float]]]:
    """Daily snapshot progress of these nodes in [since, until], as (ordinal, share): one query."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, node_id in keys:
        by_kind[kind].append(node_id)
    series: dict[Key, list[tuple[int, float]]] = defaultdict(list)
    if not by_kind:
        return series
    condition = Q(pk=None)
    for kind, ids in by_kind.items():
        condition |= Q(kind=kind, node_id__in=sorted(ids))
    rows = (
        Snapshot.objects.filter(condition, workspace_id=workspace_id, day__range=(since, until))
        .order_by("kind", "node_id", "day")
        .values_list("kind", "node_id", "day", "progress")
    )
    for kind, node_id, day, progress in rows:
        series[(kind, int(node_id))].append((day.toordinal(), float(progress)))
    return series


def _team_throughput(
    workspace_id: int, team_ids: Collection[int], *, since: date, until: date
) -> dict[int, tuple[list[float], list[float]]]:
    """Each team's done points and done tasks per day in [since, until] (days of the
    workspace's time zone): one query.

    A team that finished nothing in the window has no entry: no history, not a zero pace."""
    if not team_ids:
        return {}
    zone = timezones.workspace_zone_of(workspace_id)
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    days = (until - since).days + 1
    points: dict[int, list[float]] = {}
    tasks: dict[int, list[float]] = {}
    for team_id, done_at, estimate in Task.objects.filter(
        team_id__in=sorted(team_ids),
        state_category=StateCategory.DONE,
        completed_at__gte=start,
        completed_at__lt=end,
    ).values_list("team_id", "completed_at", "estimate"):
        index = (timezone.localtime(done_at, zone).date() - since).days
        if not 0 <= index < days:
            continue
        points.setdefault(team_id, [0.0] * days)[index] += float(estimate or 0)
        tasks.setdefault(team_id, [0.0] * days)[index] += 1.0
    return {team_id: (points[team_id], tasks[team_id]) for team_id in points}


def _forecast(
    key: Key,
    row: RollupRow,
    window: Window | None,
    *,
    today: date,
    history: list[float],
    remaining: float,
    total: float,
    start_at: float,
    unit: str,
) -> Forecast:
    """One node's forecast row. Amounts are in `unit`; shares are (start_at + gain) / total."""
    forecast = Forecast(
        kind=key[0],
        node_id=key[1],
        day=today,
        unit=unit,
        progress=Decimal(str(round(row.progress, 4))),
        done_points=row.done_points,
        total_points=row.total_points,
        computed_at=timezone.now(),
        deadline=window.deadline if window else None,
        history_days=len(history),
    )
    if window is None or window.closed or (window.deadline and window.deadline < today):
        forecast.status = ForecastStatus.CLOSED
        return forecast
    days_left = None if window.deadline is None else (window.deadline - today).days + 1
    horizon = mc.MAX_HORIZON_DAYS if days_left is None else max(2 * days_left, 60)
    outcome = mc.simulate(
        remaining=remaining,
        history=history,
        days_left=days_left,
        seed=seed_for(key, today),
        horizon=horizon,
    )
    forecast.runs = outcome.runs
    if outcome.status == mc.DONE:
        forecast.status = ForecastStatus.DONE
        forecast.probability = Decimal(1)
        return forecast
    if outcome.status == mc.NOT_ENOUGH_HISTORY:
        forecast.status = ForecastStatus.NOT_ENOUGH_HISTORY
        return forecast

    def share(gain: float) -> Decimal:
        value = (start_at + gain) / total if total else 0.0
        return Decimal(str(round(min(max(value, 0.0), 1.0), 4)))

    def on(days: int | None) -> date | None:
        return None if days is None else today + timedelta(days=days - 1)

    forecast.status = ForecastStatus.NO_DEADLINE if days_left is None else ForecastStatus.READY
    forecast.p50_date, forecast.p85_date = on(outcome.p50_days), on(outcome.p85_days)
    if outcome.probability is not None:
        forecast.probability = Decimal(str(round(outcome.probability, 4)))
    if outcome.p50_gain is not None and outcome.p85_gain is not None:
        forecast.p50_value, forecast.p85_value = share(outcome.p50_gain), share(outcome.p85_gain)
    forecast.band = [
        [(today + timedelta(days=p.day - 1)).isoformat(), *map(float, map(share, p.values))]
        for p in outcome.band
    ]
    return forecast


def compute(workspace_id: int, rows: Mapping[Key, RollupRow], *, today: date) -> list[Forecast]:
    """Unsaved forecasts of these nodes, from their rows as given."""
    keys = [key for key in rows if key[0] in FORECAST_KINDS]
    windows = node_windows(workspace_id, keys)
    since, until = today - timedelta(days=LOOKBACK_DAYS), today - timedelta(days=1)
    progress_keys = [key for key in keys if key[0] != SPRINT]
    series = _snapshot_series(workspace_id, progress_keys, since=since, until=until)
    teams = {w.team_id for k, w in windows.items() if k[0] == SPRINT and w.team_id}
    throughput = _team_throughput(workspace_id, teams, since=since, until=until)
    found = []
    for key in keys:
        row, window = rows[key], windows.get(key)
        if key[0] == SPRINT:
            found.append(_sprint_forecast(key, row, window, throughput, today=today))
        else:
            start = window.start if window and window.start else since
            found.append(_progress_forecast(key, row, window, series, start, today=today))
    return found


def _sprint_forecast(
    key: Key,
    row: RollupRow,
    window: Window | None,
    throughput: dict[int, tuple[list[float], list[float]]],
    *,
    today: date,
) -> Forecast:
    """A sprint's forecast from its team's daily throughput, in points (tasks when the sprint
    is counted by tasks or has no estimates)."""
    by_count = row.basis == Basis.COUNT or not row.total_points
    per_team = throughput.get(window.team_id) if window and window.team_id else None
    history = list(per_team[1 if by_count else 0]) if per_team else []
    done = float(row.done_count if by_count else row.done_points)
    total = float(row.total_count if by_count else row.total_points)
    return _forecast(
        key,
        row,
        window,
        today=today,
        history=history,
        remaining=total - done,
        total=total,
        start_at=done,
        unit="tasks" if by_count else "points",
    )


def _progress_forecast(
    key: Key,
    row: RollupRow,
    window: Window | None,
    series: Mapping[Key, list[tuple[int, float]]],
    start: date,
    *,
    today: date,
) -> Forecast:
    """A key result's, objective's or item's forecast from its daily progress since `start`."""
    observed = [(d, v) for d, v in series.get(key, []) if d >= start.toordinal()]
    observed.append((today.toordinal(), row.progress))
    return _forecast(
        key,
        row,
        window,
        today=today,
        history=mc.daily_increments(observed),
        remaining=1.0 - row.progress,
        total=1.0,
        start_at=row.progress,
        unit="progress",
    )


def _store(forecasts: list[Forecast], workspace_id: int) -> int:
    for forecast in forecasts:
        forecast.workspace_id = workspace_id
    Forecast.objects.bulk_create(
        forecasts,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["kind", "node_id"],
        update_fields=[f if f != "workspace" else "workspace_id" for f in FIELDS],
    )
    return len(forecasts)


def refresh(workspace_id: int, nodes: Collection[Key], *, today: date | None = None) -> int:
    """Compute and store the forecasts of these nodes from their stored rows; rows written."""
    today = today or timezones.today_of(workspace_id)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, node_id in nodes:
        by_kind[kind].append(node_id)
    rows = rollups_for(workspace_id, by_kind, today=today, fresh=False)
    return _store(compute(workspace_id, rows, today=today), workspace_id)


def refresh_stale(workspace_id: int, *, today: date | None = None) -> int:
    """Bring every forecast of a workspace up to date (the findings refresh): only those
    computed before today, from numbers their node no longer has, or never, are computed;
    forecasts of nodes that are gone are deleted. Rows written."""
    today = today or timezones.today_of(workspace_id)
    nodes: dict[str, list[int]] = defaultdict(list)
    for kind, node_id in Rollup.objects.filter(
        workspace_id=workspace_id, kind__in=FORECAST_KINDS
    ).values_list("kind", "node_id"):
        nodes[kind].append(int(node_id))
    rows = rollups_for(workspace_id, nodes, today=today, fresh=False)
    gone = [
        pk
        for pk, kind, node_id in Forecast.objects.filter(workspace_id=workspace_id).values_list(
            "id", "kind", "node_id"
        )
        if (kind, int(node_id)) not in rows
    ]
    if gone:
        Forecast.objects.filter(pk__in=gone).delete()
    stored = stored_forecasts(workspace_id, rows)
    stale = {key: row for key, row in rows.items() if not is_current(stored.get(key), row, today)}
    if not stale:
        return 0
    return _store(compute(workspace_id, stale, today=today), workspace_id)


__all__ = ["LOOKBACK_DAYS", "compute", "refresh", "refresh_stale", "seed_for"]
