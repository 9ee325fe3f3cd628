"""The work levels of a rollup pass: roadmap items, sprints and teams.

Both paths read the same facts through the same queries, scoped differently: a full pass
reads the whole workspace (one aggregate over every task: the SQL floor of a recompute), an
incremental one reads only the stale nodes. Per pass: stored rows of the stale nodes, one
task aggregate, items with their links, sprints, teams with their active sprint. A full pass
reads (`read_all_work`) and builds (`build_all_work`) apart, so the aggregate can run while
the other reads do (__init__.py, overlap.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from alignment.lookups import Ids
from alignment.models import Team
from alignment.prepared import Prepared
from dashboards.rollups.math import (
    ITEM,
    KR,
    SPRINT,
    TEAM,
    ZERO,
    ItemFacts,
    SprintFacts,
    Work,
    item_rollup,
    sprint_rollup,
    team_rollup,
)
from dashboards.rollups.passes import Pass, Seeds
from okrs.models import ObjectiveStatus
from roadmaps.models import RoadmapItem
from tasks.models import Sprint, SprintStatus, StateCategory, Task

# (roadmap item, sprint, done points, total points, done count, total count)
WorkRow = tuple[int | None, int | None, Decimal, Decimal, int, int]


def work_rows(workspace_id: int, condition: Q | None) -> list[WorkRow]:
    """Done/total points and counts per (roadmap item, sprint): the one aggregate over tasks.

    Without a condition it covers every task of the workspace under an item or a sprint:
    the floor a full recompute is measured against (bench/).
    """
    if condition is None:
        condition = Q(roadmap_item_id__isnull=False) | Q(sprint_id__isnull=False)
    return list(_aggregate(workspace_id, condition))


def _aggregate(workspace: int, condition: Q) -> QuerySet[Any]:
    decimal = DecimalField(max_digits=14, decimal_places=3)
    done = Q(state_category=StateCategory.DONE)
    tasks = (
        Task.objects.filter(workspace_id=workspace)
        .exclude(state_category=StateCategory.CANCELED)
        .filter(condition)
    )
    return (
        tasks.values("roadmap_item_id", "sprint_id")
        .order_by()
        .annotate(
            done_points=Coalesce(Sum("estimate", filter=done), Value(ZERO), output_field=decimal),
            total_points=Coalesce(Sum("estimate"), Value(ZERO), output_field=decimal),
            done_count=Count("id", filter=done),
            total_count=Count("id"),
        )
        .values_list(
            "roadmap_item_id",
            "sprint_id",
            "done_points",
            "total_points",
            "done_count",
            "total_count",
        )
    )


# An incremental pass's reads, compiled once (alignment.prepared): each runs on every refresh
# with a few ids, and building them through the ORM cost more CPU than PostgreSQL spends
# answering them (issue #15: incremental refresh ≤ 25 ms at a million tasks).
_STALE_WORK = Prepared(
    lambda workspace, items, sprints: _aggregate(
        workspace, Q(roadmap_item_id__in_ids=items) | Q(sprint_id__in_ids=sprints)
    )
)
_ITEM_FIELDS = (
    "id",
    "start_date",
    "target_date",
    "status",
    "kr_links__key_result_id",
    "kr_links__key_result__objective_id",
    "kr_links__key_result__objective__status",
)
_ITEMS = Prepared(
    lambda workspace, ids: (
        RoadmapItem.objects.filter(workspace_id=workspace, pk__in_ids=ids)
        .order_by("id", "kr_links__id")
        .values_list(*_ITEM_FIELDS)
    )
)
_SPRINT_FIELDS = ("id", "team_id", "start_date", "end_date", "status")
_SPRINTS = Prepared(
    lambda workspace, ids: (
        Sprint.objects.filter(workspace_id=workspace, pk__in_ids=ids)
        .order_by("id")
        .values_list(*_SPRINT_FIELDS)
    )
)


def _active_sprint_query(workspace: int, ids: Ids | None) -> QuerySet[Any]:
    active = Sprint.objects.filter(team_id=OuterRef("pk"), status=SprintStatus.ACTIVE)
    team_qs = Team.objects.filter(workspace_id=workspace)
    if ids is not None:
        team_qs = team_qs.filter(pk__in_ids=ids)
    return (
        team_qs.annotate(active_sprint=Subquery(active.order_by("-id").values("id")[:1]))
        .order_by("id")
        .values_list("id", "active_sprint")
    )


_ACTIVE_SPRINTS = Prepared(_active_sprint_query)


@dataclass
class WorkFacts:
    """What the work levels read, for the nodes a pass computes."""

    rows: list[WorkRow] = field(default_factory=list)
    items: list[ItemFacts] = field(default_factory=list)
    # Item → [(key result, its objective)] of its links.
    links_of_item: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # Items linked to a key result of an active objective: work that traces to an active KR.
    aligned: set[int] = field(default_factory=set)
    sprints: list[SprintFacts] = field(default_factory=list)
    # Team → its active sprint (None without one): a full pass reads it with the rest.
    active_sprint_of_team: dict[int, int | None] = field(default_factory=dict)


def read_all_work(p: Pass) -> WorkFacts:
    """A full pass: every item (with its links), sprint and team; all but the aggregate over
    the tasks, which `build_all_work` takes (it may be running meanwhile, overlap.py)."""
    facts = _read(p, items=None, sprints=None, rows=[])
    facts.active_sprint_of_team = _active_sprints(p, None)
    return facts


def build_all_work(p: Pass, seeds: Seeds, facts: WorkFacts, rows: list[WorkRow]) -> None:
    """A full pass: every item, sprint and team row; the key results the items feed go to
    `seeds`."""
    facts.rows = rows
    _build(p, seeds, facts, items=None, sprints=None)
    _team_rows(p, facts.active_sprint_of_team)


def work_levels(p: Pass, seeds: Seeds) -> None:
    """An incremental pass: the seeded roadmap items, sprints and teams, and the ones they
    feed; adds the key results the items feed to `seeds`."""
    items, sprints, teams = set(seeds.items), set(seeds.sprints), set(seeds.teams)
    if not (items or sprints or teams):
        return
    p.load({ITEM: items, SPRINT: sprints, TEAM: teams})
    _follow_old_feeds(p, seeds, items, sprints)
    rows = _stale_rows(p, seeds, items, sprints)
    facts = _read(p, items=items, sprints=sprints, rows=rows)
    _drop_gone(p, facts, items, sprints, teams)
    _build(p, seeds, facts, items=items, sprints=sprints)
    teams.update(s.team_id for s in facts.sprints)
    if teams:
        _teams(p, teams)


def _follow_old_feeds(p: Pass, seeds: Seeds, items: set[int], sprints: set[int]) -> None:
    """What the stale items fed when stored: key results they no longer feed (unlinked, or
    the item deleted) go to `seeds`, a realigned item's old sprints to `sprints`."""
    for item_id in items:
        for kind, node_id in p.old_feeds(ITEM, [item_id]):
            if kind == KR:  # an unlinked key result, a deleted item's
                seeds.key_results.add(node_id)
            elif kind == SPRINT and item_id in seeds.realigned:
                sprints.add(node_id)


def _stale_rows(p: Pass, seeds: Seeds, items: set[int], sprints: set[int]) -> list[WorkRow]:
    """The task aggregate of the stale items and sprints; adds to `sprints` every sprint
    holding a realigned item's tasks."""
    if not (items or sprints):
        return []
    if seeds.realigned:
        # Every sprint holding a realigned item's tasks counts its aligned points anew (a
        # rare shape, built through the ORM: its subquery would keep PostgreSQL's generic
        # plan of the common one off the indexes).
        holding = Task.objects.filter(
            workspace_id=p.workspace_id,
            roadmap_item_id__in=seeds.realigned,
            sprint_id__isnull=False,
        ).values("sprint_id")
        condition = Q(roadmap_item_id__in=items) | Q(sprint_id__in=sprints)
        rows = work_rows(p.workspace_id, condition | Q(sprint_id__in=holding))
    else:
        rows = _STALE_WORK.rows(workspace=p.workspace_id, items=Ids(items), sprints=Ids(sprints))
    sprints.update(r[1] for r in rows if r[1] is not None and r[0] in seeds.realigned)
    return rows


def _drop_gone(
    p: Pass, facts: WorkFacts, items: set[int], sprints: set[int], teams: set[int]
) -> None:
    """Stale items and sprints that no longer exist: their rows go; a deleted sprint's team
    is recomputed without it."""
    gone = sprints - {s.id for s in facts.sprints}
    if gone:
        p.drop(SPRINT, gone)
        teams.update(i for kind, i in p.old_feeds(SPRINT, gone) if kind == TEAM)
    p.drop(ITEM, items - {i.id for i in facts.items})


def _read(
    p: Pass, *, items: set[int] | None, sprints: set[int] | None, rows: list[WorkRow]
) -> WorkFacts:
    """Items (with their links) and sprints to compute, and the links of the sprints' items."""
    facts = WorkFacts(rows=rows)
    wanted: set[int] | None = None
    if items is not None and sprints is not None:
        members = {r[0] for r in rows if r[1] in sprints and r[0] is not None}
        wanted = items | members
    if wanted is None or wanted:
        _read_items(p, facts, items=items, wanted=wanted)
    if sprints is None or sprints:
        facts.sprints = _read_sprints(p, sprints)
    return facts


def _read_items(
    p: Pass, facts: WorkFacts, *, items: set[int] | None, wanted: set[int] | None
) -> None:
    """The `wanted` items' links (all when None) into `facts`; the facts of those of them
    to compute (`items`, all when None)."""
    if wanted is None:
        found: Iterable[tuple[Any, ...]] = (
            RoadmapItem.objects.filter(workspace_id=p.workspace_id)
            .order_by("id", "kr_links__id")
            .values_list(*_ITEM_FIELDS)
        )
    else:
        found = _ITEMS.rows(workspace=p.workspace_id, ids=Ids(wanted))
    seen: set[int] = set()
    for item_id, start, target, status, kr_id, objective_id, objective_status in found:
        if item_id not in seen:
            seen.add(item_id)
            facts.links_of_item[item_id] = []
            if items is None or item_id in items:
                facts.items.append(ItemFacts(item_id, p.workspace_id, start, target, status))
        if kr_id is not None:
            facts.links_of_item[item_id].append((kr_id, objective_id))
            if objective_status == ObjectiveStatus.ACTIVE:
                facts.aligned.add(item_id)


def _read_sprints(p: Pass, sprints: set[int] | None) -> list[SprintFacts]:
    """These sprints' facts (all of the workspace when None)."""
    if sprints is None:
        found: Iterable[tuple[Any, ...]] = (
            Sprint.objects.filter(workspace_id=p.workspace_id)
            .order_by("id")
            .values_list(*_SPRINT_FIELDS)
        )
    else:
        found = _SPRINTS.rows(workspace=p.workspace_id, ids=Ids(sprints))
    return [
        SprintFacts(s_id, p.workspace_id, team_id, start, end, status)
        for s_id, team_id, start, end, status in found
    ]


def _build(
    p: Pass,
    seeds: Seeds,
    facts: WorkFacts,
    *,
    items: set[int] | None,
    sprints: set[int] | None,
) -> None:
    by_item: dict[int, Work] = defaultdict(Work)
    sprints_of_item: dict[int, list[int]] = defaultdict(list)
    by_sprint: dict[int, Work] = defaultdict(Work)
    items_of_sprint: dict[int, list[int]] = defaultdict(list)
    aligned = facts.aligned
    # One pass over the aggregate rows, summing in place (63,000 rows at a million tasks). A
    # row is one (item, sprint) pair, so the id lists gather no duplicates.
    for item_id, sprint_id, done_points, total_points, done_count, total_count in facts.rows:
        if item_id is not None and (items is None or item_id in items):
            total = by_item[item_id]
            total.done_points += done_points
            total.total_points += total_points
            total.done_count += done_count
            total.total_count += total_count
            if sprint_id is not None:
                sprints_of_item[item_id].append(sprint_id)
        if sprint_id is not None and (sprints is None or sprint_id in sprints):
            total = by_sprint[sprint_id]
            total.done_points += done_points
            total.total_points += total_points
            total.done_count += done_count
            total.total_count += total_count
            if item_id is not None:
                items_of_sprint[sprint_id].append(item_id)
                if item_id in aligned:
                    total.aligned_points += total_points
    no_work = Work()
    objective_of_kr = seeds.objective_of_kr
    for item in facts.items:
        links = facts.links_of_item.get(item.id, ())
        kr_ids = [kr_id for kr_id, _ in links]
        p.put(
            item_rollup(
                item,
                by_item.get(item.id, no_work),
                feeds={KR: kr_ids, SPRINT: sprints_of_item.get(item.id, ())},
                today=p.today,
                thresholds=p.thresholds,
                now=p.now,
            )
        )
        seeds.key_results.update(kr_ids)
        objective_of_kr.update(links)
    for sprint in facts.sprints:
        p.put(
            sprint_rollup(
                sprint,
                by_sprint.get(sprint.id, no_work),
                inputs={ITEM: items_of_sprint.get(sprint.id, ())},
                today=p.today,
                thresholds=p.thresholds,
                now=p.now,
            )
        )


def _teams(p: Pass, teams: Iterable[int]) -> None:
    """Teams show the numbers of their active sprint (at most one per team)."""
    wanted = set(teams)
    found = _active_sprints(p, wanted)
    p.drop(TEAM, wanted - set(found))
    p.load({SPRINT: [s for s in found.values() if s and p.row(SPRINT, s) is None]})
    _team_rows(p, found)


def _active_sprints(p: Pass, teams: set[int] | None) -> dict[int, int | None]:
    """Team → its active sprint (None without one), for these teams (all when None)."""
    if teams is None:
        return dict(_active_sprint_query(p.workspace_id, None))
    return dict(_ACTIVE_SPRINTS.rows(workspace=p.workspace_id, ids=Ids(teams)))


def _team_rows(p: Pass, found: Mapping[int, int | None]) -> None:
    for team_id, sprint_id in found.items():
        active_row = p.row(SPRINT, sprint_id) if sprint_id else None
        p.put(team_rollup(p.workspace_id, team_id, active_row, now=p.now))
