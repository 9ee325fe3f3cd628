"""Pure rollup computation: per-node rows from plain facts, no queries.

The per-node functions both the incremental and the full path end in (see __init__.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models.base import ModelState
from django.utils import timezone

from dashboards.models import Basis, NodeKind, Rollup
from okrs import progress as math
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


def _clamp01(value: float) -> float:
    """`math.clamp01` without a call for the usual value already in [0, 1] (NaN fails the
    comparison and takes the call)."""
    return value if 0.0 <= value <= 1.0 else math.clamp01(value)


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


def row_digest(values: Sequence[Any], keys: Sequence[KeyGroups] = ()) -> str:
    """A hash of a row's compared values: scalars and reasons in COMPARED_FIELDS order, then
    the feeds and the inputs as sorted id groups (`key_groups`).

    `repr` is exact and canonical here: numbers are quantized Decimals or floats, reasons are
    built by `reason_json` (numbers sorted), id groups are sorted. Ids are hashed as groups
    (kind once, then its ids), not as the stored [[kind, id], …] pairs, whose repr was a
    third of the hashing (150,000 pairs at a million tasks). One `repr` runs in C, where
    comparing the decoded JSON of every stored row cost a full recompute ≈0.5 s at 1M tasks.
    """
    text = repr((tuple(values), tuple(keys)))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# A node's feeds or inputs: ids per node kind. Any collection of ids: duplicates collapse.
KeyIds = Mapping[str, Collection[int]]
# The same, canonical: (kind, sorted unique ids) by kind, empty kinds left out.
KeyGroups = list[tuple[str, list[int]]]
NO_KEYS: KeyIds = {}


def key_groups(ids_of: KeyIds) -> KeyGroups:
    """Ids per kind, deduplicated and sorted as plain ints (sorting (kind, id) tuples was 6×
    slower, and a full recompute sorts about 150,000 ids at a million tasks)."""
    groups: KeyGroups = []
    for kind in sorted(ids_of):
        ids = ids_of[kind]
        if len(ids) == 1:
            groups.append((kind, list(ids)))
        elif ids:
            groups.append((kind, sorted(set(ids))))
    return groups


def key_lists(groups: KeyGroups) -> list[list[Any]]:
    """Groups as the stored JSON: [[kind, id], …] sorted by kind, then id."""
    return [[kind, node_id] for kind, ids in groups for node_id in ids]


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


def node_row(
    workspace_id: int,
    kind: str,
    node_id: int,
    *,
    progress: float,
    expected: float,
    basis: str,
    work: Work,
    status: math.Status,
    feeds: KeyIds = NO_KEYS,
    inputs: KeyIds = NO_KEYS,
    work_share: float | None = None,
    extra_reasons: Sequence[math.Reason] = (),
    now: Any = None,
) -> Rollup:
    # Spelled out rather than a dict of COMPARED_FIELDS: a full recompute builds ≈18,500 rows.
    progress_q = q4(_clamp01(progress))
    expected_q = q4(_clamp01(expected))
    done_points, total_points = q3(work.done_points), q3(work.total_points)
    aligned_points = q3(work.aligned_points)
    share = None if work_share is None else q4(_clamp01(work_share))
    reasons = [reason_json(r) for r in status.reasons]
    if extra_reasons:
        reasons += [reason_json(r) for r in extra_reasons]
    feed_groups, input_groups = key_groups(feeds), key_groups(inputs)
    values = (
        progress_q,
        expected_q,
        basis,
        done_points,
        total_points,
        work.done_count,
        work.total_count,
        aligned_points,
        share,
        status.code,
        reasons,
    )
    return new_rollup(
        id=None,
        workspace_id=workspace_id,
        kind=kind,
        node_id=node_id,
        progress=progress_q,
        expected=expected_q,
        basis=basis,
        done_points=done_points,
        total_points=total_points,
        done_count=work.done_count,
        total_count=work.total_count,
        aligned_points=aligned_points,
        work_progress=share,
        status=status.code,
        reasons=reasons,
        feeds=key_lists(feed_groups),
        inputs=key_lists(input_groups),
        computed_at=now or timezone.now(),
        digest=row_digest(values, (feed_groups, input_groups)),
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
    feeds: KeyIds,
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
    return node_row(
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
    inputs: KeyIds,
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
    return node_row(
        sprint.workspace_id,
        SPRINT,
        sprint.id,
        progress=progress,
        expected=expected,
        basis=basis,
        work=work,
        status=status,
        feeds={TEAM: (sprint.team_id,)},
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
        return node_row(
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
    return node_row(
        workspace_id,
        TEAM,
        team_id,
        progress=float(active_sprint.progress),
        expected=float(active_sprint.expected),
        basis=active_sprint.basis,
        work=work,
        status=math.Status(active_sprint.status, reasons),
        inputs={SPRINT: (active_sprint.node_id,)},
        now=now,
    )
