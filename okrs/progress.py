"""Progress math for key results and objectives: pure functions over plain data, no ORM.

The one evaluator. Every number a page shows is computed here, per node:
`evaluate_key_result` (check-ins, milestones, linked work or aligned objectives) and
`evaluate_objective` (its key results and the objectives aligned under it, weighted). The
materialized rollups (dashboards/rollups/math_okr.py) call them node by node; `evaluate` calls
them for a whole set at once, for previews of unsaved forms and repairs.

Every status carries structured reasons (`Reason`: a code, the numbers behind it and the
objects it is about); `reason_sentence` turns one into English for pages and digests. The
status rules live in `okrs.health` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from okrs.health import (
    AT_RISK,
    AT_RISK_CONFIDENCE,
    AT_RISK_GAP,
    OFF_TRACK,
    OFF_TRACK_CONFIDENCE,
    OFF_TRACK_GAP,
    ON_TRACK,
    SETTINGS_KEY,
    SEVERITY,
    STALE_AFTER_DAYS,
    STATUS_LABELS,
    Reason,
    Status,
    Thresholds,
    key_result_status,
    objective_status,
    pace_reason,
)

# Kinds and sources, as plain strings so this module does not import the models.
NUMERIC_KINDS = frozenset({"number", "percentage", "currency"})
BOOLEAN, MILESTONE = "boolean", "milestone"
MANUAL, TASKS, CHILDREN = "manual", "tasks", "children"

# What an objective's progress counted (the `Basis` values of the read model).
BASIS_KEY_RESULTS = "key_results"
BASIS_CHILDREN = "children"  # aligned objectives only
BASIS_KEY_RESULTS_AND_CHILDREN = "key_results_and_children"
BASIS_NONE = "none"


@dataclass(frozen=True)
class Step:
    """One step of a milestone KR."""

    title: str
    weight: float = 1.0
    done: bool = False


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
    weight: float = 1.0  # how much it counts in the objective (or KR) it is aligned under
    parent_key_result_id: int | None = None
    # The objective it is aligned under (`Objective.parent`).
    parent_id: int | None = None
    archived: bool = False  # archived objectives count nowhere


@dataclass(frozen=True)
class KeyResultResult:
    progress: float
    basis: str  # check_ins | milestones | done | tasks | children
    expected: float
    status: Status
    notes: list[Reason] = field(default_factory=list)  # about the number, not the status


@dataclass(frozen=True)
class Part:
    """One contributor to an objective: a key result or an objective aligned under it."""

    id: int
    weight: float
    progress: float
    status: str  # its status code


@dataclass(frozen=True)
class ObjectiveResult:
    progress: float
    expected: float
    status: Status
    # (key result id, weight share, contribution = share × progress), in input order.
    contributions: list[tuple[int, float, float]] = field(default_factory=list)
    # The same for the objectives aligned directly under it (not through a `children` KR).
    aligned: list[tuple[int, float, float]] = field(default_factory=list)
    basis: str = BASIS_KEY_RESULTS
    notes: list[Reason] = field(default_factory=list)  # about the number, not the status


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


def rolls_up_children(kr: KeyResultFacts) -> bool:
    """A KR whose progress is the weighted mean of the objectives aligned to it."""
    return kr.source == CHILDREN and kr.kind not in (BOOLEAN, MILESTONE)


def encloses(outer_start: date, outer_end: date, inner_start: date, inner_end: date) -> bool:
    """An objective counts under a parent of the same or an enclosing period only (the tree
    pages draw it there, and aligning refuses anything else)."""
    return outer_start <= inner_start and inner_end <= outer_end


def aligned_parent(parent_id: int | None, parent_key_result_objective_id: int | None) -> int | None:
    """The objective an objective is aligned under: `parent`, else its parent KR's objective
    (the two agree whenever both are set: aligning refuses anything else)."""
    return parent_id if parent_id is not None else parent_key_result_objective_id


def counts_in(
    *,
    child_id: int,
    live: bool,
    period: tuple[date, date],
    parent_id: int,
    parent_period: tuple[date, date],
    parent_key_result_id: int | None,
    rolling: Mapping[int, int],
) -> tuple[str, int] | None:
    """Where an objective aligned under `parent_id` counts: ("key_result", id) when aligned
    to a `children` KR of that parent (`rolling`: such KR → its objective), else
    ("objective", parent_id); None when it does not count (archived, not in the same or an
    enclosed period, or its own parent)."""
    if not live or child_id == parent_id or not encloses(*parent_period, *period):
        return None
    if parent_key_result_id is not None and rolling.get(parent_key_result_id) == parent_id:
        return ("key_result", parent_key_result_id)
    return ("objective", parent_id)


def evaluate_key_result(
    kr: KeyResultFacts,
    *,
    period_start: date,
    period_end: date,
    today: date,
    aligned: Iterable[tuple[float, float]] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> KeyResultResult:
    """One key result: progress, basis, expected pace and status with reasons.

    `kr.tasks_progress` carries the link-weighted done share of its linked work when measured;
    `aligned` holds (progress, weight) of the objectives aligned to a `children` KR.
    """
    if rolls_up_children(kr):
        mean = weighted_mean(aligned)
        notes = []
        if mean is None:
            notes.append(Reason("no_aligned_objectives", objects=[("key_result", kr.id)]))
        progress, basis = clamp01(mean or 0.0), "children"
    else:
        progress, basis, notes = own_progress(kr)
    expected = expected_progress(start=period_start, end=period_end, today=today)
    status = key_result_status(
        kr=kr,
        progress=progress,
        expected=expected,
        today=today,
        period_start=period_start,
        period_end=period_end,
        thresholds=thresholds,
    )
    return KeyResultResult(progress, basis, expected, status, notes)


def evaluate_objective(
    objective_id: int,
    *,
    period_start: date,
    period_end: date,
    today: date,
    key_results: Sequence[Part],
    aligned: Sequence[Part] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, shared safely
) -> ObjectiveResult:
    """One objective: the weighted mean of its key results (their weights) and of the
    objectives aligned directly under it (each child's own weight), in one pool.

    A child aligned through one of this objective's `children` KRs counts in that KR only;
    the caller leaves it out of `aligned`. All-zero weights count every part equally.
    """
    parts = [*key_results, *aligned]
    shares = weight_shares([part.weight for part in parts])
    contributions = [
        (part.id, share, share * clamp01(part.progress))
        for part, share in zip(parts, shares, strict=True)
    ]
    progress = clamp01(sum(c for _, _, c in contributions))
    expected = expected_progress(start=period_start, end=period_end, today=today)
    status = objective_status(
        objective_id=objective_id,
        progress=progress,
        expected=expected,
        key_results=[(part.id, part.status) for part in key_results],
        aligned=[(part.id, part.status) for part in aligned],
        today=today,
        period_start=period_start,
        thresholds=thresholds,
    )
    notes: list[Reason] = []
    if aligned:
        basis = BASIS_KEY_RESULTS_AND_CHILDREN if key_results else BASIS_CHILDREN
        counts = {"key_results": float(len(key_results)), "objectives": float(len(aligned))}
        notes.append(Reason("progress_basis", counts, [("objective", objective_id)]))
    else:
        basis = BASIS_KEY_RESULTS if key_results else BASIS_NONE
    split = len(key_results)
    return ObjectiveResult(
        progress,
        expected,
        status,
        contributions[:split],
        contributions[split:],
        basis,
        notes,
    )


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

    The same per-node functions as the materialized rollups. An objective aligned under
    another (`parent_id`, live, same or enclosed period) counts in it with its `weight`:
    through the parent's `children` KR it is aligned to (`parent_key_result_id`), else
    directly in the parent's own mean. Only objectives of the input count. A cycle (refused
    on write) cannot loop forever: a node met again while it is being computed is left out.
    """
    by_id = {o.id: o for o in objectives}
    krs_of: dict[int, list[KeyResultFacts]] = {o.id: [] for o in objectives}
    owner_of_kr: dict[int, int] = {}
    for kr in key_results:
        krs_of.setdefault(kr.objective_id, []).append(kr)
        owner_of_kr[kr.id] = kr.objective_id
    rolling = {kr.id: kr.objective_id for kr in key_results if rolls_up_children(kr)}
    under_kr: dict[int, list[ObjectiveFacts]] = {}
    under_objective: dict[int, list[ObjectiveFacts]] = {}
    for child in objectives:
        parent_id = aligned_parent(
            child.parent_id, owner_of_kr.get(child.parent_key_result_id or 0)
        )
        parent = by_id.get(parent_id) if parent_id is not None else None
        if parent is None:
            continue
        where = counts_in(
            child_id=child.id,
            live=not child.archived,
            period=(child.period_start, child.period_end),
            parent_id=parent.id,
            parent_period=(parent.period_start, parent.period_end),
            parent_key_result_id=child.parent_key_result_id,
            rolling=rolling,
        )
        if where is not None:
            bucket = under_kr if where[0] == "key_result" else under_objective
            bucket.setdefault(where[1], []).append(child)
    objective_results: dict[int, ObjectiveResult] = {}
    kr_results: dict[int, KeyResultResult] = {}
    in_progress: set[int] = set()

    def children_of(found: list[ObjectiveFacts]) -> list[tuple[ObjectiveFacts, ObjectiveResult]]:
        return [(c, objective_result(c)) for c in found if c.id not in in_progress]

    def objective_result(objective: ObjectiveFacts) -> ObjectiveResult:
        if objective.id in objective_results:
            return objective_results[objective.id]
        in_progress.add(objective.id)
        start, end = objective.period_start, objective.period_end
        parts = []
        for kr in krs_of.get(objective.id, []):
            pairs = [(r.progress, c.weight) for c, r in children_of(under_kr.get(kr.id, []))]
            kr_result = evaluate_key_result(
                kr,
                period_start=start,
                period_end=end,
                today=today,
                aligned=pairs,
                thresholds=thresholds,
            )
            kr_results[kr.id] = kr_result
            parts.append(Part(kr.id, kr.weight, kr_result.progress, kr_result.status.code))
        aligned = [
            Part(c.id, c.weight, r.progress, r.status.code)
            for c, r in children_of(under_objective.get(objective.id, []))
        ]
        result = evaluate_objective(
            objective.id,
            period_start=start,
            period_end=end,
            today=today,
            key_results=parts,
            aligned=aligned,
            thresholds=thresholds,
        )
        objective_results[objective.id] = result
        in_progress.discard(objective.id)
        return result

    for objective in objectives:
        objective_result(objective)
    return Evaluation(objective_results, kr_results)


__all__ = [
    "AT_RISK",
    "AT_RISK_CONFIDENCE",
    "AT_RISK_GAP",
    "BASIS_CHILDREN",
    "BASIS_KEY_RESULTS",
    "BASIS_KEY_RESULTS_AND_CHILDREN",
    "BASIS_NONE",
    "OFF_TRACK",
    "OFF_TRACK_CONFIDENCE",
    "OFF_TRACK_GAP",
    "ON_TRACK",
    "SETTINGS_KEY",
    "SEVERITY",
    "STALE_AFTER_DAYS",
    "STATUS_LABELS",
    "Evaluation",
    "KeyResultFacts",
    "KeyResultResult",
    "ObjectiveFacts",
    "ObjectiveResult",
    "Part",
    "Reason",
    "Status",
    "Step",
    "Thresholds",
    "aligned_parent",
    "binary_progress",
    "counts_in",
    "encloses",
    "evaluate",
    "evaluate_key_result",
    "evaluate_objective",
    "expected_progress",
    "key_result_status",
    "milestone_progress",
    "numeric_progress",
    "objective_status",
    "own_progress",
    "pace_reason",
    "rolls_up_children",
    "weight_shares",
    "weighted_mean",
]
