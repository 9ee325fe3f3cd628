"""What every drift detector shares: thresholds, the impact rank, and building a finding.

Impact ranks findings within their kind so a leader reads the worst first. It is a product of
plain factors, each stored on the finding, so the rank can be explained and re-derived:

    impact = (points at stake + 1) x level weight x severity weight x (1 + days late / 7)

- points at stake: the open estimate points the finding is about (unaligned work, work waiting
  on a blocked chain, an overdue item's open work, a KR's open linked work, scope added);
- level weight: the highest objective the finding's work serves -- company 4, team 2,
  individual 1, none 1 -- so a company objective's risk outranks a team's at equal points;
- severity weight: off track 2, at risk 1;
- days late: past an item's target date, or past the expected check-in of a KR.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from alignment.models import Workspace
from dashboards import duplicates
from dashboards.models import Finding
from okrs import progress as okr_math
from okrs.models import ObjectiveLevel, ObjectiveStatus
from roadmaps.models import KeyResultLink

SETTINGS_KEY = "dashboards"
TASK = "task"
EVIDENCE_LIMIT = 12  # records listed per finding; the numbers count them all

LEVEL_WEIGHTS: dict[str, float] = {
    ObjectiveLevel.COMPANY: 4.0,
    ObjectiveLevel.TEAM: 2.0,
    ObjectiveLevel.INDIVIDUAL: 1.0,
}
LEVEL_RANK: dict[str, int] = {
    ObjectiveLevel.COMPANY: 3,
    ObjectiveLevel.TEAM: 2,
    ObjectiveLevel.INDIVIDUAL: 1,
}
SEVERITY_WEIGHTS: dict[str, float] = {okr_math.OFF_TRACK: 2.0, okr_math.AT_RISK: 1.0}
WEEK = 7.0


@dataclass(frozen=True)
class DriftThresholds:
    alignment_min: float = 0.6  # share of sprint points that trace to an active KR
    stale_check_in_days: int = okr_math.STALE_AFTER_DAYS
    scope_added_max: float = 0.2  # points added after start / points committed
    overdue_grace_days: int = 0
    # Titles at least this alike (`duplicates.pair_score`, 0.2..1) in two teams: suspected
    # duplicates. The default is calibrated on labelled pairs (docs/dashboards.md).
    duplicate_similarity_min: float = duplicates.DEFAULT_MINIMUM
    duplicate_window_days: int = 30  # only tasks created or changed this recently look for pairs
    # A forecast giving a node less than this chance of reaching its target by its deadline
    # raises "likely to miss" (dashboards.drift_forecast); under a fifth of it, off track.
    likely_to_miss_below: float = 0.5

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> DriftThresholds:
        raw = (settings or {}).get(SETTINGS_KEY)
        if not isinstance(raw, Mapping):
            return cls()
        values: dict[str, Any] = {}
        for name, default in cls().__dict__.items():
            value = raw.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value) or value < 0:
                continue
            values[name] = type(default)(value)
        return replace(cls(), **values)


def impact_of(*, severity: str, points: float, level: str, days_late: float) -> float:
    """The rank of a finding within its kind (the module docstring gives the formula)."""
    weight = LEVEL_WEIGHTS.get(level, 1.0) * SEVERITY_WEIGHTS.get(severity, 1.0)
    return round((max(points, 0.0) + 1.0) * weight * (1.0 + max(days_late, 0.0) / WEEK), 2)


def highest_level(levels: Any) -> str:
    """The most senior objective level among `levels` ("" when there is none)."""
    known = [lv for lv in levels if lv in LEVEL_RANK]
    return max(known, key=LEVEL_RANK.__getitem__) if known else ""


def item_levels(workspace: Workspace) -> dict[int, str]:
    """For each roadmap item linked to an active objective's KR: the highest level it serves."""
    found: dict[int, list[str]] = {}
    for item_id, level in KeyResultLink.objects.filter(
        workspace=workspace, key_result__objective__status=ObjectiveStatus.ACTIVE
    ).values_list("item_id", "key_result__objective__level"):
        found.setdefault(item_id, []).append(level)
    return {item_id: highest_level(levels) for item_id, levels in found.items()}


def new_finding(
    workspace: Workspace,
    code: str,
    severity: str,
    subject: tuple[str, int],
    *,
    now: Any,
    team_id: int | None = None,
    numbers: Mapping[str, float] | None = None,
    evidence: list[tuple[str, int]] | None = None,
    points: float = 0.0,
    level: str = "",
    days_late: float = 0.0,
) -> Finding:
    """An unsaved finding with its impact computed from its factors."""
    return Finding(
        workspace=workspace,
        code=code,
        severity=severity,
        subject_kind=subject[0],
        subject_id=subject[1],
        team_id=team_id,
        numbers=dict(numbers or {}),
        evidence=[[k, i] for k, i in (evidence or [])[:EVIDENCE_LIMIT]],
        computed_at=now,
        points=round(float(points), 3),
        level=level,
        days_late=int(max(days_late, 0)),
        impact=impact_of(severity=severity, points=float(points), level=level, days_late=days_late),
    )
