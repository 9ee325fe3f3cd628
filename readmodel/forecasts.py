"""Reads of forecasts: where each node will land, next to where it stands.

    found = forecasts_for(workspace.pk, {"key_result": kr_ids, "objective": [objective.pk]})
    found[("key_result", kr.pk)].probability, .p50_date, .p85_value, .band ...

A forecast is current when it was computed today from the numbers its node's `Rollup` row
holds now: the rows are read fresh first (`rollups_for`), and a forecast computed before
today, from other numbers, or not at all is recomputed for these nodes only, through the
registered refresher (readmodel/freshness.py). Three queries when every forecast is current.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q

from alignment import timezones
from readmodel import freshness
from readmodel.models import Forecast, ForecastStatus
from readmodel.selectors import Key, RollupRow, rollups_for

# The kinds that get a forecast: teams have no target to reach.
FORECAST_KINDS = ("objective", "key_result", "roadmap_item", "sprint")

FIELDS = (  # every stored field, in the order `_row` reads them
    "kind",
    "node_id",
    "day",
    "status",
    "deadline",
    "probability",
    "p50_date",
    "p85_date",
    "p50_value",
    "p85_value",
    "band",
    "history_days",
    "runs",
    "unit",
    "progress",
    "done_points",
    "total_points",
    "computed_at",
)


@dataclass(frozen=True, slots=True)
class ForecastRow:
    kind: str
    node_id: int
    day: date
    status: str  # a ForecastStatus value
    deadline: date | None
    probability: float | None  # of reaching the target by the deadline
    p50_date: date | None
    p85_date: date | None
    p50_value: float | None  # share of the target at the deadline, median run
    p85_value: float | None  # share reached by 85% of the runs
    band: tuple[tuple[str, float, float, float], ...]
    history_days: int
    runs: int
    unit: str
    progress: float
    done_points: Decimal
    total_points: Decimal
    as_of: datetime

    @property
    def ready(self) -> bool:
        return self.status in (ForecastStatus.READY, ForecastStatus.NO_DEADLINE)

    @property
    def percent(self) -> int | None:
        """The probability of reaching the target, in percent."""
        return None if self.probability is None else round(self.probability * 100)

    @property
    def p50_percent(self) -> int | None:
        return None if self.p50_value is None else round(self.p50_value * 100)

    @property
    def p85_percent(self) -> int | None:
        return None if self.p85_value is None else round(self.p85_value * 100)

    @property
    def status_label(self) -> str:
        return ForecastStatus(self.status).label


def _row(values: tuple) -> ForecastRow:
    (kind, node_id, day, status, deadline, probability, p50_date, p85_date, *rest) = values
    p50_value, p85_value, band, history_days, runs, unit, progress, done, total, at = rest
    return ForecastRow(
        kind=kind,
        node_id=int(node_id),
        day=day,
        status=status,
        deadline=deadline,
        probability=None if probability is None else float(probability),
        p50_date=p50_date,
        p85_date=p85_date,
        p50_value=None if p50_value is None else float(p50_value),
        p85_value=None if p85_value is None else float(p85_value),
        band=tuple((str(d), float(lo), float(mid), float(hi)) for d, lo, mid, hi in band or ()),
        history_days=history_days,
        runs=runs,
        unit=unit,
        progress=float(progress),
        done_points=done,
        total_points=total,
        as_of=at,
    )


def stored_forecasts(workspace_id: int, keys: Iterable[Key]) -> dict[Key, ForecastRow]:
    """The stored forecasts of these nodes as they are (not brought up to date): one query."""
    by_kind: dict[str, list[int]] = {}
    for kind, node_id in keys:
        by_kind.setdefault(kind, []).append(node_id)
    condition = Q(pk=None)
    for kind, ids in by_kind.items():
        condition |= Q(kind=kind, node_id__in=sorted(ids))
    rows = Forecast.objects.filter(condition, workspace_id=workspace_id).order_by()
    return {(r[0], int(r[1])): _row(r) for r in rows.values_list(*FIELDS)}


def is_current(forecast: ForecastRow | None, rollup: RollupRow, today: date) -> bool:
    """Computed today from the numbers the node's row holds now."""
    return (
        forecast is not None
        and forecast.day == today
        and abs(forecast.progress - rollup.progress) < 1e-4
        and forecast.done_points == rollup.done_points
        and forecast.total_points == rollup.total_points
    )


def forecasts_for(
    workspace_id: int, nodes: Mapping[str, Iterable[int]], *, today: date | None = None
) -> dict[Key, ForecastRow]:
    """The current forecasts of these nodes ({kind: ids}) by (kind, id).

    Nodes of kinds without forecasts (teams) and nodes that do not exist are absent.
    """
    wanted = {kind: ids for kind, ids in nodes.items() if kind in FORECAST_KINDS}
    today = today or timezones.today_of(workspace_id)
    rollups = rollups_for(workspace_id, wanted, today=today)
    if not rollups:
        return {}
    found = stored_forecasts(workspace_id, rollups)
    stale = [key for key, row in rollups.items() if not is_current(found.get(key), row, today)]
    refresher = freshness.registered()
    if stale and refresher is not None:
        refresher.forecast(workspace_id, stale, today=today)
        found.update(stored_forecasts(workspace_id, stale))
    return found


__all__ = [
    "FIELDS",
    "FORECAST_KINDS",
    "ForecastRow",
    "forecasts_for",
    "is_current",
    "stored_forecasts",
]
