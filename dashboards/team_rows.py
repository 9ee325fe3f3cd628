"""A team's row on the leader dashboard: its rollup, stored metrics and DORA cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alignment.models import Membership, Team, Workspace
from dashboards import charts
from dashboards.models import DoraBenchmark, TeamMetrics
from dashboards.rollups.math import TEAM
from readmodel.models import Rollup

DORA_METRICS = [
    ("deployment_frequency", "Deploys"),
    ("lead_time", "Lead time"),
    ("change_failure_rate", "Fail rate"),
    ("time_to_restore", "Restore"),
]


# The parts of a team's stored metrics (`dashboards.metrics`) that its row reads.
ROW_METRICS = ("velocity", "cycle_time_days", "dora")


@dataclass
class TeamRow:
    team: Team
    rollup: Rollup | None
    metrics: dict[str, Any]

    @property
    def alignment_percent(self) -> int | None:
        ratio = self.rollup.alignment_ratio if self.rollup else None
        return None if ratio is None else round(ratio * 100)

    @property
    def velocity(self) -> float | None:
        value = (self.metrics.get("velocity") or {}).get("average")
        return None if value is None else float(value)

    @property
    def velocity_points(self) -> list[float]:
        return [float(v) for v in (self.metrics.get("velocity") or {}).get("points", [])]

    @property
    def velocity_spark(self) -> str:
        return charts.sparkline(self.velocity_points)

    @property
    def cycle_time_p50(self) -> float | None:
        value = (self.metrics.get("cycle_time_days") or {}).get("p50")
        return None if value is None else float(value)

    @property
    def dora(self) -> list[tuple[str, str | None, Any]]:
        data = self.metrics.get("dora") or {}
        return [
            (label, (data.get(metric) or {}).get("tier"), (data.get(metric) or {}).get("value"))
            for metric, label in DORA_METRICS
        ]

    @property
    def dora_cells(self) -> list[DoraCell]:
        """Each DORA measure with its value, tier and the report's words for the tier."""
        data = self.metrics.get("dora") or {}
        return [
            DoraCell(
                label,
                dora_value(metric, (data.get(metric) or {}).get("value")),
                (data.get(metric) or {}).get("tier"),
                (data.get(metric) or {}).get("tier_label"),
            )
            for metric, label in DORA_METRICS
        ]


def dora_value(metric: str, value: Any) -> str:
    """A DORA measure in the unit people read it in."""
    if value is None:
        return "—"
    number = float(value)
    if metric == "deployment_frequency":
        return f"{number * 7:.1f} / week"
    if metric == "change_failure_rate":
        return f"{number * 100:.0f}%"
    return f"{number:.1f} h" if number < 48 else f"{number / 24:.1f} d"


@dataclass(frozen=True)
class DoraCell:
    label: str
    value: str
    tier: str | None
    tier_label: str | None


def team_rows(workspace: Workspace, viewer: Membership | None = None) -> list[TeamRow]:
    """Every team (that `viewer` may see) with its rollup and stored metrics: three queries."""
    teams_of = Team.objects.visible_to(viewer) if viewer else Team.objects.for_workspace(workspace)
    teams = list(teams_of.order_by("name"))
    rollups = {r.node_id: r for r in Rollup.objects.filter(workspace=workspace, kind=TEAM)}
    # Only the metrics a row shows: a team's whole metrics document (≈ 3 KB of JSON with its
    # charts' series) decoded a hundred times was a tenth of the leader dashboard's CPU.
    metrics = {
        team_id: {key: value for key, value in zip(ROW_METRICS, values, strict=True) if value}
        for team_id, *values in TeamMetrics.objects.filter(workspace=workspace).values_list(
            "team_id", *(f"data__{key}" for key in ROW_METRICS)
        )
    }
    return [TeamRow(t, rollups.get(t.pk), metrics.get(t.pk) or {}) for t in teams]


_benchmark: list[DoraBenchmark] = []  # a process-wide memo of the newest benchmark


def latest_benchmark() -> DoraBenchmark | None:
    """The newest DORA benchmark. Reference data that only data migrations write (0003 and
    successors), so each process reads it once; a release that adds a report restarts the
    processes. An empty table is not remembered (a test database may be flushed and reseeded)."""
    if not _benchmark:
        found = DoraBenchmark.objects.order_by("-year", "rank").first()
        if found is None:
            return None
        _benchmark.append(found)
    return _benchmark[0]
