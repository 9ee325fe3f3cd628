"""Health of a key result or an objective: on track / at risk / off track, with its reasons.

Pure functions over numbers and dates, no ORM. `okrs.progress` re-exports everything here, so
callers keep writing `progress.Thresholds`, `progress.Status`, …; this module only keeps the
status rules apart from the progress arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

MANUAL, TASKS = "manual", "tasks"

ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"
SEVERITY = {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 2}
STATUS_LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", OFF_TRACK: "Off track"}

# Default thresholds; a workspace overrides any of them in `workspace.settings["okrs"]`.
AT_RISK_GAP = 0.10  # progress this far behind the expected pace → at risk
OFF_TRACK_GAP = 0.25  # this far behind → off track
AT_RISK_CONFIDENCE = 4  # latest confidence at or below → at risk
OFF_TRACK_CONFIDENCE = 2  # at or below → off track
STALE_AFTER_DAYS = 14  # no check-in for longer than this → at risk
SETTINGS_KEY = "okrs"


@dataclass(frozen=True)
class Thresholds:
    at_risk_gap: float = AT_RISK_GAP
    off_track_gap: float = OFF_TRACK_GAP
    at_risk_confidence: int = AT_RISK_CONFIDENCE
    off_track_confidence: int = OFF_TRACK_CONFIDENCE
    stale_after_days: int = STALE_AFTER_DAYS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> Thresholds:
        """Thresholds from a workspace's settings (`{"okrs": {"stale_after_days": 7}}`).

        Missing or malformed values fall back to the module defaults.
        """
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


@dataclass(frozen=True)
class Reason:
    """Why a status or a number is what it is: data, not prose."""

    code: str
    numbers: dict[str, float] = field(default_factory=dict)
    objects: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Status:
    code: str
    reasons: list[Reason]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.code]


def _worst(codes: Iterable[str]) -> str:
    return max(codes, key=SEVERITY.__getitem__, default=ON_TRACK)


def _pace_numbers(progress: float, expected: float) -> dict[str, float]:
    return {
        "progress": round(progress, 4),
        "expected": round(expected, 4),
        "gap": round(progress - expected, 4),
    }


def pace_reason(progress: float, expected: float, objects: list[tuple[str, int]]) -> Reason:
    """The reason of an on-track status: on pace, or behind within the tolerance."""
    gap = progress - expected
    code = "on_pace" if gap >= 0 else "slightly_behind"
    return Reason(code, _pace_numbers(progress, expected), objects)


def _behind_pace(
    progress: float, expected: float, ref: list[tuple[str, int]], thresholds: Thresholds
) -> list[tuple[str, Reason]]:
    gap = progress - expected
    if gap <= -thresholds.off_track_gap:
        return [(OFF_TRACK, Reason("behind_pace", _pace_numbers(progress, expected), ref))]
    if gap <= -thresholds.at_risk_gap:
        return [(AT_RISK, Reason("behind_pace", _pace_numbers(progress, expected), ref))]
    return []


def key_result_status(
    *,
    kr: Any,
    progress: float,
    expected: float,
    today: date,
    period_start: date,
    period_end: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> Status:
    """On track / at risk / off track from the pace gap, confidence and check-in staleness.

    `kr` is an `okrs.progress.KeyResultFacts` (id, source, confidence, check-in dates).
    """
    ref = [("key_result", kr.id)]
    if progress >= 1:
        return Status(ON_TRACK, [Reason("target_reached", {"progress": 1.0}, ref)])
    if today < period_start:
        return Status(ON_TRACK, [Reason("period_not_started", {}, ref)])
    found = _behind_pace(progress, expected, ref, thresholds)
    if kr.confidence <= thresholds.off_track_confidence:
        found.append((OFF_TRACK, Reason("low_confidence", {"confidence": kr.confidence}, ref)))
    elif kr.confidence <= thresholds.at_risk_confidence:
        found.append((AT_RISK, Reason("low_confidence", {"confidence": kr.confidence}, ref)))
    reported = kr.source == MANUAL or (kr.source == TASKS and kr.tasks_progress is None)
    if reported and today <= period_end:
        stale = thresholds.stale_after_days
        if kr.last_check_in_on is not None:
            days = (today - kr.last_check_in_on).days
            if days > stale:
                reason = Reason("stale_check_in", {"days": days, "limit": stale}, ref)
                found.append((AT_RISK, reason))
        else:
            since = max(period_start, kr.created_on or period_start)
            days = (today - since).days
            if days > stale:
                reason = Reason("never_checked_in", {"days": days, "limit": stale}, ref)
                found.append((AT_RISK, reason))
    if not found:
        return Status(ON_TRACK, [pace_reason(progress, expected, ref)])
    found.sort(key=lambda pair: -SEVERITY[pair[0]])
    return Status(_worst(code for code, _ in found), [reason for _, reason in found])


def _members(codes: Sequence[tuple[int, str]], kind: str, noun: str) -> list[tuple[str, Reason]]:
    """An off-track member makes its objective at risk; an at-risk one is worth a note."""
    found: list[tuple[str, Reason]] = []
    off = [node_id for node_id, code in codes if code == OFF_TRACK]
    risky = [node_id for node_id, code in codes if code == AT_RISK]
    if off:
        objects = [(kind, node_id) for node_id in off]
        found.append((AT_RISK, Reason(f"{noun}_off_track", {"count": len(off)}, objects)))
    if risky:
        objects = [(kind, node_id) for node_id in risky]
        found.append((ON_TRACK, Reason(f"{noun}_at_risk", {"count": len(risky)}, objects)))
    return found


def objective_status(
    *,
    objective_id: int,
    progress: float,
    expected: float,
    key_results: Sequence[tuple[int, str]],
    today: date,
    period_start: date,
    aligned: Sequence[tuple[int, str]] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> Status:
    """Pace of the objective itself; an off-track KR or aligned objective makes an on-track
    objective at risk. `key_results` and `aligned` are (id, status code) pairs.

    Nothing to count (no key result, no aligned objective) is at risk: progress stays 0%.
    """
    ref = [("objective", objective_id)]
    if not key_results and not aligned:
        return Status(AT_RISK, [Reason("no_key_results", {}, ref)])
    if progress >= 1:
        return Status(ON_TRACK, [Reason("target_reached", {"progress": 1.0}, ref)])
    if today < period_start:
        return Status(ON_TRACK, [Reason("period_not_started", {}, ref)])
    found = _behind_pace(progress, expected, ref, thresholds)
    found += _members(key_results, "key_result", "key_results")
    found += _members(aligned, "objective", "aligned_objectives")
    code = _worst(code for code, _ in found)
    if code == ON_TRACK:
        return Status(ON_TRACK, [pace_reason(progress, expected, ref), *(r for _, r in found)])
    found.sort(key=lambda pair: -SEVERITY[pair[0]])
    return Status(code, [reason for _, reason in found])
