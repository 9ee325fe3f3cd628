"""The OKR levels of a rollup pass: key results and objectives, children before parents.

An incremental pass walks up one level of the objective tree per round: the stale objectives
with all their key results, then the objectives those are aligned under, … Each round is a
fixed handful of queries (objectives, their key results, links, aligned objectives, stored
rows), however many nodes it holds. A full pass reads the whole tree once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dashboards.rollup_math import ITEM, KR, OBJECTIVE
from dashboards.rollup_math_okr import (
    ObjectiveFacts,
    OkrInputs,
    key_result_rollup,
    objective_rollup,
)
from dashboards.rollup_passes import Pass, Seeds, _children_first
from okrs import progress as math
from okrs.facts import KEY_RESULT_FACT_FIELDS, key_result_facts_of
from okrs.models import KeyResult, Objective, ObjectiveStatus
from okrs.progress import KeyResultFacts

MAX_ROUNDS = 50  # deeper than any real tree; stops a (forbidden) alignment cycle

# What `read_round` fetches per row: the objective, one of its key results, one of its links.
_ROUND_FIELDS = (
    *ObjectiveFacts.FIELDS,
    *(f"key_results__{name}" for name in KEY_RESULT_FACT_FIELDS),
    "key_results__item_links__item_id",
    "key_results__item_links__weight",
)
_KR_AT = len(ObjectiveFacts.FIELDS)
_LINK_AT = _KR_AT + len(KEY_RESULT_FACT_FIELDS)
_ROUND_ORDER = ("id", "key_results__position", "key_results__id", "key_results__item_links__id")


def okr_levels(p: Pass, seeds: Seeds) -> None:
    """An incremental pass: the seeded objectives with all their key results, then the
    objectives they are aligned under, up to the roots."""
    todo = set(seeds.objectives)
    todo.update(seeds.objective_of_kr[k] for k in seeds.key_results if k in seeds.objective_of_kr)
    unknown = seeds.key_results - set(seeds.objective_of_kr)
    if unknown:
        found = dict(
            KeyResult.objects.filter(workspace_id=p.workspace_id, pk__in=unknown).values_list(
                "id", "objective_id"
            )
        )
        todo.update(found.values())
        gone = unknown - set(found)
        if gone:  # a deleted key result: its objective (if any is left) counts without it
            p.load({KR: gone})
            p.drop(KR, gone)
            todo.update(i for k, i in p.old_feeds(KR, gone) if k == OBJECTIVE)
    done: set[int] = set()
    for _ in range(MAX_ROUNDS):
        if not todo:
            break
        parents = _round(p, todo)
        done |= todo
        todo = parents - done


@dataclass
class RoundFacts:
    """What one round reads: objectives, their key results, links and aligned objectives."""

    objectives: dict[int, ObjectiveFacts]
    krs: list[KeyResultFacts]
    # Key result → [(link weight, item id)].
    links: dict[int, list[tuple[Decimal, int]]]
    # Key result (source children) → [(objective weight, aligned objective id)].
    aligned_of: dict[int, list[tuple[Decimal, int]]]


def _round(p: Pass, todo: set[int]) -> set[int]:
    """Compute these objectives and their key results; their parents' ids."""
    facts = read_round(p, todo)
    build_round(p, facts)
    return _parents(p, todo, facts.objectives)


def read_round(p: Pass, todo: set[int] | None) -> RoundFacts:
    """These objectives (all when None: a full pass), their key results, links, aligned
    objectives and, in an incremental pass, the stored rows the round reads.

    Objectives and key results are read as plain values, not model instances (building
    10,000 instances was a fifth of the OKR level at a million tasks).
    """
    objective_qs = Objective.objects.filter(workspace_id=p.workspace_id)
    if todo is not None:
        objective_qs = objective_qs.filter(pk__in=todo)
    objectives: dict[int, ObjectiveFacts] = {}
    krs: list[KeyResultFacts] = []
    links: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    zone = timezone.get_current_timezone()  # once, not per key result
    # Objectives, their key results and the KRs' links in one query: a row per link (an
    # objective without key results, a KR without links: one row, the rest None). Rows of
    # one objective come together, its KRs in their order, each KR's links by id.
    for row in objective_qs.order_by(*_ROUND_ORDER).values_list(*_ROUND_FIELDS):
        objective_id = row[0]
        if objective_id not in objectives:
            objectives[objective_id] = ObjectiveFacts(*row[:_KR_AT])
        kr_id = row[_KR_AT]
        if kr_id is None:
            continue
        if not krs or krs[-1].id != kr_id:
            values = dict(zip(KEY_RESULT_FACT_FIELDS, row[_KR_AT:_LINK_AT], strict=True))
            krs.append(key_result_facts_of(values, tz=zone))
        item_id, weight = row[_LINK_AT], row[_LINK_AT + 1]
        if item_id is not None:
            links[kr_id].append((weight, item_id))
    if todo is not None:
        p.drop(OBJECTIVE, todo - set(objectives))
    kr_ids = [kr.id for kr in krs]
    aligned_of: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    children_kr = {kr.id for kr in krs if kr.source == math.CHILDREN}
    if todo is None:
        # The whole tree is at hand: aligned objectives are the live ones under a KR.
        for o in objectives.values():
            if o.parent_key_result_id in children_kr and o.status != ObjectiveStatus.ARCHIVED:
                aligned_of[o.parent_key_result_id].append((o.weight, o.id))
    elif children_kr:
        aligned_qs = Objective.objects.live().filter(
            workspace_id=p.workspace_id, parent_key_result_id__in=children_kr
        )
        for obj_id, weight, parent_kr in aligned_qs.order_by("id").values_list(
            "id", "weight", "parent_key_result_id"
        ):
            aligned_of[parent_kr].append((weight, obj_id))
    if todo is not None:
        # Stored rows: these nodes (before values, old parents) and the inputs not built here.
        p.load(
            {
                OBJECTIVE: [
                    *objectives,
                    *(
                        o
                        for pairs in aligned_of.values()
                        for _, o in pairs
                        if (OBJECTIVE, o) not in p.fresh
                    ),
                ],
                KR: kr_ids,
                ITEM: [i for pairs in links.values() for _, i in pairs if (ITEM, i) not in p.fresh],
            }
        )
    return RoundFacts(objectives, krs, links, aligned_of)


def build_round(p: Pass, facts: RoundFacts) -> None:
    """Every key result and objective row of a round, children before parents."""
    objectives, krs, links, aligned_of = facts.objectives, facts.krs, facts.links, facts.aligned_of
    owner_of_kr = {kr.id: kr.objective_id for kr in krs}
    krs_of: dict[int, list[KeyResultFacts]] = defaultdict(list)
    for kr in krs:
        krs_of[kr.objective_id].append(kr)
    # Objectives of this round aligned under a KR of this round go first (children first).
    for objective_id in _children_first(objectives, owner_of_kr):
        objective = objectives[objective_id]
        inputs = OkrInputs()
        for kr in krs_of[objective_id]:
            inputs.links[kr.id] = [
                (w, row) for w, i in links.get(kr.id, []) if (row := p.row(ITEM, i)) is not None
            ]
            inputs.aligned[kr.id] = [
                (w, row)
                for w, o in aligned_of.get(kr.id, [])
                if (row := p.row(OBJECTIVE, o)) is not None
            ]
        pairs = []
        for kr in krs_of[objective_id]:
            row = key_result_rollup(
                kr, objective, inputs, today=p.today, thresholds=p.thresholds, now=p.now
            )
            p.put(row)
            pairs.append((kr, row))
        p.put(objective_rollup(objective, pairs, today=p.today, thresholds=p.thresholds, now=p.now))


def _parents(p: Pass, todo: set[int], objectives: Mapping[int, ObjectiveFacts]) -> set[int]:
    """The objectives owning the key results these are aligned under, now and before."""
    parents = {
        o.parent_objective_id for o in objectives.values() if o.parent_objective_id is not None
    }
    old_parent_krs = {i for k, i in p.old_feeds(OBJECTIVE, todo) if k == KR}
    old_parent_krs -= {o.parent_key_result_id for o in objectives.values()}
    if old_parent_krs:  # re-aligned or deleted: the old parent KR's objective
        parents.update(
            KeyResult.objects.filter(
                workspace_id=p.workspace_id, pk__in=old_parent_krs
            ).values_list("objective_id", flat=True)
        )
    return parents - set(objectives)
