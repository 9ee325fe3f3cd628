"""The OKR levels of a rollup pass: key results and objectives, children before parents.

An incremental pass walks up one level of the objective tree per round: the stale objectives
with all their key results, then the objectives those are aligned under, … Each round is a
fixed handful of queries (objectives, their key results, links, aligned objectives, stored
rows), however many nodes it holds. A full pass reads the whole tree once.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from dashboards.rollup_math import (
    ITEM,
    KR,
    OBJECTIVE,
    OkrInputs,
    key_result_rollup,
    objective_rollup,
)
from dashboards.rollup_passes import Pass, Seeds, _children_first
from okrs import progress as math
from okrs.models import KeyResult, Objective, ObjectiveStatus
from roadmaps.models import KeyResultLink

MAX_ROUNDS = 50  # deeper than any real tree; stops a (forbidden) alignment cycle


def okr_levels(p: Pass, seeds: Seeds) -> None:
    """Objectives with all their key results, then the objectives they are aligned under."""
    if p.full:
        _round(p, None)
        return
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


def _round(p: Pass, todo: set[int] | None) -> set[int]:
    """Compute these objectives (all when None) and their key results; their parents' ids."""
    objective_qs = (
        Objective.objects.filter(workspace_id=p.workspace_id)
        .select_related("period")
        .annotate(parent_objective_id=F("parent_key_result__objective_id"))
    )
    kr_qs = KeyResult.objects.filter(workspace_id=p.workspace_id).order_by("position", "id")
    link_qs = KeyResultLink.objects.filter(workspace_id=p.workspace_id)
    if todo is not None:
        objective_qs = objective_qs.filter(pk__in=todo)
        kr_qs = kr_qs.filter(objective_id__in=todo)
    objectives = {o.id: o for o in objective_qs.order_by("id")}
    if todo is not None:
        p.drop(OBJECTIVE, todo - set(objectives))
    krs = list(kr_qs) if objectives else []
    kr_ids = [kr.id for kr in krs]
    if todo is not None:
        link_qs = link_qs.filter(key_result_id__in=kr_ids)
    links: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    if kr_ids:
        for kr_id, item_id, weight in link_qs.order_by("id").values_list(
            "key_result_id", "item_id", "weight"
        ):
            links[kr_id].append((weight, item_id))
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
    owner_of_kr = {kr.id: kr.objective_id for kr in krs}
    krs_of: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in krs:
        krs_of[kr.objective_id].append(kr)
    zone = timezone.get_current_timezone()  # once, not per key result
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
            kr.objective = objective
            row = key_result_rollup(
                kr, objective, inputs, today=p.today, thresholds=p.thresholds, now=p.now, tz=zone
            )
            p.put(row)
            pairs.append((kr, row))
        p.put(objective_rollup(objective, pairs, today=p.today, thresholds=p.thresholds, now=p.now))
    if todo is None:
        return set()
    # Parents: the objectives owning the KRs these are aligned under, now and before.
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
