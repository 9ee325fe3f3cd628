"""Pure rollup computation for the OKR nodes: key results and objectives, from plain facts.

Both the rollup passes (okr.py, from fetched values) and the snapshot backfill
(snapshots.py, from model instances as of a past day) end here.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dashboards.models import Rollup
from dashboards.rollups.math import (
    ITEM,
    KR,
    NO_KEYS,
    OBJECTIVE,
    ZERO,
    Work,
    node_row,
    q4,
)
from okrs import progress as math
from okrs.models import Objective, ObjectiveStatus


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
    # The objective it is aligned under (`Objective.parent`).
    parent_id: int | None = None
    # The objective owning `parent_key_result_id` (the same one when both are set).
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
        "parent_id",
        "parent_key_result__objective_id",
    )

    @classmethod
    def of(cls, objective: Objective, parent_objective_id: int | None = None) -> ObjectiveFacts:
        return cls(
            objective.pk,
            objective.workspace_id,
            objective.period.start,
            objective.period.end,
            objective.weight,
            objective.status,
            objective.parent_key_result_id,
            objective.parent_id,
            parent_objective_id,
        )

    @property
    def aligned_under(self) -> int | None:
        """The objective this one is aligned under, if any."""
        return math.aligned_parent(self.parent_id, self.parent_objective_id)

    @property
    def is_live(self) -> bool:
        return self.status != ObjectiveStatus.ARCHIVED


def route_aligned(
    objectives: Mapping[int, ObjectiveFacts],
    krs: Iterable[math.KeyResultFacts],
    children: Iterable[ObjectiveFacts],
) -> tuple[dict[int, list[tuple[Decimal, int]]], dict[int, list[tuple[Decimal, int]]]]:
    """Where each aligned objective counts (`okrs.progress.counts_in`): KR id → [(weight,
    objective id)] through a `children` KR, objective id → [(weight, objective id)] directly."""
    rolling = {kr.id: kr.objective_id for kr in krs if math.rolls_up_children(kr)}
    aligned_of: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    under: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for child in children:
        parent = objectives.get(child.aligned_under or 0)
        if parent is None:
            continue
        where = math.counts_in(
            child_id=child.id,
            live=child.is_live,
            period=(child.period_start, child.period_end),
            parent_id=parent.id,
            parent_period=(parent.period_start, parent.period_end),
            parent_key_result_id=child.parent_key_result_id,
            rolling=rolling,
        )
        if where is not None:
            (aligned_of if where[0] == KR else under)[where[1]].append((child.weight, child.id))
    return aligned_of, under


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

    `kr` comes without `tasks_progress`: the linked work measured here fills it in. The
    number and its status come from `okrs.progress.evaluate_key_result`.
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
    children = inputs.aligned.get(kr.id, []) if math.rolls_up_children(kr) else []
    result = math.evaluate_key_result(
        kr,
        period_start=objective.period_start,
        period_end=objective.period_end,
        today=today,
        aligned=[(float(row.progress), float(w)) for w, row in children],
        thresholds=thresholds,
    )
    return node_row(
        objective.workspace_id,
        KR,
        kr.id,
        progress=result.progress,
        expected=result.expected,
        basis=result.basis,
        work=work,
        status=result.status,
        feeds={OBJECTIVE: (kr.objective_id,)},
        inputs={
            ITEM: [row.node_id for _, row in linked],
            OBJECTIVE: [row.node_id for _, row in children],
        },
        work_share=share,
        extra_reasons=result.notes,
        now=now,
    )


def objective_rollup(
    objective: ObjectiveFacts,
    kr_rows: Sequence[tuple[math.KeyResultFacts, Rollup]],
    aligned_rows: Sequence[tuple[Decimal, Rollup]] = (),
    *,
    today: date,
    thresholds: math.Thresholds,
    now: Any = None,
) -> Rollup:
    """An objective: its key results and the objectives aligned directly under it
    (`aligned_rows`: (child weight, child row)), weighted, against the period's pace.

    The number and its status come from `okrs.progress.evaluate_objective`; its work counts
    are its key results' (an aligned objective's work is its own).
    """
    result = math.evaluate_objective(
        objective.id,
        period_start=objective.period_start,
        period_end=objective.period_end,
        today=today,
        key_results=[
            math.Part(kr.id, kr.weight, float(row.progress), row.status) for kr, row in kr_rows
        ],
        aligned=[
            math.Part(row.node_id, float(w), float(row.progress), row.status)
            for w, row in aligned_rows
        ],
        thresholds=thresholds,
    )
    work = Work()
    for _, row in kr_rows:
        work.add(Work(row.done_points, row.total_points, row.done_count, row.total_count))
    # Where this row counts: the objective above (and its KR, when aligned to one). The
    # incremental pass walks up these, now and as last stored (a re-aligned objective).
    feeds: dict[str, tuple[int, ...]] = {}
    if objective.aligned_under is not None:
        feeds[OBJECTIVE] = (objective.aligned_under,)
    if objective.parent_key_result_id is not None:
        feeds[KR] = (objective.parent_key_result_id,)
    return node_row(
        objective.workspace_id,
        OBJECTIVE,
        objective.id,
        progress=result.progress,
        expected=result.expected,
        basis=result.basis,
        work=work,
        status=result.status,
        feeds=feeds or NO_KEYS,
        inputs={
            KR: [kr.id for kr, _ in kr_rows],
            OBJECTIVE: [row.node_id for _, row in aligned_rows],
        },
        extra_reasons=result.notes,
        now=now,
    )
