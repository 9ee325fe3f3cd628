"""Progress nodes of objectives and key results, read from the read model's rows.

The pages and the API show these; they hold no math of their own beyond the weight shares
the stored rows' inputs imply (see `build_nodes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from alignment.models import Workspace
from okrs import progress as math
from okrs.models import KeyResult, Objective
from readmodel.selectors import RollupRow, rollups_for


@dataclass
class KeyResultNode:
    key_result: KeyResult
    progress: float
    expected: float
    status: math.Status
    basis: str
    notes: list[math.Reason]
    weight_share: float
    contribution: float
    as_of: datetime | None = None  # when its row was computed (None: no row)

    @property
    def reasons(self) -> list[math.Reason]:
        return self.status.reasons

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


@dataclass
class ObjectiveNode:
    objective: Objective
    progress: float
    expected: float
    status: math.Status
    key_results: list[KeyResultNode]
    children: list[ObjectiveNode] = field(default_factory=list)
    depth: int = 0
    matches: bool = True  # False: shown only because a descendant matches the filters
    basis: str = "none"  # what its row counted: key_results, children, ... or none
    notes: list[math.Reason] = field(default_factory=list)  # about the number
    # Objectives aligned directly under it that its row counted: (id, share, contribution).
    aligned_contributions: list[tuple[int, float, float]] = field(default_factory=list)
    as_of: datetime | None = None  # when its row was computed (None: no row)

    @property
    def reasons(self) -> list[math.Reason]:
        return self.status.reasons

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)


# Reason codes about a number rather than its status: a row stores them after the status
# reasons (dashboards/rollups/math.node_row), pages show them apart.
NOTE_CODES = frozenset({"tasks_not_measured", "no_aligned_objectives", "progress_basis"})
OBJECTIVE, KEY_RESULT = "objective", "key_result"  # readmodel NodeKind values


def _reasons(row: RollupRow | None) -> tuple[list[math.Reason], list[math.Reason]]:
    """A row's stored reasons as (status reasons, notes about the number)."""
    status: list[math.Reason] = []
    notes: list[math.Reason] = []
    for data in row.reasons if row is not None else ():
        reason = math.Reason(
            code=str(data.get("code", "")),
            numbers=dict(data.get("numbers") or {}),
            objects=[(str(k), int(i)) for k, i in data.get("objects") or []],
        )
        (notes if reason.code in NOTE_CODES else status).append(reason)
    return status, notes


def _numbers(row: RollupRow | None) -> tuple[float, float, math.Status, list[math.Reason]]:
    """Progress, expected, status and notes of a row; a node without one shows nothing yet."""
    if row is None:
        return 0.0, 0.0, math.Status(math.ON_TRACK, []), []
    status, notes = _reasons(row)
    return row.progress, row.expected, math.Status(row.status, status), notes


def _weights_of_aligned(
    workspace: Workspace,
    rows: Mapping[tuple[str, int], RollupRow],
    objectives: Sequence[Objective],
) -> dict[int, float]:
    """Weights of the objectives that objective rows counted directly (one query only when
    one of them is not on the page)."""
    weights = {o.pk: float(o.weight) for o in objectives}
    wanted = {
        i
        for (kind, _), row in rows.items()
        if kind == OBJECTIVE
        for i in row.inputs_of(OBJECTIVE)
        if i not in weights
    }
    if wanted:
        weights.update(
            (pk, float(w))
            for pk, w in Objective.objects.for_workspace(workspace)
            .filter(pk__in=wanted)
            .values_list("pk", "weight")
        )
    return weights


def build_nodes(
    workspace: Workspace,
    objectives: Sequence[Objective],
    key_results: Sequence[KeyResult],
    today: date | None,
) -> dict[int, ObjectiveNode]:
    """Nodes of these objectives and KRs from their read-model rows (one bulk read).

    An objective row's inputs name what it counted: its key results (weighted by their
    weights) and, where aligned objectives count directly, those objectives (by their own
    weight). Weight shares and contributions are derived from those weights and the inputs'
    stored progress, so the contributions add up to the row's progress.
    """
    rows = rollups_for(
        workspace.pk,
        {OBJECTIVE: [o.pk for o in objectives], KEY_RESULT: [kr.pk for kr in key_results]},
        today=today,
    )
    aligned_weights = _weights_of_aligned(workspace, rows, objectives)
    krs_of: dict[int, list[KeyResult]] = {}
    for kr in key_results:
        krs_of.setdefault(kr.objective_id, []).append(kr)
    nodes: dict[int, ObjectiveNode] = {}
    for objective in objectives:
        row = rows.get((OBJECTIVE, objective.pk))
        own = krs_of.get(objective.pk, [])
        counted = set(row.inputs_of(KEY_RESULT)) if row else {kr.pk for kr in own}
        counted_krs = [kr for kr in own if kr.pk in counted]
        aligned_ids = row.inputs_of(OBJECTIVE) if row else []
        shares = math.weight_shares(
            [float(kr.weight) for kr in counted_krs]
            + [aligned_weights.get(i, 0.0) for i in aligned_ids]
        )
        share_of = dict(zip([kr.pk for kr in counted_krs], shares, strict=False))
        kr_nodes = []
        for kr in own:
            kr_row = rows.get((KEY_RESULT, kr.pk))
            progress, expected, status, notes = _numbers(kr_row)
            share = share_of.get(kr.pk, 0.0)
            kr_nodes.append(
                KeyResultNode(
                    key_result=kr,
                    progress=progress,
                    expected=expected,
                    status=status,
                    basis=kr_row.basis if kr_row else "none",
                    notes=notes,
                    weight_share=share,
                    contribution=share * progress,
                    as_of=kr_row.as_of if kr_row else None,
                )
            )
        aligned_shares = shares[len(counted_krs) :]
        aligned = []
        for aligned_id, share in zip(aligned_ids, aligned_shares, strict=True):
            child = rows.get((OBJECTIVE, aligned_id))
            aligned.append((aligned_id, share, share * (child.progress if child else 0.0)))
        progress, expected, status, notes = _numbers(row)
        nodes[objective.pk] = ObjectiveNode(
            objective=objective,
            progress=progress,
            expected=expected,
            status=status,
            key_results=kr_nodes,
            basis=row.basis if row else "none",
            notes=notes,
            aligned_contributions=aligned,
            as_of=row.as_of if row else None,
        )
    return nodes
