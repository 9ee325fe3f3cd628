"""The OKR levels of a rollup pass: key results and objectives, children before parents.

An incremental pass walks up one level of the objective tree per round: the stale objectives
with all their key results, then the objectives those are aligned under, … Each round is a
fixed handful of queries (objectives, their key results, links, aligned objectives, stored
rows), however many nodes it holds. A full pass reads the whole tree once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from alignment.lookups import Ids
from alignment.prepared import Prepared
from dashboards.models import Rollup
from dashboards.rollups.math import ITEM, KR, OBJECTIVE
from dashboards.rollups.math_okr import (
    ObjectiveFacts,
    OkrInputs,
    key_result_rollup,
    objective_rollup,
    route_aligned,
)
from dashboards.rollups.passes import Pass, Seeds, _children_first
from okrs.facts import KEY_RESULT_FACT_FIELDS, key_result_facts_of
from okrs.models import KeyResult, Objective
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
    walk = Walk({node: frozenset((node,)) for node in todo})
    for _ in range(MAX_ROUNDS):
        if not todo:
            break
        facts = read_round(p, todo)
        walk.built(build_round(p, facts))
        todo = walk.next_round(_parents(p, todo, facts.objectives))


@dataclass
class Walk:
    """Which objectives the next round recomputes.

    Seeds can sit at several levels of one chain: a round may hold an objective and, not its
    child, but a grandchild, so the objective is built before its child changes. A parent
    is built (again) when it was last built before one of its children; the chain that led
    to a node (`path`) stops a (forbidden) alignment cycle from going round more than once.
    """

    path: dict[int, frozenset[int]]
    order: dict[int, int] = field(default_factory=dict)  # node → when it was last built
    step: int = 0

    def built(self, nodes: list[int]) -> None:
        for node in nodes:
            self.step += 1
            self.order[node] = self.step

    def next_round(self, parents: Mapping[int, set[int]]) -> set[int]:
        todo: set[int] = set()
        for parent, children in parents.items():
            newest = max(self.order.get(child, 0) for child in children)
            if self.order.get(parent, -1) > newest:
                continue  # built after all of these children already (same round, above)
            came_from = frozenset().union(*(self.path.get(c, frozenset()) for c in children))
            if parent in came_from:
                continue  # a cycle
            self.path[parent] = came_from | {parent}
            todo.add(parent)
        return todo


@dataclass
class RoundFacts:
    """What one round reads: objectives, their key results, links and aligned objectives."""

    objectives: dict[int, ObjectiveFacts]
    krs: list[KeyResultFacts]
    # Key result → [(link weight, item id)].
    links: dict[int, list[tuple[Decimal, int]]]
    # Key result (source children) → [(objective weight, aligned objective id)].
    aligned_of: dict[int, list[tuple[Decimal, int]]]
    # Objective → [(objective weight, objective id)] aligned directly under it (not via a KR).
    under: dict[int, list[tuple[Decimal, int]]] = field(default_factory=dict)


def read_round(p: Pass, todo: set[int] | None) -> RoundFacts:
    """These objectives (all when None: a full pass), their key results, links, aligned
    objectives and, in an incremental pass, the stored rows the round reads.

    Objectives and key results are read as plain values, not model instances (building
    10,000 instances was a fifth of the OKR level at a million tasks).
    """
    read = _read_tree(p, todo)
    objectives = read.objectives
    if todo is None:
        # The whole tree is at hand.
        children = [o for o in objectives.values() if o.aligned_under is not None]
    else:
        p.drop(OBJECTIVE, todo - set(objectives))
        # In id order, as the full pass meets them: the order of a row's inputs.
        children = sorted(
            (
                o
                for o in (*objectives.values(), *read.others)
                if o.parent_id in objectives or o.parent_objective_id in objectives
            ),
            key=lambda o: o.id,
        )
    aligned_of, under = route_aligned(objectives, read.krs, children)
    facts = RoundFacts(objectives, read.krs, read.links, aligned_of, under)
    if todo is not None:
        _load_inputs(p, facts)
    return facts


@dataclass
class _Tree:
    """What `_read_tree` found: the objectives asked for with their key results and links,
    and the other objectives its query returned (those aligned under them)."""

    objectives: dict[int, ObjectiveFacts] = field(default_factory=dict)
    krs: list[KeyResultFacts] = field(default_factory=list)
    # Key result → [(link weight, item id)].
    links: dict[int, list[tuple[Decimal, int]]] = field(default_factory=lambda: defaultdict(list))
    others: list[ObjectiveFacts] = field(default_factory=list)


def _round_query(workspace: int, todo: Ids) -> QuerySet[Any]:
    """An incremental round's objectives (`todo`) and those aligned under them, a row a link.

    Which objectives is a UNION of three indexed lookups: as one OR over a join
    (`parent_key_result__objective_id`), PostgreSQL hashed every key result of the workspace
    to test it (2.7 ms a round at a million tasks)."""
    their_krs = KeyResult.objects.filter(objective_id__in_ids=todo).order_by().values("id")
    ids = Objective.objects.order_by().values("id")
    them = ids.filter(pk__in_ids=todo)
    under = ids.filter(parent_id__in_ids=todo)
    under_krs = ids.filter(parent_key_result_id__in=their_krs)
    return (
        Objective.objects.filter(workspace_id=workspace, pk__in=them.union(under, under_krs))
        .order_by(*_ROUND_ORDER)
        .values_list(*_ROUND_FIELDS)
    )


# Compiled once (alignment.prepared): each incremental refresh runs it once a round, and its
# six joins cost more to build through the ORM than PostgreSQL takes to answer.
_ROUND = Prepared(_round_query)


def _read_tree(p: Pass, todo: set[int] | None) -> _Tree:
    """Objectives, their key results and the KRs' links in one query: a row per link (an
    objective without key results, a KR without links: one row, the rest None). Rows of one
    objective come together, its KRs in their order, each KR's links by id.

    An incremental round reads the objectives aligned under these in the same query (a query
    less per round): only their own facts are kept, their key results' rows are skipped.
    """
    if todo is None:
        rows = Objective.objects.filter(workspace_id=p.workspace_id)
        found: Iterable[tuple[Any, ...]] = rows.order_by(*_ROUND_ORDER).values_list(*_ROUND_FIELDS)
    else:
        found = _ROUND.rows(workspace=p.workspace_id, todo=Ids(todo))
    tree = _Tree()
    objectives, krs, links = tree.objectives, tree.krs, tree.links
    zone = p.zone  # the workspace's, once, not per key result
    last = None
    for row in found:
        objective_id = row[0]
        if todo is not None and objective_id not in todo:
            if objective_id != last:
                tree.others.append(ObjectiveFacts(*row[:_KR_AT]))
                last = objective_id
            continue
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
    return tree


def _load_inputs(p: Pass, facts: RoundFacts) -> None:
    """Stored rows: these nodes (before values, old parents) and the inputs not built here."""
    child_ids = [
        o
        for pairs in (*facts.aligned_of.values(), *facts.under.values())
        for _, o in pairs
        if (OBJECTIVE, o) not in p.fresh
    ]
    item_ids = [i for pairs in facts.links.values() for _, i in pairs if (ITEM, i) not in p.fresh]
    p.load(
        {
            OBJECTIVE: [*facts.objectives, *child_ids],
            KR: [kr.id for kr in facts.krs],
            ITEM: item_ids,
        }
    )


def build_round(p: Pass, facts: RoundFacts) -> list[int]:
    """Every key result and objective row of a round, children before parents; the
    objectives in the order they were built."""
    objectives, krs, links = facts.objectives, facts.krs, facts.links
    krs_of: dict[int, list[KeyResultFacts]] = defaultdict(list)
    for kr in krs:
        krs_of[kr.objective_id].append(kr)
    order = _children_first(objectives)
    for objective_id in order:
        objective = objectives[objective_id]
        inputs = OkrInputs()
        for kr in krs_of[objective_id]:
            inputs.links[kr.id] = _rows(p, ITEM, links.get(kr.id, []))
            inputs.aligned[kr.id] = _rows(p, OBJECTIVE, facts.aligned_of.get(kr.id, []))
        pairs = []
        for kr in krs_of[objective_id]:
            row = key_result_rollup(
                kr, objective, inputs, today=p.today, thresholds=p.thresholds, now=p.now
            )
            p.put(row)
            pairs.append((kr, row))
        aligned = _rows(p, OBJECTIVE, facts.under.get(objective_id, []))
        p.put(
            objective_rollup(
                objective, pairs, aligned, today=p.today, thresholds=p.thresholds, now=p.now
            )
        )
    return order


def _rows(p: Pass, kind: str, pairs: list[tuple[Decimal, int]]) -> list[tuple[Decimal, Rollup]]:
    """(weight, row) of these nodes that have a row (built in this pass, or stored)."""
    return [(w, row) for w, i in pairs if (row := p.row(kind, i)) is not None]


def _parents(
    p: Pass, todo: set[int], objectives: Mapping[int, ObjectiveFacts]
) -> dict[int, set[int]]:
    """The objectives these are aligned under, now and before: parent → its children here."""
    parents: dict[int, set[int]] = defaultdict(set)
    for o in objectives.values():
        for parent in (o.parent_id, o.parent_objective_id):
            if parent is not None:
                parents[parent].add(o.id)
    old_parent_krs: dict[int, set[int]] = defaultdict(set)
    for node in todo:
        current = objectives.get(node)
        for kind, old in p.old_feeds(OBJECTIVE, (node,)):
            if kind == OBJECTIVE:
                parents[old].add(node)
            elif kind == KR and (current is None or current.parent_key_result_id != old):
                old_parent_krs[old].add(node)
    if old_parent_krs:  # aligned to another KR (rows stored before objective feeds)
        for kr_id, owner in KeyResult.objects.filter(
            workspace_id=p.workspace_id, pk__in=list(old_parent_krs)
        ).values_list("id", "objective_id"):
            parents[owner].update(old_parent_krs[kr_id])
    return parents
