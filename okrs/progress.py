"""Progress math for key results and objectives: pure functions over plain data, no ORM.

Everything here takes numbers, dates and small dataclasses so that selectors (live), the
rollups of a later issue (materialized) and unsaved form input all share one definition.

Every status carries structured reasons (`Reason`: a code, the numbers behind it and the
objects it is about); `reason_sentence` turns one into English for pages and digests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

# Kinds and sources, as plain strings so this module does not import the models.
NUMERIC_KINDS = frozenset({"number", "percentage", "currency"})
BOOLEAN, MILESTONE = "boolean", "milestone"
MANUAL, TASKS, CHILDREN = "manual", "tasks", "children"

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
class Step:
    """One step of a milestone KR."""

    title: str
    weight: float = 1.0
    done: bool = False


@dataclass(frozen=True)
class Status:
    code: str
    reasons: list[Reason]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.code]


def clamp01(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def numeric_progress(*, baseline: float, target: float, current: float) -> float:
    """clamp((current − baseline) / (target − baseline), 0, 1); decreasing metrics included.

    With target < baseline both differences are negative, so the share is still positive as
    the value falls towards the target. A target equal to the baseline (refused on write)
    counts as reached when the current value is at or past it.
    """
    if not all(math.isfinite(v) for v in (baseline, target, current)):
        return 0.0
    span = target - baseline
    if span == 0:
        return 1.0 if current == target else 0.0
    return clamp01((current - baseline) / span)


def binary_progress(current: float) -> float:
    """Boolean (and step-less milestone) KRs: 1 when done, else 0."""
    return 1.0 if current >= 1 else 0.0


def milestone_progress(steps: Sequence[Step]) -> float:
    """Done weight / total weight; when every weight is zero, the share of steps done."""
    if not steps:
        return 0.0
    total = sum(max(0.0, s.weight) for s in steps)
    if total <= 0:
        return sum(1 for s in steps if s.done) / len(steps)
    return clamp01(sum(max(0.0, s.weight) for s in steps if s.done) / total)


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Mean of (value, weight) pairs; all-zero weights give the plain mean, none give None."""
    items = [(v, max(0.0, w)) for v, w in pairs]
    if not items:
        return None
    total = sum(w for _, w in items)
    if total <= 0:
        return sum(v for v, _ in items) / len(items)
    # Scale by the largest weight first: tiny (subnormal) weights would otherwise underflow
    # in v * w and give 0 whatever the values.
    top = max(w for _, w in items)
    return sum(v * (w / top) for v, w in items) / sum(w / top for _, w in items)


def weight_shares(weights: Sequence[float]) -> list[float]:
    """Each weight's share of the total (equal shares when all are zero)."""
    if not weights:
        return []
    clean = [max(0.0, w) for w in weights]
    total = sum(clean)
    if total <= 0:
        return [1 / len(clean)] * len(clean)
    return [w / total for w in clean]


def expected_progress(*, start: date, end: date, today: date) -> float:
    """Elapsed share of the period: 0 up to its first day, 1 from its last day on."""
    span = (end - start).days
    if span <= 0:
        return 1.0 if today >= end else 0.0
    return clamp01((today - start).days / span)


# ---- one KR, one objective -------------------------------------------------------------


@dataclass(frozen=True)
class KeyResultFacts:
    id: int
    objective_id: int
    kind: str = "number"
    source: str = MANUAL
    baseline: float = 0.0
    target: float = 1.0
    current: float = 0.0
    weight: float = 1.0
    confidence: int = 5
    last_check_in_on: date | None = None
    created_on: date | None = None
    steps: tuple[Step, ...] = ()
    # Hook for the work rollups: done points / total points of the linked work, when known.
    tasks_progress: float | None = None


@dataclass(frozen=True)
class ObjectiveFacts:
    id: int
    period_start: date
    period_end: date
    weight: float = 1.0
    parent_key_result_id: int | None = None


@dataclass(frozen=True)
class KeyResultResult:
    progress: float
    basis: str  # check_ins | milestones | done | tasks | children
    expected: float
    status: Status
    notes: list[Reason] = field(default_factory=list)  # about the number, not the status


@dataclass(frozen=True)
class ObjectiveResult:
    progress: float
    expected: float
    status: Status
    # (key result id, weight share, contribution = share × progress), in input order.
    contributions: list[tuple[int, float, float]] = field(default_factory=list)


def own_progress(kr: KeyResultFacts) -> tuple[float, str, list[Reason]]:
    """A KR's progress from its own data (not `children`), with its basis and notes."""
    if kr.kind == BOOLEAN:
        return binary_progress(kr.current), "done", []
    if kr.kind == MILESTONE:
        if kr.steps:
            return milestone_progress(kr.steps), "milestones", []
        return binary_progress(kr.current), "done", []
    if kr.source == TASKS:
        if kr.tasks_progress is not None:
            return clamp01(kr.tasks_progress), "tasks", []
        progress = numeric_progress(baseline=kr.baseline, target=kr.target, current=kr.current)
        return (
            progress,
            "check_ins",
            [Reason("tasks_not_measured", objects=[("key_result", kr.id)])],
        )
    return (
        numeric_progress(baseline=kr.baseline, target=kr.target, current=kr.current),
        "check_ins",
        [],
    )


def _worst(codes: Iterable[str]) -> str:
    return max(codes, key=SEVERITY.__getitem__, default=ON_TRACK)


def pace_reason(progress: float, expected: float, objects: list[tuple[str, int]]) -> Reason:
    """The reason of an on-track status: on pace, or behind within the tolerance."""
    gap = progress - expected
    numbers = {
        "progress": round(progress, 4),
        "expected": round(expected, 4),
        "gap": round(gap, 4),
    }
    return Reason("on_pace" if gap >= 0 else "slightly_behind", numbers, objects)


def key_result_status(
    *,
    kr: KeyResultFacts,
    progress: float,
    expected: float,
    today: date,
    period_start: date,
    period_end: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> Status:
    """On track / at risk / off track from the pace gap, confidence and check-in staleness."""
    ref = [("key_result", kr.id)]
    numbers = {
        "progress": round(progress, 4),
        "expected": round(expected, 4),
        "gap": round(progress - expected, 4),
    }
    if progress >= 1:
        return Status(ON_TRACK, [Reason("target_reached", {"progress": 1.0}, ref)])
    if today < period_start:
        return Status(ON_TRACK, [Reason("period_not_started", {}, ref)])
    found: list[tuple[str, Reason]] = []
    gap = progress - expected
    if gap <= -thresholds.off_track_gap:
        found.append((OFF_TRACK, Reason("behind_pace", numbers, ref)))
    elif gap <= -thresholds.at_risk_gap:
        found.append((AT_RISK, Reason("behind_pace", numbers, ref)))
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


def objective_status(
    *,
    objective_id: int,
    progress: float,
    expected: float,
    key_results: Sequence[tuple[int, Status]],
    today: date,
    period_start: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> Status:
    """Pace of the objective itself; an off-track KR makes an on-track objective at risk."""
    ref = [("objective", objective_id)]
    if not key_results:
        return Status(AT_RISK, [Reason("no_key_results", {}, ref)])
    if progress >= 1:
        return Status(ON_TRACK, [Reason("target_reached", {"progress": 1.0}, ref)])
    if today < period_start:
        return Status(ON_TRACK, [Reason("period_not_started", {}, ref)])
    numbers = {
        "progress": round(progress, 4),
        "expected": round(expected, 4),
        "gap": round(progress - expected, 4),
    }
    found: list[tuple[str, Reason]] = []
    gap = progress - expected
    if gap <= -thresholds.off_track_gap:
        found.append((OFF_TRACK, Reason("behind_pace", numbers, ref)))
    elif gap <= -thresholds.at_risk_gap:
        found.append((AT_RISK, Reason("behind_pace", numbers, ref)))
    off = [kr_id for kr_id, status in key_results if status.code == OFF_TRACK]
    risky = [kr_id for kr_id, status in key_results if status.code == AT_RISK]
    if off:
        objects = [("key_result", kr_id) for kr_id in off]
        found.append((AT_RISK, Reason("key_results_off_track", {"count": len(off)}, objects)))
    if risky:
        objects = [("key_result", kr_id) for kr_id in risky]
        found.append((ON_TRACK, Reason("key_results_at_risk", {"count": len(risky)}, objects)))
    code = _worst(code for code, _ in found)
    if code == ON_TRACK:
        return Status(ON_TRACK, [pace_reason(progress, expected, ref), *(r for _, r in found)])
    found.sort(key=lambda pair: -SEVERITY[pair[0]])
    return Status(code, [reason for _, reason in found])


# ---- a whole set at once ----------------------------------------------------------------


@dataclass
class Evaluation:
    objectives: dict[int, ObjectiveResult]
    key_results: dict[int, KeyResultResult]


def evaluate(
    objectives: Sequence[ObjectiveFacts],
    key_results: Sequence[KeyResultFacts],
    *,
    today: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> Evaluation:
    """Progress, expected pace and status of every objective and KR in one pass.

    `children` KRs take the weighted mean (by objective weight) of the objectives aligned to
    them (`parent_key_result_id`) that are part of the input. A cycle (refused on write)
    cannot loop forever: a node met again while it is being computed counts as 0.
    """
    krs_of: dict[int, list[KeyResultFacts]] = {o.id: [] for o in objectives}
    for kr in key_results:
        krs_of.setdefault(kr.objective_id, []).append(kr)
    aligned_to: dict[int, list[ObjectiveFacts]] = {}
    for o in objectives:
        if o.parent_key_result_id is not None:
            aligned_to.setdefault(o.parent_key_result_id, []).append(o)
    objective_results: dict[int, ObjectiveResult] = {}
    kr_results: dict[int, KeyResultResult] = {}
    in_progress: set[int] = set()

    def kr_result(kr: KeyResultFacts, objective: ObjectiveFacts) -> KeyResultResult:
        if kr.id in kr_results:
            return kr_results[kr.id]
        if kr.source == CHILDREN and kr.kind not in (BOOLEAN, MILESTONE):
            children = aligned_to.get(kr.id, [])
            notes: list[Reason] = []
            pairs = [
                (objective_result(child).progress, child.weight)
                for child in children
                if child.id not in in_progress
            ]
            mean = weighted_mean(pairs)
            if mean is None:
                notes.append(Reason("no_aligned_objectives", objects=[("key_result", kr.id)]))
            progress, basis = clamp01(mean or 0.0), "children"
        else:
            progress, basis, notes = own_progress(kr)
        expected = expected_progress(
            start=objective.period_start, end=objective.period_end, today=today
        )
        status = key_result_status(
            kr=kr,
            progress=progress,
            expected=expected,
            today=today,
            period_start=objective.period_start,
            period_end=objective.period_end,
            thresholds=thresholds,
        )
        result = KeyResultResult(progress, basis, expected, status, notes)
        kr_results[kr.id] = result
        return result

    def objective_result(objective: ObjectiveFacts) -> ObjectiveResult:
        if objective.id in objective_results:
            return objective_results[objective.id]
        in_progress.add(objective.id)
        krs = krs_of.get(objective.id, [])
        results = [kr_result(kr, objective) for kr in krs]
        shares = weight_shares([kr.weight for kr in krs])
        contributions = [
            (kr.id, share, share * r.progress)
            for kr, share, r in zip(krs, shares, results, strict=True)
        ]
        progress = clamp01(sum(c for _, _, c in contributions))
        expected = expected_progress(
            start=objective.period_start, end=objective.period_end, today=today
        )
        status = objective_status(
            objective_id=objective.id,
            progress=progress,
            expected=expected,
            key_results=[(kr.id, r.status) for kr, r in zip(krs, results, strict=True)],
            today=today,
            period_start=objective.period_start,
            thresholds=thresholds,
        )
        result = ObjectiveResult(progress, expected, status, contributions)
        objective_results[objective.id] = result
        in_progress.discard(objective.id)
        return result

    for objective in objectives:
        objective_result(objective)
    return Evaluation(objective_results, kr_results)


__all__ = [
    "AT_RISK",
    "OFF_TRACK",
    "ON_TRACK",
    "Evaluation",
    "KeyResultFacts",
    "KeyResultResult",
    "ObjectiveFacts",
    "ObjectiveResult",
    "Reason",
    "Status",
    "Step",
    "Thresholds",
    "binary_progress",
    "evaluate",
    "expected_progress",
    "key_result_status",
    "milestone_progress",
    "numeric_progress",
    "objective_status",
    "own_progress",
    "pace_reason",
    "weight_shares",
    "weighted_mean",
]
