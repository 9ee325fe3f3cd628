"""Pure rollup computation: per-node rows from plain facts, no queries.

The per-node functions both the incremental and the full path end in (see rollups.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any

from django.db.models.base import ModelState
from django.utils import timezone

from dashboards.models import Basis, NodeKind, Rollup
from okrs import progress as math
from okrs.models import KeyResult, Objective
from okrs.selectors import key_result_facts
from tasks.models import SprintStatus

Key = tuple[str, int]
ITEM, SPRINT, TEAM = NodeKind.ROADMAP_ITEM.value, NodeKind.SPRINT.value, NodeKind.TEAM.value
KR, OBJECTIVE = NodeKind.KEY_RESULT.value, NodeKind.OBJECTIVE.value
TASK = "task"
ZERO = Decimal("0")
FOUR = Decimal("0.0001")
THREE = Decimal("0.001")
ROW_FIELDS = [
    "workspace",
    "progress",
    "expected",
    "basis",
    "done_points",
    "total_points",
    "done_count",
    "total_count",
    "aligned_points",
    "work_progress",
    "status",
    "reasons",
    "feeds",
    "inputs",
    "computed_at",
    "digest",
]
# The fields a full recompute and an incremental one must agree on (the digest hashes them).
COMPARED_FIELDS = [f for f in ROW_FIELDS if f not in ("workspace", "computed_at", "digest")]


def q4(value: float | Decimal) -> Decimal:
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(FOUR)


def q3(value: Decimal | int) -> Decimal:
    return Decimal(value).quantize(THREE)


def reason_json(reason: math.Reason) -> dict[str, Any]:
    # Numbers sorted by name: PostgreSQL's jsonb reorders keys, and a reason rebuilt from a
    # stored row (a team's, from its sprint's) must hash like the fresh one (`row_digest`).
    numbers = reason.numbers
    return {
        "code": reason.code,
        "numbers": dict(sorted(numbers.items())) if len(numbers) > 1 else dict(numbers),
        "objects": list(map(list, reason.objects)),
    }


def reason_from_json(data: Mapping[str, Any]) -> math.Reason:
    return math.Reason(
        code=str(data.get("code", "")),
        numbers=dict(data.get("numbers") or {}),
        objects=[(str(k), int(i)) for k, i in data.get("objects") or []],
    )


def row_digest(values: Sequence[Any]) -> str:
    """A hash of a row's compared values, in COMPARED_FIELDS order.

    `repr` is exact and canonical here: numbers are quantized Decimals or floats, reasons are
    built by `reason_json` (numbers sorted), feeds and inputs sorted; it runs in C, where
    comparing the decoded JSON of every stored row cost a full recompute ≈0.5 s at 1M tasks.
    """
    return hashlib.blake2b(repr(tuple(values)).encode(), digest_size=16).hexdigest()


def _keys(pairs: Iterable[Key]) -> list[list[Any]]:
    """Pairs deduplicated and sorted (by kind, then id), as JSON-ready lists.

    Grouped by kind and sorted as plain ints: sorting (kind, id) tuples was 6× slower, and a
    full recompute sorts about 120,000 pairs at a million tasks.
    """
    ids_of: dict[str, set[int]] = {}
    for kind, node_id in pairs:
        ids = ids_of.get(kind)
        if ids is None:
            ids_of[kind] = {node_id}
        else:
            ids.add(node_id)
    if len(ids_of) == 1:
        ((kind, ids),) = ids_of.items()
        return [[kind, i] for i in sorted(ids)]
    return [[kind, i] for kind in sorted(ids_of) for i in sorted(ids_of[kind])]


# ---- pure computation ------------------------------------------------------------------------


@dataclass
class Work:
    """Points and tasks counted under a node (canceled tasks never count)."""

    done_points: Decimal = ZERO
    total_points: Decimal = ZERO
    done_count: int = 0
    total_count: int = 0
    aligned_points: Decimal = ZERO

    def add(self, other: Work) -> None:
        self.done_points += other.done_points
        self.total_points += other.total_points
        self.done_count += other.done_count
        self.total_count += other.total_count
        self.aligned_points += other.aligned_points

    @property
    def open_count(self) -> int:
        return self.total_count - self.done_count


def work_progress(work: Work) -> tuple[float, str]:
    """Done share on points when anything is estimated, else on task count."""
    if work.total_points > 0:
        return math.clamp01(float(work.done_points / work.total_points)), Basis.POINTS.value
    if work.total_count > 0:
        return work.done_count / work.total_count, Basis.COUNT.value
    return 0.0, Basis.NONE.value


def _row(
    workspace_id: int,
    kind: str,
    node_id: int,
    *,
    progress: float,
    expected: float,
    basis: str,
    work: Work,
    status: math.Status,
    feeds: Iterable[Key] = (),
    inputs: Iterable[Key] = (),
    work_share: float | None = None,
    extra_reasons: Sequence[math.Reason] = (),
    now: Any = None,
) -> Rollup:
    compared = {
        "progress": q4(math.clamp01(progress)),
        "expected": q4(math.clamp01(expected)),
        "basis": basis,
        "done_points": q3(work.done_points),
        "total_points": q3(work.total_points),
        "done_count": work.done_count,
        "total_count": work.total_count,
        "aligned_points": q3(work.aligned_points),
        "work_progress": None if work_share is None else q4(math.clamp01(work_share)),
        "status": status.code,
        "reasons": [reason_json(r) for r in [*status.reasons, *extra_reasons]],
        "feeds": _keys(feeds),
        "inputs": _keys(inputs),
    }
    return new_rollup(
        id=None,
        workspace_id=workspace_id,
        kind=kind,
        node_id=node_id,
        computed_at=now or timezone.now(),
        digest=row_digest([compared[f] for f in COMPARED_FIELDS]),
        **compared,
    )


ROLLUP_ATTNAMES = frozenset(f.attname for f in Rollup._meta.concrete_fields)


def new_rollup(**values: Any) -> Rollup:
    """An unsaved Rollup from every concrete field's value, without `Model.__init__`.

    A full recompute builds one row per node (about 20,000 at a million tasks) and usually
    writes none of them; `Model.__init__` (field defaults, signals, kwargs matching) was a
    quarter of its time. The result is the same unsaved instance `Rollup(**values)` gives:
    every attname set, a fresh `_state` (adding, no database).
    """
    if values.keys() != ROLLUP_ATTNAMES:
        raise TypeError(f"new_rollup needs exactly {sorted(ROLLUP_ATTNAMES)}")
    row = Rollup.__new__(Rollup)
    row._state = ModelState()
    row.__dict__.update(values)
    return row


def _pace_status(
    *,
    ref: list[Key],
    progress: float,
    expected: float,
    thresholds: math.Thresholds,
) -> math.Status:
    gap = progress - expected
    numbers = {"progress": round(progress, 4), "expected": round(expected, 4), "gap": round(gap, 4)}
    if gap <= -thresholds.off_track_gap:
        return math.Status(math.OFF_TRACK, [math.Reason("behind_pace", numbers, ref)])
    if gap <= -thresholds.at_risk_gap:
        return math.Status(math.AT_RISK, [math.Reason("behind_pace", numbers, ref)])
    return math.Status(math.ON_TRACK, [math.pace_reason(progress, expected, ref)])


@dataclass(frozen=True)
class ItemFacts:
    id: int
    workspace_id: int
    start_date: date | None
    target_date: date | None
    status: str


def item_rollup(
    item: ItemFacts,
    work: Work,
    *,
    feeds: Iterable[Key],
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
) -> Rollup:
    """A roadmap item: done/total points of its tasks, against the pace of its own dates."""
    ref: list[Key] = [(ITEM, item.id)]
    progress, basis = work_progress(work)
    expected = 0.0
    if item.start_date and item.target_date:
        expected = math.expected_progress(start=item.start_date, end=item.target_date, today=today)
    if work.total_count == 0:
        status = math.Status(math.ON_TRACK, [math.Reason("no_tasks", {}, ref)])
    elif progress >= 1:
        status = math.Status(math.ON_TRACK, [math.Reason("target_reached", {"progress": 1.0}, ref)])
    elif item.target_date and today > item.target_date:
        numbers = {
            "days_late": float((today - item.target_date).days),
            "open_count": float(work.open_count),
            "progress": round(progress, 4),
        }
        status = math.Status(math.OFF_TRACK, [math.Reason("past_target_date", numbers, ref)])
    elif item.start_date and item.target_date and today >= item.start_date:
        status = _pace_status(ref=ref, progress=progress, expected=expected, thresholds=thresholds)
    else:
        status = math.Status(math.ON_TRACK, [math.Reason("not_scheduled", {}, ref)])
    return _row(
        item.workspace_id,
        ITEM,
        item.id,
        progress=progress,
        expected=expected,
        basis=basis,
        work=work,
        status=status,
        feeds=feeds,
        now=now,
    )


@dataclass(frozen=True)
class SprintFacts:
    id: int
    workspace_id: int
    team_id: int
    start_date: date
    end_date: date
    status: str


def sprint_rollup(
    sprint: SprintFacts,
    work: Work,
    *,
    inputs: Iterable[Key],
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
) -> Rollup:
    """A sprint: done/total points of the tasks in it now, against the sprint's calendar."""
    ref: list[Key] = [(SPRINT, sprint.id)]
    progress, basis = work_progress(work)
    expected = math.expected_progress(start=sprint.start_date, end=sprint.end_date, today=today)
    if sprint.status == SprintStatus.CLOSED:
        expected = 1.0
        status = math.Status(
            math.ON_TRACK, [math.Reason("sprint_closed", {"progress": round(progress, 4)}, ref)]
        )
    elif sprint.status == SprintStatus.PLANNED:
        status = math.Status(math.ON_TRACK, [math.Reason("sprint_not_started", {}, ref)])
    elif work.total_count == 0:
        status = math.Status(math.ON_TRACK, [math.Reason("no_tasks", {}, ref)])
    elif progress >= 1:
        status = math.Status(math.ON_TRACK, [math.Reason("target_reached", {"progress": 1.0}, ref)])
    else:
        status = _pace_status(ref=ref, progress=progress, expected=expected, thresholds=thresholds)
    return _row(
        sprint.workspace_id,
        SPRINT,
        sprint.id,
        progress=progress,
        expected=expected,
        basis=basis,
        work=work,
        status=status,
        feeds=[(TEAM, sprint.team_id)],
        inputs=inputs,
        now=now,
    )


def team_rollup(
    workspace_id: int, team_id: int, active_sprint: Rollup | None, *, now: Any = None
) -> Rollup:
    """A team: the numbers of its active sprint (alignment included), or nothing to count."""
    ref: list[Key] = [(TEAM, team_id)]
    if active_sprint is None:
        status = math.Status(math.ON_TRACK, [math.Reason("no_active_sprint", {}, ref)])
        return _row(
            workspace_id,
            TEAM,
            team_id,
            progress=0.0,
            expected=0.0,
            basis=Basis.NONE.value,
            work=Work(),
            status=status,
            now=now,
        )
    work = Work(
        done_points=active_sprint.done_points,
        total_points=active_sprint.total_points,
        done_count=active_sprint.done_count,
        total_count=active_sprint.total_count,
        aligned_points=active_sprint.aligned_points,
    )
    reasons = [reason_from_json(r) for r in active_sprint.reasons]
    return _row(
        workspace_id,
        TEAM,
        team_id,
        progress=float(active_sprint.progress),
        expected=float(active_sprint.expected),
        basis=active_sprint.basis,
        work=work,
        status=math.Status(active_sprint.status, reasons),
        inputs=[(SPRINT, active_sprint.node_id)],
        now=now,
    )


@dataclass
class OkrInputs:
    """What the OKR level reads besides objectives and KRs themselves."""

    # KR id → [(link weight, item rollup)] of its linked roadmap items.
    links: dict[int, list[tuple[Decimal, Rollup]]] = field(default_factory=dict)
    # KR id → [(objective weight, objective rollup)] of the live objectives aligned to it.
    aligned: dict[int, list[tuple[Decimal, Rollup]]] = field(default_factory=dict)


def key_result_rollup(
    kr: KeyResult,
    objective: Objective,
    inputs: OkrInputs,
    *,
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
    tz: tzinfo | None = None,
) -> Rollup:
    """A key result: link-weighted linked work, aligned objectives or its own check-ins."""
    work = Work()
    weighted_done = weighted_total = ZERO
    weighted_done_count = weighted_total_count = ZERO
    linked = inputs.links.get(kr.id, [])
    for weight, item in linked:
        work.done_points += weight * item.done_points
        work.total_points += weight * item.total_points
        work.done_count += item.done_count
        work.total_count += item.total_count
        weighted_done_count += weight * item.done_count
        weighted_total_count += weight * item.total_count
    weighted_done, weighted_total = work.done_points, work.total_points
    share: float | None = None
    if weighted_total > 0:
        share = float(q4(weighted_done / weighted_total))
    elif weighted_total_count > 0:
        share = float(q4(weighted_done_count / weighted_total_count))
    facts = key_result_facts(kr, tasks_progress=share if kr.source == math.TASKS else None, tz=tz)
    period = objective.period
    notes: list[math.Reason] = []
    children = inputs.aligned.get(kr.id, [])
    if kr.source == math.CHILDREN and kr.kind not in (math.BOOLEAN, math.MILESTONE):
        mean = math.weighted_mean((float(row.progress), float(w)) for w, row in children)
        if mean is None:
            notes.append(math.Reason("no_aligned_objectives", objects=[(KR, kr.id)]))
        progress, basis = math.clamp01(mean or 0.0), Basis.CHILDREN.value
    else:
        progress, basis, notes = math.own_progress(facts)
    expected = math.expected_progress(start=period.start, end=period.end, today=today)
    status = math.key_result_status(
        kr=facts,
        progress=progress,
        expected=expected,
        today=today,
        period_start=period.start,
        period_end=period.end,
        thresholds=thresholds,
    )
    return _row(
        kr.workspace_id,
        KR,
        kr.id,
        progress=progress,
        expected=expected,
        basis=basis,
        work=work,
        status=status,
        feeds=[(OBJECTIVE, kr.objective_id)],
        inputs=[
            *((ITEM, row.node_id) for _, row in linked),
            *((OBJECTIVE, r.node_id) for _, r in children),
        ],
        work_share=share,
        extra_reasons=notes,
        now=now,
    )


def objective_rollup(
    objective: Objective,
    kr_rows: Sequence[tuple[KeyResult, Rollup]],
    *,
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
) -> Rollup:
    """An objective: the weighted mean of its key results, against the period's pace."""
    period = objective.period
    shares = math.weight_shares([float(kr.weight) for kr, _ in kr_rows])
    progress = math.clamp01(
        sum(share * float(row.progress) for share, (_, row) in zip(shares, kr_rows, strict=True))
    )
    expected = math.expected_progress(start=period.start, end=period.end, today=today)
    statuses = [
        (kr.id, math.Status(row.status, [reason_from_json(r) for r in row.reasons]))
        for kr, row in kr_rows
    ]
    status = math.objective_status(
        objective_id=objective.id,
        progress=progress,
        expected=expected,
        key_results=statuses,
        today=today,
        period_start=period.start,
        thresholds=thresholds,
    )
    work = Work()
    for _, row in kr_rows:
        work.add(Work(row.done_points, row.total_points, row.done_count, row.total_count))
    feeds: list[Key] = []
    if objective.parent_key_result_id:
        feeds.append((KR, objective.parent_key_result_id))
    return _row(
        objective.workspace_id,
        OBJECTIVE,
        objective.id,
        progress=progress,
        expected=expected,
        basis=Basis.KEY_RESULTS.value if kr_rows else Basis.NONE.value,
        work=work,
        status=status,
        feeds=feeds,
        inputs=[(KR, kr.id) for kr, _ in kr_rows],
        now=now,
    )
