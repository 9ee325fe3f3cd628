"""Loading a pass of rollups: seeds, the bulk queries per level, and writing rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from alignment.models import Team
from dashboards.models import NodeKind, Rollup
from dashboards.rollup_math import (
    COMPARED_FIELDS,
    ITEM,
    KR,
    OBJECTIVE,
    ROW_FIELDS,
    SPRINT,
    TASK,
    TEAM,
    ZERO,
    ItemFacts,
    Key,
    OkrInputs,
    SprintFacts,
    Work,
    item_rollup,
    key_result_rollup,
    objective_rollup,
    sprint_rollup,
    team_rollup,
)
from okrs import progress as math
from okrs.models import KeyResult, Objective, ObjectiveStatus
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks.models import Sprint, SprintStatus, StateCategory, Task

# ---- loading and writing -----------------------------------------------------------------------


@dataclass
class Seeds:
    """Nodes known to be stale; `tasks` are resolved to their item, sprint and team."""

    tasks: set[int] = field(default_factory=set)
    items: set[int] = field(default_factory=set)
    sprints: set[int] = field(default_factory=set)
    teams: set[int] = field(default_factory=set)
    key_results: set[int] = field(default_factory=set)
    objectives: set[int] = field(default_factory=set)

    def add(self, kind: str, node_id: int | None) -> None:
        if node_id is None:
            return
        bucket = {
            TASK: self.tasks,
            ITEM: self.items,
            SPRINT: self.sprints,
            TEAM: self.teams,
            KR: self.key_results,
            OBJECTIVE: self.objectives,
        }.get(kind)
        if bucket is not None:
            bucket.add(int(node_id))

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, int | None]]) -> Seeds:
        seeds = cls()
        for kind, node_id in pairs:
            seeds.add(kind, node_id)
        return seeds

    def __bool__(self) -> bool:
        return any(
            (self.tasks, self.items, self.sprints, self.teams, self.key_results, self.objectives)
        )


@dataclass
class Pass:
    """One refresh: the rows built so far (read before the stored ones) and what to write."""

    workspace_id: int
    today: date
    thresholds: math.Thresholds
    now: Any
    full: bool = False
    fresh: dict[Key, Rollup] = field(default_factory=dict)
    gone: set[Key] = field(default_factory=set)
    old: dict[Key, Rollup] = field(default_factory=dict)

    def load_old_many(self, wanted: Mapping[str, Iterable[int]]) -> None:
        """`load_old` for several kinds in one query."""
        condition = Q(pk__in=[])
        for kind, ids in wanted.items():
            missing = [i for i in set(ids) if (kind, i) not in self.old]
            if missing:
                condition |= Q(kind=kind, node_id__in=missing)
        if self.full or condition == Q(pk__in=[]):
            return
        for row in Rollup.objects.filter(condition).order_by():
            self.old[(row.kind, row.node_id)] = row

    def load_old(self, kind: str, ids: Iterable[int]) -> None:
        """Stored rows of these nodes (for the nodes they used to feed); one query."""
        wanted = [i for i in set(ids) if (kind, i) not in self.old]
        if self.full or not wanted:
            return
        for row in Rollup.objects.filter(kind=kind, node_id__in=wanted):
            self.old[(kind, row.node_id)] = row

    def old_feeds(self, kind: str, ids: Iterable[int]) -> list[Key]:
        found: list[Key] = []
        for node_id in ids:
            row = self.old.get((kind, node_id))
            if row is not None:
                found.extend((k, int(i)) for k, i in row.feeds)
        return found

    def rows(self, kind: str, ids: Iterable[int]) -> dict[int, Rollup]:
        """Rows of these nodes: from this pass when built here, else stored; one query."""
        result: dict[int, Rollup] = {}
        missing = []
        for node_id in set(ids):
            row = self.fresh.get((kind, node_id))
            if row is not None:
                result[node_id] = row
            elif (kind, node_id) not in self.gone:
                missing.append(node_id)
        if missing and not self.full:
            for row in Rollup.objects.filter(kind=kind, node_id__in=missing):
                result[row.node_id] = row
        return result

    def put(self, row: Rollup) -> None:
        self.fresh[(row.kind, row.node_id)] = row

    def drop(self, kind: str, ids: Iterable[int]) -> None:
        self.gone.update((kind, i) for i in ids)

    def save(self) -> None:
        """Upsert every fresh row and delete the rows of nodes that no longer exist.

        A full pass first reads what is stored (one narrow query) and writes only the rows
        that differ: a repair of a healthy workspace writes nothing.
        """
        rows = list(self.fresh.values())
        if self.full and rows:
            stored = {
                (values[0], values[1]): values[2:]
                for values in Rollup.objects.filter(workspace_id=self.workspace_id)
                .order_by()
                .values_list("kind", "node_id", *COMPARED_FIELDS)
            }
            rows = [
                r
                for r in rows
                if stored.get((r.kind, r.node_id))
                != tuple(getattr(r, name) for name in COMPARED_FIELDS)
            ]
        if rows:
            Rollup.objects.bulk_create(
                rows,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["kind", "node_id"],
                update_fields=[f if f != "workspace" else "workspace_id" for f in ROW_FIELDS],
            )
        if self.full:
            kept: dict[str, list[int]] = defaultdict(list)
            for kind, node_id in self.fresh:
                kept[kind].append(node_id)
            for kind in NodeKind.values:
                Rollup.objects.filter(workspace_id=self.workspace_id, kind=kind).exclude(
                    node_id__in=kept.get(kind, [])
                ).delete()
        elif self.gone:
            by_kind: dict[str, list[int]] = defaultdict(list)
            for kind, node_id in self.gone:
                by_kind[kind].append(node_id)
            condition = Q(pk__in=[])
            for kind, ids in by_kind.items():
                condition |= Q(kind=kind, node_id__in=ids)
            Rollup.objects.filter(condition, workspace_id=self.workspace_id).delete()


def _work_rows(workspace_id: int, condition: Q | None) -> list[dict[str, Any]]:
    """Done/total points and counts per (roadmap item, sprint): the one aggregate over tasks."""
    decimal = DecimalField(max_digits=14, decimal_places=3)
    done = Q(state_category=StateCategory.DONE)
    tasks = Task.objects.filter(workspace_id=workspace_id).exclude(
        state_category=StateCategory.CANCELED
    )
    if condition is not None:
        tasks = tasks.filter(condition)
    else:
        tasks = tasks.filter(Q(roadmap_item_id__isnull=False) | Q(sprint_id__isnull=False))
    rows: Any = (
        tasks.values("roadmap_item_id", "sprint_id")
        .order_by()
        .annotate(
            total_points=Coalesce(Sum("estimate"), Value(ZERO), output_field=decimal),
            done_points=Coalesce(Sum("estimate", filter=done), Value(ZERO), output_field=decimal),
            total_count=Count("id"),
            done_count=Count("id", filter=done),
        )
    )
    return list(rows)


def _work_of(row: Mapping[str, Any]) -> Work:
    return Work(
        done_points=Decimal(row["done_points"] or 0),
        total_points=Decimal(row["total_points"] or 0),
        done_count=int(row["done_count"]),
        total_count=int(row["total_count"]),
    )


def _aligned_items(workspace_id: int, item_ids: set[int] | None) -> set[int]:
    """Items linked to a key result of an active objective: work that traces to an active KR."""
    links = KeyResultLink.objects.filter(
        workspace_id=workspace_id, key_result__objective__status=ObjectiveStatus.ACTIVE
    )
    if item_ids is not None:
        if not item_ids:
            return set()
        links = links.filter(item_id__in=item_ids)
    return set(links.values_list("item_id", flat=True))


def _work_levels(p: Pass, seeds: Seeds) -> None:
    """Roadmap items, sprints and teams; adds the key results the items feed to `seeds`."""
    items: set[int] | None = None if p.full else set(seeds.items)
    sprints: set[int] | None = None if p.full else set(seeds.sprints)
    teams: set[int] | None = None if p.full else set(seeds.teams)
    if items is not None and sprints is not None:
        # Nodes the stale items used to feed: an unlinked KR, a sprint their tasks left.
        p.load_old(ITEM, items)
        for kind, node_id in p.old_feeds(ITEM, items):
            if kind == KR:
                seeds.key_results.add(node_id)
            elif kind == SPRINT:
                sprints.add(node_id)
    by_item: dict[int, Work] = defaultdict(Work)
    sprints_of_item: dict[int, set[int]] = defaultdict(set)
    by_sprint: dict[int, list[tuple[int | None, Work]]] = defaultdict(list)

    def collect(rows: Iterable[dict[str, Any]], *, seen_sprints: set[int] | None) -> None:
        for row in rows:
            item_id, sprint_id, work = row["roadmap_item_id"], row["sprint_id"], _work_of(row)
            if item_id is not None and (items is None or item_id in items):
                by_item[item_id].add(work)
                if sprint_id is not None:
                    sprints_of_item[item_id].add(sprint_id)
            if sprint_id is not None and (seen_sprints is None or sprint_id in seen_sprints):
                by_sprint[sprint_id].append((item_id, work))

    if items is None or sprints is None:
        collect(_work_rows(p.workspace_id, None), seen_sprints=None)
    elif items or sprints:
        condition = Q(roadmap_item_id__in=items) | Q(sprint_id__in=sprints)
        collect(_work_rows(p.workspace_id, condition), seen_sprints=set(sprints))
        # Sprints holding the stale items' tasks: their alignment may have changed.
        extra = {s for i in items for s in sprints_of_item.get(i, ())} - sprints
        if extra:
            sprints |= extra
            rows = _work_rows(p.workspace_id, Q(sprint_id__in=extra))
            for row in rows:
                by_sprint[row["sprint_id"]].append((row["roadmap_item_id"], _work_of(row)))

    # Roadmap items.
    item_qs = RoadmapItem.objects.filter(workspace_id=p.workspace_id)
    if items is not None:
        item_qs = item_qs.filter(pk__in=items)
    facts = (
        [
            ItemFacts(r["id"], p.workspace_id, r["start_date"], r["target_date"], r["status"])
            for r in item_qs.values("id", "start_date", "target_date", "status")
        ]
        if items is None or items
        else []
    )
    found_items = {f.id for f in facts}
    linked_item_ids = found_items | {i for rows in by_sprint.values() for i, _ in rows if i}
    links = KeyResultLink.objects.filter(workspace_id=p.workspace_id)
    if not p.full:
        links = links.filter(item_id__in=linked_item_ids)
    link_rows = (
        list(links.values_list("item_id", "key_result_id", "key_result__objective__status"))
        if p.full or linked_item_ids
        else []
    )
    krs_of_item: dict[int, set[int]] = defaultdict(set)
    aligned: set[int] = set()
    for item_id, kr_id, objective_status in link_rows:
        krs_of_item[item_id].add(kr_id)
        if objective_status == ObjectiveStatus.ACTIVE:
            aligned.add(item_id)
    if items is not None:
        p.drop(ITEM, items - found_items)
    for item in facts:
        feeds = [(KR, k) for k in krs_of_item.get(item.id, ())]
        feeds += [(SPRINT, s) for s in sprints_of_item.get(item.id, ())]
        p.put(
            item_rollup(
                item,
                by_item.get(item.id, Work()),
                feeds=feeds,
                today=p.today,
                thresholds=p.thresholds,
                now=p.now,
            )
        )
        seeds.key_results.update(krs_of_item.get(item.id, ()))

    # Sprints.
    sprint_qs = Sprint.objects.filter(workspace_id=p.workspace_id)
    if sprints is not None:
        sprint_qs = sprint_qs.filter(pk__in=sprints)
    sprint_facts = (
        [
            SprintFacts(
                r["id"], p.workspace_id, r["team_id"], r["start_date"], r["end_date"], r["status"]
            )
            for r in sprint_qs.values("id", "team_id", "start_date", "end_date", "status")
        ]
        if sprints is None or sprints
        else []
    )
    if sprints is not None and teams is not None:
        p.load_old(SPRINT, sprints)
        p.drop(SPRINT, sprints - {s.id for s in sprint_facts})
        teams.update(i for kind, i in p.old_feeds(SPRINT, sprints) if kind == TEAM)
    for sprint in sprint_facts:
        total = Work()
        inputs: set[Key] = set()
        for member_id, work in by_sprint.get(sprint.id, []):
            if member_id is not None:
                inputs.add((ITEM, member_id))
                if member_id in aligned:
                    total.aligned_points += work.total_points
            total.add(work)
        p.put(
            sprint_rollup(
                sprint, total, inputs=inputs, today=p.today, thresholds=p.thresholds, now=p.now
            )
        )
        if teams is not None:
            teams.add(sprint.team_id)

    # Teams: the numbers of their active sprint.
    team_qs = Team.objects.filter(workspace_id=p.workspace_id)
    active_qs = Sprint.objects.filter(workspace_id=p.workspace_id, status=SprintStatus.ACTIVE)
    if teams is not None:
        if not teams:
            return
        team_qs = team_qs.filter(pk__in=teams)
        active_qs = active_qs.filter(team_id__in=teams)
    team_ids = set(team_qs.values_list("id", flat=True))
    active = dict(active_qs.values_list("team_id", "id"))
    if teams is not None:
        p.drop(TEAM, teams - team_ids)
    sprint_rows = p.rows(SPRINT, active.values())
    for team_id in sorted(team_ids):
        sprint_id = active.get(team_id)
        active_row = sprint_rows.get(sprint_id) if sprint_id else None
        p.put(team_rollup(p.workspace_id, team_id, active_row, now=p.now))


def _okr_levels(p: Pass, seeds: Seeds) -> None:
    """Objectives with all their key results, then the objectives they are aligned under."""
    objectives_qs = Objective.objects.filter(workspace_id=p.workspace_id).select_related(
        "period", "parent_key_result"
    )
    if p.full:
        todo: set[int] | None = None
    else:
        todo = set(seeds.objectives)
        if seeds.key_results:
            found = dict(
                KeyResult.objects.filter(pk__in=seeds.key_results).values_list("id", "objective_id")
            )
            todo.update(found.values())
            gone = seeds.key_results - set(found)
            p.load_old(KR, gone)
            p.drop(KR, gone)
            todo.update(i for k, i in p.old_feeds(KR, gone) if k == OBJECTIVE)
    rounds = 0
    while todo is None or todo:
        rounds += 1
        batch = objectives_qs if todo is None else objectives_qs.filter(pk__in=todo)
        objectives = {o.pk: o for o in batch}
        ids = set(objectives) if todo is None else set(todo)
        if todo is not None:
            p.drop(OBJECTIVE, ids - set(objectives))
        krs = list(
            KeyResult.objects.filter(objective_id__in=list(objectives)).order_by("position", "id")
            if todo is not None
            else KeyResult.objects.filter(workspace_id=p.workspace_id).order_by("position", "id")
        )
        kr_ids = [kr.pk for kr in krs]
        if todo is not None:
            p.load_old_many({OBJECTIVE: ids, KR: kr_ids})
        links: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
        link_qs = KeyResultLink.objects.filter(workspace_id=p.workspace_id)
        if todo is not None:
            link_qs = link_qs.filter(key_result_id__in=kr_ids)
        for kr_id, item_id, weight in link_qs.order_by("id").values_list(
            "key_result_id", "item_id", "weight"
        ):
            links[kr_id].append((weight, item_id))
        item_rows = p.rows(ITEM, {i for pairs in links.values() for _, i in pairs})
        children_kr = [kr.pk for kr in krs if kr.source == math.CHILDREN]
        aligned_of: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
        if children_kr:
            aligned_qs = Objective.objects.live().filter(parent_key_result_id__in=children_kr)
            for obj_id, weight, parent_kr in aligned_qs.order_by("id").values_list(
                "id", "weight", "parent_key_result_id"
            ):
                aligned_of[parent_kr].append((weight, obj_id))
        # Objectives of this batch aligned under a KR of this batch go first (children first).
        owner_of_kr = {kr.pk: kr.objective_id for kr in krs}
        order = _children_first(objectives, owner_of_kr)
        krs_of: dict[int, list[KeyResult]] = defaultdict(list)
        for kr in krs:
            krs_of[kr.objective_id].append(kr)
        for objective_id in order:
            objective = objectives[objective_id]
            child_rows = p.rows(
                OBJECTIVE, {o for kr in krs_of[objective_id] for _, o in aligned_of.get(kr.pk, [])}
            )
            inputs = OkrInputs(
                links={
                    kr.pk: [(w, item_rows[i]) for w, i in links.get(kr.pk, []) if i in item_rows]
                    for kr in krs_of[objective_id]
                },
                aligned={
                    kr.pk: [
                        (w, child_rows[o]) for w, o in aligned_of.get(kr.pk, []) if o in child_rows
                    ]
                    for kr in krs_of[objective_id]
                },
            )
            pairs = []
            for kr in krs_of[objective_id]:
                kr.objective = objective
                row = key_result_rollup(
                    kr, objective, inputs, today=p.today, thresholds=p.thresholds, now=p.now
                )
                p.put(row)
                pairs.append((kr, row))
            p.put(
                objective_rollup(
                    objective, pairs, today=p.today, thresholds=p.thresholds, now=p.now
                )
            )
        if todo is None or rounds > 50:
            break
        parents_kr: set[int] = {
            o.parent_key_result_id for o in objectives.values() if o.parent_key_result_id
        }
        parents_kr |= {i for k, i in p.old_feeds(OBJECTIVE, ids) if k == KR}
        known = {
            o.parent_key_result_id: o.parent_key_result.objective_id
            for o in objectives.values()
            if o.parent_key_result is not None
        }
        nxt = {known[k] for k in parents_kr if k in known}
        unknown = parents_kr - set(known)  # an old parent KR: the objective was re-aligned
        if unknown:
            nxt |= set(
                KeyResult.objects.filter(pk__in=unknown).values_list("objective_id", flat=True)
            )
        # Within a batch parents come after their children, so only outside ones remain.
        todo = nxt - set(objectives)


def _children_first(
    objectives: Mapping[int, Objective], owner_of_kr: Mapping[int, int]
) -> list[int]:
    """Objective ids ordered so an objective comes after those aligned under its KRs."""
    parent_of = {o.pk: owner_of_kr.get(o.parent_key_result_id or 0) for o in objectives.values()}
    depth: dict[int, int] = {}
    for start in objectives:
        chain: list[int] = []
        seen: set[int] = set()
        node: int | None = start
        while node is not None and node in objectives and node not in depth and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parent_of.get(node)
        base = depth.get(node, -1) if node is not None else -1
        for offset, member in enumerate(reversed(chain)):
            depth[member] = base + offset + 1
    # Deeper (further from the root) first; ties by id for a stable order.
    return sorted(objectives, key=lambda o: (-depth.get(o, 0), o))
