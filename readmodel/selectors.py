"""Reads of the read model: the materialized rows every page and API response shows.

One call per page, in bulk::

    rows = rollups_for(workspace.pk, {"objective": objective_ids, "key_result": kr_ids})
    row = rows.get(("key_result", kr.pk))  # None only for a node that does not exist
    row.progress, row.expected, row.status, row.basis, row.reasons, row.as_of

Freshness (see readmodel/freshness.py): before reading, the workspace's queue of stale nodes
is drained and missing or earlier-day rows of the requested nodes are computed, so a row is
never older than the last committed change nor than today. Queries: two when every row is
current (the queue check and the read); a cold read adds an incremental refresh of the
missing nodes (a fixed handful of queries per level of the tree above them) and one re-read.
Pass `fresh=False` to read the stored rows as they are (e.g. inside a refresh).

Kinds are `readmodel.models.NodeKind` values: "objective", "key_result", "roadmap_item",
"sprint", "team". Reasons are the stored JSON ({"code", "numbers", "objects"}); the OKR
layer turns them into sentences (okrs.reason_words).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    Expression,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from alignment import timezones
from readmodel import freshness
from readmodel.models import Rollup

Key = freshness.Key

_FIELDS = (
    "kind",
    "node_id",
    "progress",
    "expected",
    "status",
    "basis",
    "reasons",
    "inputs",
    "done_points",
    "total_points",
    "done_count",
    "total_count",
    "work_progress",
    "computed_at",
)


@dataclass(frozen=True, slots=True)
class RollupRow:
    """One node's materialized numbers, as pages show them."""

    kind: str
    node_id: int
    progress: float  # 0..1, rounded to 4 places when computed
    expected: float  # elapsed share of the period on the day it was computed
    status: str  # on_track | at_risk | off_track
    basis: str  # a readmodel.models.Basis value: what the number counted
    reasons: tuple[dict[str, Any], ...]  # status reasons, then notes about the number
    inputs: tuple[Key, ...]  # the nodes it was computed from (an objective: its KRs, ...)
    done_points: Decimal
    total_points: Decimal
    done_count: int
    total_count: int
    work_progress: float | None  # source=tasks KRs: done share of the linked work
    as_of: datetime  # when it was computed

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    def inputs_of(self, kind: str) -> list[int]:
        """The ids of one kind among the inputs, in stored order."""
        return [node_id for k, node_id in self.inputs if k == kind]


def _row(values: tuple[Any, ...]) -> RollupRow:
    (kind, node_id, progress, expected, status, basis, reasons, inputs, *rest) = values
    done_points, total_points, done_count, total_count, work_progress, computed_at = rest
    return RollupRow(
        kind=kind,
        node_id=node_id,
        progress=float(progress),
        expected=float(expected),
        status=status,
        basis=basis,
        reasons=tuple(reasons or ()),
        inputs=tuple((str(k), int(i)) for k, i in inputs or ()),
        done_points=done_points,
        total_points=total_points,
        done_count=done_count,
        total_count=total_count,
        work_progress=None if work_progress is None else float(work_progress),
        as_of=computed_at,
    )


def _wanted(nodes: Mapping[str, Iterable[int]]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for kind, ids in nodes.items():
        found = {int(i) for i in ids if i is not None}
        if found:
            wanted[kind] = found
    return wanted


def _read(workspace_id: int, wanted: Mapping[str, Iterable[int]]) -> dict[Key, RollupRow]:
    """The stored rows of these nodes, in one query."""
    condition = Q(pk=None)
    for kind, ids in wanted.items():
        condition |= Q(kind=kind, node_id__in=sorted(ids))
    rows = Rollup.objects.filter(condition, workspace_id=workspace_id).order_by()
    return {(r[0], r[1]): _row(r) for r in rows.values_list(*_FIELDS)}


def _computed_before(row: RollupRow, today: date, zone: tzinfo) -> bool:
    return timezone.localtime(row.as_of, zone).date() < today


def rollups_for(
    workspace_id: int,
    nodes: Mapping[str, Iterable[int]],
    *,
    today: date | None = None,
    fresh: bool = True,
) -> dict[Key, RollupRow]:
    """The rows of these nodes ({kind: ids}) by (kind, id), brought up to date first.

    A node absent from the answer does not exist (or belongs to another workspace). With
    `fresh` (the default) the rows are current as of the last committed change and `today`
    (default: the local date); see the module docstring for what that costs.
    """
    wanted = _wanted(nodes)
    if not wanted:
        return {}
    refresher = freshness.registered() if fresh else None
    if refresher is not None:
        refresher.drain_pending(workspace_id)
    rows = _read(workspace_id, wanted)
    if refresher is None:
        return rows
    zone = timezones.workspace_zone_of(workspace_id)
    today = today or timezones.today_in(zone)
    stale = [
        (kind, node_id)
        for kind, ids in wanted.items()
        for node_id in sorted(ids)
        if (row := rows.get((kind, node_id))) is None or _computed_before(row, today, zone)
    ]
    if stale:
        refresher.compute(workspace_id, stale, today=today)
        again: dict[str, set[int]] = {}
        for kind, node_id in stale:
            again.setdefault(kind, set()).add(node_id)
        rows.update(_read(workspace_id, again))
    return rows


def refresh_rows_of(
    workspace_id: int, nodes: Mapping[str, QuerySet[Any]], *, today: date | None = None
) -> None:
    """Bring the rows of these nodes ({kind: a queryset of the nodes}) up to date, for a
    page that reads `Rollup` rows itself (filtered by status, ordered in SQL, ...).

    The same promise as `rollups_for`, without reading the rows: the queue is drained, then
    one query lists the nodes without a row computed today (the querysets stay subqueries,
    so a page need not load the ids first), and only those are computed. One query when
    every row is current, whatever the number of nodes: the queue check rides in the same
    UNION ALL, and only a non-empty queue costs the drain and a second look.
    """
    refresher = freshness.registered()
    if refresher is None or not nodes:
        return
    zone = timezones.workspace_zone_of(workspace_id)
    today = today or timezones.today_in(zone)
    since = datetime.combine(today, time.min, tzinfo=zone)
    stale = _lacking(refresher, workspace_id, nodes, since)
    if (PENDING, workspace_id) in stale:
        # The queue held changes: drain it, then ask again (the common case asks once).
        refresher.drain_pending(workspace_id)
        stale = _lacking(refresher, workspace_id, nodes, since)
    stale = [key for key in stale if key[0] != PENDING]
    if stale:
        refresher.compute(workspace_id, stale, today=today)


PENDING = "~pending"  # the marker row of a non-empty queue; no node kind starts with "~"


def _lacking_parts(
    refresher: freshness.Refresher,
    workspace_id: int,
    nodes: Mapping[str, QuerySet[Any]],
    since: datetime,
) -> list[QuerySet[Any]]:
    """`values_list(kind, id)` querysets: the (PENDING, workspace id) marker when the
    workspace's rollup queue is not empty, then per kind the nodes without a row computed
    since `since`."""
    lacking = [
        queryset.exclude(
            pk__in=Rollup.objects.filter(
                workspace_id=workspace_id, kind=kind, computed_at__gte=since
            ).values("node_id")
        )
        .order_by()
        .annotate(node_kind=Value(kind, output_field=CharField()))
        .values_list("node_kind", "pk")
        for kind, queryset in nodes.items()
    ]
    return [refresher.pending_marker(workspace_id, PENDING), *lacking]


def _lacking(
    refresher: freshness.Refresher,
    workspace_id: int,
    nodes: Mapping[str, QuerySet[Any]],
    since: datetime,
) -> list[tuple[str, int]]:
    """One UNION ALL query: the nodes without a row computed since `since`, and the
    (PENDING, workspace id) marker when the workspace's rollup queue is not empty."""
    marker, *lacking = _lacking_parts(refresher, workspace_id, nodes, since)
    union = marker.union(*lacking, all=True)
    return sorted((str(kind), int(node_id)) for kind, node_id in union)


def rows_are_current(
    workspace_id: int,
    nodes: Mapping[str, QuerySet[Any]],
    *,
    today: date | None = None,
    since: datetime | None = None,
) -> Expression:
    """A boolean expression, true when `refresh_rows_of(workspace_id, nodes)` would have
    nothing to do (the queue is empty and every node has a row computed today): annotated on
    a row a page reads anyway (its team, with `OuterRef`s in `nodes`), it saves that page the
    freshness query whenever the rows are current; only when it is false need the page call
    `refresh_rows_of`."""
    refresher = freshness.registered()
    if refresher is None or not nodes:
        return Value(True, output_field=BooleanField())
    if since is None:  # `since`: the first instant of the workspace's today, known already
        zone = timezones.workspace_zone_of(workspace_id)
        since = datetime.combine(today or timezones.today_in(zone), time.min, tzinfo=zone)
    stale = Q()
    for part in _lacking_parts(refresher, workspace_id, nodes, since):
        stale |= Q(Exists(part))
    return Case(When(stale, then=Value(False)), default=Value(True), output_field=BooleanField())


def rollup_for(
    workspace_id: int, kind: str, node_id: int, *, today: date | None = None
) -> RollupRow | None:
    """One node's row, brought up to date first (as `rollups_for`)."""
    return rollups_for(workspace_id, {kind: [node_id]}, today=today).get((kind, node_id))


def oldest_as_of(rows: Iterable[RollupRow | None]) -> datetime | None:
    """When the oldest of these rows was computed: a page's "as of" time."""
    times = [row.as_of for row in rows if row is not None]
    return min(times) if times else None
