"""The read model's refresher (readmodel/freshness.py): dashboards computes the rows.

Registered in `DashboardsConfig.ready`; `readmodel.selectors.rollups_for` calls it before a
page reads rows, so a page in the embedded setup (eager Celery, no beat) or right after a
burst in production never shows a number older than the last committed change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import CharField, Exists, Q, QuerySet, Value
from django.utils import timezone

from alignment import timezones
from alignment.models import Workspace
from dashboards import rollups
from dashboards.models import RollupPending
from dashboards.rollups import queue
from dashboards.rollups.math import ITEM, KR, OBJECTIVE, SPRINT, TEAM
from dashboards.rollups.okr import MAX_ROUNDS
from dashboards.rollups.passes import Seeds
from okrs.models import KeyResult, Objective
from readmodel.freshness import Key
from readmodel.models import Rollup
from tasks.models import Sprint, SprintStatus


class RollupRefresher:
    def drain_pending(self, workspace_id: int) -> None:
        """Drain the workspace's queue now if anything waits in it (one `exists` when not)."""
        if RollupPending.objects.filter(workspace_id=workspace_id).exists():
            queue.drain(workspace_id)

    def pending_marker(self, workspace_id: int, kind: str) -> QuerySet[Any]:
        return (
            Workspace.objects.filter(
                Exists(RollupPending.objects.filter(workspace_id=workspace_id)), pk=workspace_id
            )
            .order_by()
            .annotate(node_kind=Value(kind, output_field=CharField()))
            .values_list("node_kind", "pk")
        )

    def compute(self, workspace_id: int, nodes: Collection[Key], *, today: date) -> None:
        """An incremental refresh seeded with these nodes and with their inputs that have no
        current row: them and the chain they feed."""
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None or not nodes:
            return
        # The walk goes up only: a parent built before a child that has no row yet would
        # count without it. Seeding the stale inputs too builds them first (items before key
        # results, children before parents), in the same refresh.
        inputs = stale_inputs(workspace_id, nodes, today=today)
        rollups.refresh(workspace, Seeds.of([*nodes, *inputs]), today=today)
        # A refresh rewrites only rows whose numbers moved: stamp the ones asked for as
        # confirmed now, or a row whose numbers stay put (a closed period's) would look
        # earlier-day, and be recomputed, on every read.
        Rollup.objects.filter(_of_nodes(nodes), workspace_id=workspace_id).update(
            computed_at=timezone.now()
        )

    def forecast(self, workspace_id: int, nodes: Collection[Key], *, today: date) -> None:
        """Forecasts of these nodes from their current rows (readmodel.forecasts)."""
        from dashboards import forecasting

        forecasting.refresh(workspace_id, nodes, today=today)


def stale_inputs(workspace_id: int, nodes: Iterable[Key], *, today: date) -> list[Key]:
    """What these nodes are computed from, all the way down (aligned objectives, their key
    results, linked roadmap items, a team's active sprint), where the row is missing or from
    an earlier day. A handful of queries plus one per level of the objective tree below."""
    wanted = _by_kind(nodes)
    below = _inputs_below(workspace_id, wanted)
    below = [key for key in below if key[1] not in wanted.get(key[0], set())]
    if not below:
        return []
    zone = timezones.workspace_zone_of(workspace_id)
    current = {
        (kind, node_id)
        for kind, node_id, computed_at in Rollup.objects.filter(
            _of_nodes(below), workspace_id=workspace_id
        )
        .order_by()
        .values_list("kind", "node_id", "computed_at")
        if timezone.localtime(computed_at, zone).date() >= today
    }
    return [key for key in below if key not in current]


def _inputs_below(workspace_id: int, wanted: Mapping[str, set[int]]) -> list[Key]:
    objectives: set[int] = set(wanted.get(OBJECTIVE, ()))
    krs: set[int] = set(wanted.get(KR, ()))
    # Objectives aligned under these, level by level (directly, or to one of their KRs).
    frontier, frontier_krs = set(objectives), set(krs)
    for _ in range(MAX_ROUNDS):
        if not (frontier or frontier_krs):
            break
        children = set(
            Objective.objects.filter(workspace_id=workspace_id)
            .filter(
                Q(parent_id__in=frontier)
                | Q(parent_key_result__objective_id__in=frontier)
                | Q(parent_key_result_id__in=frontier_krs)
            )
            .values_list("id", flat=True)
        )
        frontier, frontier_krs = children - objectives, set()
        objectives |= frontier
    found: list[Key] = [(OBJECTIVE, o) for o in sorted(objectives)]
    items: set[int] = set()
    if objectives or krs:
        # Their key results and the roadmap items linked to them, in one query.
        for kr_id, item_id in (
            KeyResult.objects.filter(workspace_id=workspace_id)
            .filter(Q(objective_id__in=objectives) | Q(pk__in=krs))
            .order_by()
            .values_list("id", "item_links__item_id")
        ):
            krs.add(kr_id)
            if item_id is not None:
                items.add(item_id)
    found += [(KR, k) for k in sorted(krs)] + [(ITEM, i) for i in sorted(items)]
    teams = wanted.get(TEAM)
    if teams:
        active = Sprint.objects.filter(
            workspace_id=workspace_id, team_id__in=teams, status=SprintStatus.ACTIVE
        ).values_list("id", flat=True)
        found += [(SPRINT, s) for s in sorted(active)]
    return found


def _by_kind(nodes: Iterable[Key]) -> dict[str, set[int]]:
    by_kind: dict[str, set[int]] = {}
    for kind, node_id in nodes:
        by_kind.setdefault(kind, set()).add(int(node_id))
    return by_kind


def _of_nodes(nodes: Iterable[Key]) -> Q:
    """These nodes' rows: one `OR` term per kind, never per node (SQLite refuses an
    expression tree deeper than 1000, and the statement stays one however many nodes)."""
    return reduce(or_, (Q(kind=k, node_id__in=sorted(ids)) for k, ids in _by_kind(nodes).items()))
