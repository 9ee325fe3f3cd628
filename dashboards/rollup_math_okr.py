"""Pure rollup computation for the OKR nodes: key results and objectives, from plain facts.

Both the rollup passes (rollup_okr.py, from fetched values) and the snapshot backfill
(snapshots.py, from model instances as of a past day) end here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dashboards.models import Basis, Rollup
from dashboards.rollup_math import (
    ITEM,
    KR,
    NO_KEYS,
    OBJECTIVE,
    ZERO,
    KeyIds,
    Work,
    node_row,
    q4,
)
from okrs import progress as math
from okrs.models import Objective


@dataclass(frozen=True, slots=True)
class ObjectiveFacts:
    """What an objective's and its key results' rows read of the objective."""

    id: int
    workspace_id: int
    period_start: date
    period_end: date
    weight: Decimal
    status: str
    parent_key_result_id: int | None
    # The objective owning `parent_key_result_id`: the next level up.
    parent_objective_id: int | None = None

    # The values to fetch for `ObjectiveFacts(*row)`, in field order.
    FIELDS = (
        "id",
        "workspace_id",
        "period__start",
        "period__end",
        "weight",
        "status",
        "parent_key_result_id",
        "parent_key_result__objective_id",
    )

    @classmethod
    def of(cls, objective: Objective) -> ObjectiveFacts:
        return cls(
            objective.pk,
            objective.workspace_id,
            objective.period.start,
            objective.period.end,
            objective.weight,
            objective.status,
            objective.parent_key_result_id,
        )


@dataclass
class OkrInputs:
    """What the OKR level reads besides objectives and KRs themselves."""

    # KR id → [(link weight, item rollup)] of its linked roadmap items.
    links: dict[int, list[tuple[Decimal, Rollup]]] = field(default_factory=dict)
    # KR id → [(objective weight, objective rollup)] of the live objectives aligned to it.
    aligned: dict[int, list[tuple[Decimal, Rollup]]] = field(default_factory=dict)


def key_result_rollup(
    kr: math.KeyResultFacts,
    objective: ObjectiveFacts,
    inputs: OkrInputs,
    *,
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
) -> Rollup:
    """A key result: link-weighted linked work, aligned objectives or its own check-ins.

    `kr` comes without `tasks_progress`: the linked work measured here fills it in.
    """
    work = Work()
    weighted_done_count = weighted_total_count = ZERO
    linked = inputs.links.get(kr.id, [])
    for weight, item in linked:
        work.done_points += weight * item.done_points
        work.total_points += weight * item.total_points
        work.done_count += item.done_count
        work.total_count += item.total_count
        weighted_done_count += weight * item.done_count
        weighted_total_count += weight * item.total_count
    share: float | None = None
    if work.total_points > 0:
        share = float(q4(work.done_points / work.total_points))
    elif weighted_total_count > 0:
        share = float(q4(weighted_done_count / weighted_total_count))
    if kr.source == math.TASKS and share is not None:
        kr = dataclasses.replace(kr, tasks_progress=share)
    notes: list[math.Reason] = []
    children = inputs.aligned.get(kr.id, [])
    if kr.source == math.CHILDREN and kr.kind not in (math.BOOLEAN, math.MILESTONE):
        mean = math.weighted_mean((float(row.progress), float(w)) for w, row in children)
        if mean is None:
            notes.append(math.Reason("no_aligned_objectives", objects=[(KR, kr.id)]))
        progress, basis = math.clamp01(mean or 0.0), Basis.CHILDREN.value
    else:
        progress, basis, notes = math.own_progress(kr)
    start, end = objective.period_start, objective.period_end
    expected = math.expected_progress(start=start, end=end, today=today)
    status = math.key_result_status(
        kr=kr,
        progress=progress,
        expected=expected,
        today=today,
        period_start=start,
        period_end=end,
        thresholds=thresholds,
    )
    return node_row(
        objective.workspace_id,
        KR,
        kr.id,
        progress=progress,
        expected=expected,
        basis=basis,
        work=work,
        status=status,
        feeds={OBJECTIVE: (kr.objective_id,)},
        inputs={
            ITEM: [row.node_id for _, row in linked],
            OBJECTIVE: [row.node_id for _, row in children],
        },
        work_share=share,
        extra_reasons=notes,
        now=now,
    )


def objective_rollup(
    objective: ObjectiveFacts,
    kr_rows: Sequence[tuple[math.KeyResultFacts, Rollup]],
    *,
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
) -> Rollup:
    """An objective: the weighted mean of its key results, against the period's pace."""
    start = objective.period_start
    shares = math.weight_shares([kr.weight for kr, _ in kr_rows])
    progress = math.clamp01(
        sum(share * float(row.progress) for share, (_, row) in zip(shares, kr_rows, strict=True))
    )
    expected = math.expected_progress(start=start, end=objective.period_end, today=today)
    # The objective's status reads only its KRs' status codes: their reasons stay as stored.
    statuses = [(kr.id, math.Status(row.status, [])) for kr, row in kr_rows]
    status = math.objective_status(
        objective_id=objective.id,
        progress=progress,
        expected=expected,
        key_results=statuses,
        today=today,
        period_start=start,
        thresholds=thresholds,
    )
    work = Work()
    for _, row in kr_rows:
        work.add(Work(row.done_points, row.total_points, row.done_count, row.total_count))
    parent_kr = objective.parent_key_result_id
    feeds: KeyIds = {KR: (parent_kr,)} if parent_kr else NO_KEYS
    return node_row(
        objective.workspace_id,
        OBJECTIVE,
        objective.id,
        progress=progress,
        expected=expected,
        basis=Basis.KEY_RESULTS.value if kr_rows else Basis.NONE.value,
        work=work,
        status=status,
        feeds=feeds,
        inputs={KR: [kr.id for kr, _ in kr_rows]},
        now=now,
    )
