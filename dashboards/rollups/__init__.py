"""Materialized rollups: every node's progress, status and reasons, recomputed from source rows.

Two ways in, one computation:
- `refresh(workspace_id, seeds)` recomputes the seeded nodes and walks *up* only the chain they
  feed: roadmap items → sprints → teams, and roadmap items → key results → objectives → the
  key results those objectives are aligned to → their objectives … Each level is a fixed
  handful of wide queries (work.py, okr.py), so the cost grows with the depth of the chain,
  not with the data.
- `recompute_all(workspace)` runs the same levels over every node of a workspace (repair):
  one aggregate over all its tasks (on a second connection, while the other reads run, where
  that is safe: overlap.py), then every level from memory.

Both end in the same per-node functions of math.py (`item_rollup`, `sprint_rollup`,
`team_rollup`) and math_okr.py (`key_result_rollup`, `objective_rollup`), which read their
inputs as rows (fresh ones from this pass, else the stored ones), so the incremental
path and the full one agree exactly; a hypothesis state machine in tests/dashboards checks it.
Numbers are rounded once, when a row is built, and consumers read the rounded values.
`Pass.save` (passes.py) writes only the rows that differ and publishes `RollupChanged`
for the nodes that moved.

The package, by responsibility: this module holds the entry points (`from dashboards import
rollups` is the way in for every caller); passes.py a pass's state and its writes; work.py
and okr.py the levels (their reads); math.py and math_okr.py the pure per-node functions;
overlap.py the second connection of a full pass; queue.py the coalescing queue of stale nodes
and its drain (Celery jobs in dashboards/tasks.py); refresher.py the read model's refresher
(readmodel/freshness.py), which refreshes on read.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy
from dataclasses import fields
from datetime import date
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alignment import timezones
from alignment.lookups import Ids
from alignment.models import Workspace
from alignment.prepared import Prepared
from dashboards.rollups.math import COMPARED_FIELDS, ITEM, KR, OBJECTIVE, SPRINT, TEAM, Key
from dashboards.rollups.okr import MAX_ROUNDS, build_round, okr_levels, read_round
from dashboards.rollups.overlap import in_background, may_overlap
from dashboards.rollups.passes import Pass, Seeds
from dashboards.rollups.work import build_all_work, read_all_work, work_levels, work_rows
from okrs import progress
from readmodel.models import Rollup
from roadmaps.models import KeyResultLink
from tasks.models import Task

# ---- public entry points ---------------------------------------------------------------------


# The nodes of the seeded tasks, compiled once (alignment.prepared): every refresh asks.
_TASK_NODES = Prepared(
    lambda workspace, ids: Task.objects.filter(workspace_id=workspace, pk__in_ids=ids).values_list(
        "roadmap_item_id", "sprint_id", "team_id"
    )
)


def _expand(p: Pass, seeds: Seeds) -> None:
    """Resolve tasks to their nodes; changed KRs and objectives reach the items linked to them
    (an archived objective or a deleted KR changes which sprint work counts as aligned)."""
    if seeds.tasks:
        for item_id, sprint_id, team_id in _TASK_NODES.rows(
            workspace=p.workspace_id, ids=Ids(seeds.tasks)
        ):
            seeds.add(ITEM, item_id)
            seeds.add(SPRINT, sprint_id)
            seeds.add(TEAM, team_id)
    if seeds.key_results or seeds.objectives:
        linked = KeyResultLink.objects.filter(workspace_id=p.workspace_id).filter(
            Q(key_result_id__in=seeds.key_results)
            | Q(key_result__objective_id__in=seeds.objectives)
        )
        realigned = set(linked.values_list("item_id", flat=True))
        # A deleted KR's links are gone with it: its stored row still names its items.
        p.load({KR: seeds.key_results})
        for kr_id in seeds.key_results:
            row = p.stored.get((KR, kr_id))
            if row is not None:
                realigned.update(int(i) for k, i in row.inputs if k == ITEM)
        seeds.realigned |= realigned
        seeds.items |= realigned


def _pass(workspace: Workspace, *, today: date | None, full: bool) -> Pass:
    return Pass(
        workspace_id=workspace.pk,
        today=today or timezones.today(workspace),
        zone=timezones.workspace_zone(workspace),
        thresholds=progress.Thresholds.from_settings(workspace.settings),
        now=timezone.now(),
        full=full,
    )


@transaction.atomic
def refresh(workspace: Workspace, seeds: Seeds, *, today: date | None = None) -> int:
    """Recompute the seeded nodes and everything they feed, up to the roots; rows written.

    The walk goes up only, so a node it builds may read an input that has no row at all (a
    world built without events: a child objective, a linked item, a team's active sprint).
    Counted as nothing, it would store a wrong parent that later reads take as current. So
    when a pass met such inputs it is thrown away and run again seeded with them too (they
    are built first, children before parents), before anything is saved or published; a
    pass whose inputs all have rows, the usual case, costs no query more.
    """
    if not seeds:
        return 0
    seeds = _copy(seeds)
    for _ in range(MAX_ROUNDS):
        p = _pass(workspace, today=today, full=False)
        attempt = _copy(seeds)
        _expand(p, attempt)
        work_levels(p, attempt)
        okr_levels(p, attempt)
        missing = _missing_inputs(p)
        if not missing:
            break
        for kind, node_id in missing:
            seeds.add(kind, node_id)
    return p.save()


def _missing_inputs(p: Pass) -> list[Key]:
    """Inputs the pass looked up that have no row: neither built here, nor stored, nor gone.

    Only kinds read as inputs of other rows and never looked up for themselves: child
    objectives and linked items (OKR rounds), active sprints (teams). Seeded nodes of these
    kinds are built or dropped, so they never count.
    """
    return sorted(
        key
        for key in p.looked
        if key[0] in (OBJECTIVE, ITEM, SPRINT)
        and key not in p.fresh
        and key not in p.stored
        and key not in p.gone
    )


def _copy(seeds: Seeds) -> Seeds:
    """A pass adds to its seeds as it walks: each attempt starts from the asked ones."""
    return Seeds(**{f.name: copy(getattr(seeds, f.name)) for f in fields(seeds)})


def refresh_ancestors_of_task(task_id: int, *, today: date | None = None) -> int:
    """Recompute the chain above one task: its item, linked KRs, objectives, sprint, team."""
    # The three columns it feeds and its workspace (not a whole task: titles, descriptions).
    task = (
        Task.objects.filter(pk=task_id)
        .select_related("workspace")
        .only("roadmap_item_id", "sprint_id", "team_id", "workspace")
        .first()
    )
    if task is None:
        return 0
    seeds = Seeds.of([(ITEM, task.roadmap_item_id), (SPRINT, task.sprint_id), (TEAM, task.team_id)])
    return refresh(task.workspace, seeds, today=today)


def compute_all(workspace: Workspace, *, today: date | None = None) -> dict[Key, Rollup]:
    """Every node's row of a workspace, computed from source rows and not saved."""
    return _full_pass(workspace, today=today, overlap=may_overlap(), read_stored=False).fresh


def _full_pass(
    workspace: Workspace, *, today: date | None, overlap: bool, read_stored: bool
) -> Pass:
    """Every node of a workspace: all the reads first, then every row from memory.

    With `overlap`, the one aggregate over the tasks runs on a second connection while this
    one reads the rest (overlap.py); `read_stored` reads the stored rows among them.
    """
    p = _pass(workspace, today=today, full=True)
    aggregate = partial(work_rows, p.workspace_id, None)
    rows_of_tasks = in_background(aggregate) if overlap else aggregate
    work = read_all_work(p)
    okr = read_round(p, None)
    if read_stored:
        p.read_all_stored()
    build_all_work(p, Seeds(), work, rows_of_tasks())
    build_round(p, okr)
    return p


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a full pass allocates its rows.

    A full recompute allocates hundreds of thousands of small containers (rows, reasons, feed
    pairs) that refcounting frees; the collector's repeated scans of them were ≈15% of the
    pass at 1M tasks. It is switched back on (if it was on) however the pass ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def recompute_all(workspace: Workspace, *, today: date | None = None) -> int:
    """Recompute every node of a workspace from source rows (repair); rows written."""
    overlap = may_overlap()  # decided before this function's own transaction opens
    with transaction.atomic(), _without_cycle_collection():
        p = _full_pass(workspace, today=today, overlap=overlap, read_stored=True)
        written = p.save()
        # Freed now, by reference counting: alive when the collector is switched back on,
        # the pass's rows would make its first run scan them all (≈0.1 s at 1M tasks).
        del p
    return written


def comparable(row: Rollup) -> dict[str, Any]:
    """The fields the incremental and the full path must agree on, and the digest of them
    (a row written by either path must hash as the other would build it)."""
    return {name: getattr(row, name) for name in [*COMPARED_FIELDS, "digest"]}
