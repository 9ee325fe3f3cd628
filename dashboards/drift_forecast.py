""" "Likely to miss": nodes whose forecast gives them less than an even chance.

Reads the stored forecasts (`readmodel.models.Forecast`, brought up to date by the refresh
that runs before findings, dashboards.freshness) of key results and objectives of active
objectives and open roadmap items with a target date. The finding carries the forecast's
numbers, so the sentence and the forecast shown on the node's page agree. Sprints show their
forecast on their page but raise no finding: a sprint's slip is the team's to read on its
burndown, and a leader's list is about where the plan lands.
"""

from __future__ import annotations

from typing import Any

from alignment.models import Workspace
from dashboards.drift_base import DriftThresholds, new_finding
from dashboards.models import Finding
from dashboards.rollups.math import ITEM, KR, OBJECTIVE
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, ObjectiveStatus
from readmodel.models import Forecast, ForecastStatus
from roadmaps.models import RoadmapItem

CODE = "likely_to_miss"


def _owners(workspace: Workspace, kind: str, ids: list[int]) -> dict[int, tuple[int | None, str]]:
    """Each live subject's (team id, objective level); absent: not a live subject."""
    if not ids:
        return {}
    if kind == KR:
        return {
            pk: (team_id, level)
            for pk, team_id, level in KeyResult.objects.filter(
                workspace=workspace, pk__in=ids, objective__status=ObjectiveStatus.ACTIVE
            ).values_list("id", "objective__team_id", "objective__level")
        }
    if kind == OBJECTIVE:
        return {
            pk: (team_id, level)
            for pk, team_id, level in Objective.objects.filter(
                workspace=workspace, pk__in=ids, status=ObjectiveStatus.ACTIVE
            ).values_list("id", "team_id", "level")
        }
    if kind == ITEM:
        return {
            pk: (team_id, "")
            for pk, team_id in RoadmapItem.objects.filter(workspace=workspace, pk__in=ids)
            .open()
            .values_list("id", "owner_team_id")
        }
    return {}


def likely_to_miss(
    workspace: Workspace, thresholds: DriftThresholds, levels: dict[int, str], now: Any
) -> list[Finding]:
    """One finding per node whose forecast says it will probably miss its target."""
    below = thresholds.likely_to_miss_below
    forecasts = list(
        Forecast.objects.filter(
            workspace=workspace,
            status=ForecastStatus.READY,
            probability__lt=below,
            kind__in=[KR, OBJECTIVE, ITEM],
        ).order_by("kind", "node_id")
    )
    owners: dict[str, dict[int, tuple[int | None, str]]] = {}
    for kind in (KR, OBJECTIVE, ITEM):
        ids = [int(f.node_id) for f in forecasts if f.kind == kind]
        owners[kind] = _owners(workspace, kind, ids)
    found = []
    for forecast in forecasts:
        owner = owners[forecast.kind].get(int(forecast.node_id))
        if owner is None or forecast.probability is None:
            continue
        team_id, level = owner
        if forecast.kind == ITEM:
            level = levels.get(int(forecast.node_id), "")
        probability = float(forecast.probability)
        numbers = {
            "probability": probability,
            "threshold": below,
            "p50_value": float(forecast.p50_value or 0),
            "p85_value": float(forecast.p85_value or 0),
            "progress": float(forecast.progress),
            "deadline": float(forecast.deadline.toordinal()) if forecast.deadline else 0.0,
            "p50_date": float(forecast.p50_date.toordinal()) if forecast.p50_date else 0.0,
            "p85_date": float(forecast.p85_date.toordinal()) if forecast.p85_date else 0.0,
        }
        found.append(
            new_finding(
                workspace,
                CODE,
                okr_math.OFF_TRACK if probability < below / 5 else okr_math.AT_RISK,
                (forecast.kind, int(forecast.node_id)),
                team_id=team_id,
                numbers=numbers,
                points=max(float(forecast.total_points - forecast.done_points), 0.0),
                level=level,
                now=now,
            )
        )
    return found


__all__ = ["CODE", "likely_to_miss"]
