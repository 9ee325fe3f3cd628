"""A team's row on the leader dashboard: its rollup, stored metrics and DORA cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alignment.models import Team
from dashboards import charts
from readmodel.models import Rollup

DORA_METRICS = [
    ("deployment_frequency", "Deploys"),
    ("lead_time", "Lead time"),
    ("change_failure_rate", "Fail rate"),
    ("time_to_restore", "Restore"),
]


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
