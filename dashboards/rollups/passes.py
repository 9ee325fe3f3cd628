"""A pass of rollups: what is stale (`Seeds`), the rows read and built (`Pass`), writing them.

The levels themselves live in work.py (roadmap items, sprints, teams) and okr.py
(key results and objectives); the package (__init__.py) holds the entry points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, tzinfo
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Q, QuerySet

from alignment import events
from alignment.lookups import Ids
from alignment.prepared import Prepared
from alignment.rows import instances
from dashboards.events import RollupChanged
from dashboards.models import Rollup
from dashboards.rollups.math import (
    ITEM,
    KR,
    OBJECTIVE,
    ROW_FIELDS,
    SPRINT,
    TASK,
    TEAM,
    Key,
)
from okrs import progress as math

# A queue kind besides the node kinds and "task": a roadmap item whose key result links (so
# its alignment) or existence changed. Such an item also refreshes every sprint holding its
# tasks; a plain task change refreshes only the task's own sprint.
REALIGN = "item_links"


# What saving needs of a stored row: (row id, digest, progress, status): which row, whether it
# differs, what its events say. A plain tuple: a full recompute reads one per node (18,500 at
# 1M tasks), straight from the cursor's rows.
Stored = tuple[int, str, Decimal | None, str]
PK, DIGEST = 0, 1


@dataclass
class Seeds:
    """Nodes known to be stale; `tasks` are resolved to their item, sprint and team."""

    tasks: set[int] = field(default_factory=set)
    items: set[int] = field(default_factory=set)
    realigned: set[int] = field(default_factory=set)
    sprints: set[int] = field(default_factory=set)
    teams: set[int] = field(default_factory=set)
    key_results: set[int] = field(default_factory=set)
    objectives: set[int] = field(default_factory=set)
    # Key result → its objective, where a level above already read it (saves a lookup).
    objective_of_kr: dict[int, int] = field(default_factory=dict)

    def add(self, kind: str, node_id: int | None) -> None:
        if node_id is None:
            return
        node_id = int(node_id)
        if kind == REALIGN:
            self.realigned.add(node_id)
            self.items.add(node_id)
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
            bucket.add(node_id)

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
    """One refresh: the rows built so far (read before the stored ones) and what to write.

    An incremental pass reads stored rows only for the nodes it touches, a level at a time
    (`load`); a full pass reads every stored row of the workspace once, when it saves.
    """

    workspace_id: int
    today: date
    thresholds: math.Thresholds
    now: Any
    full: bool = False
    # The workspace's zone: the day a check-in or a key result's creation counts on.
    zone: tzinfo = UTC
    fresh: dict[Key, Rollup] = field(default_factory=dict)
    gone: set[Key] = field(default_factory=set)
    stored: dict[Key, Rollup] = field(default_factory=dict)
    looked: set[Key] = field(default_factory=set)
    # A full pass: every stored row, when read ahead of `save` (`read_all_stored`).
    all_stored: dict[Key, Stored] | None = None

    def load(self, wanted: Mapping[str, Iterable[int]]) -> None:
        """Stored rows of these nodes in one query, skipping nodes already looked up."""
        if self.full:
            return
        missing: dict[str, list[int]] = {}
        for kind, ids in wanted.items():
            new = [i for i in set(ids) if (kind, i) not in self.looked]
            if new:
                self.looked.update((kind, i) for i in new)
                missing[kind] = new
        if missing:
            for row in stored_rows(self.workspace_id, missing):
                self.stored[(row.kind, row.node_id)] = row

    def old_feeds(self, kind: str, ids: Iterable[int]) -> list[Key]:
        """The nodes these nodes fed when last stored (call `load` for them first)."""
        found: list[Key] = []
        for node_id in ids:
            row = self.stored.get((kind, node_id))
            if row is not None:
                found.extend((k, int(i)) for k, i in row.feeds)
        return found

    def row(self, kind: str, node_id: int) -> Rollup | None:
        """A node's row: built in this pass, else (incremental) the stored one."""
        key = (kind, node_id)
        found = self.fresh.get(key)
        if found is not None or self.full or key in self.gone:
            return found
        return self.stored.get(key)

    def put(self, row: Rollup) -> None:
        self.fresh[(row.kind, row.node_id)] = row

    def drop(self, kind: str, ids: Iterable[int]) -> None:
        self.gone.update((kind, i) for i in ids)

    def read_all_stored(self) -> None:
        """A full pass: read every stored row now rather than in `save`."""
        self.all_stored = _stored_rows(self.workspace_id)

    def _before(self) -> dict[Key, Stored]:
        """The stored rows this pass may change."""
        if self.full:
            if self.all_stored is None:
                self.all_stored = _stored_rows(self.workspace_id)
            return self.all_stored
        self.load(_by_kind([*self.fresh, *self.gone]))
        return {
            key: (row.pk, row.digest, row.progress, row.status) for key, row in self.stored.items()
        }

    def save(self) -> int:
        """Write the rows that differ from the stored ones, delete the rows of nodes that are
        gone, and publish `RollupChanged` for every node whose progress or status moved.

        Call inside the transaction that should hold the writes: in-transaction subscribers
        write their outbox rows there, after-commit ones run once it commits. A repair of a
        healthy workspace writes nothing and publishes nothing.
        """
        before = self._before()
        # The digest hashes every compared value (math.row_digest): equal digests, equal
        # rows. Rows are only ever written here, digest included, so it cannot go stale.
        changed = [
            row
            for key, row in self.fresh.items()
            if (known := before.get(key)) is None or known[DIGEST] != row.digest
        ]
        if changed:
            Rollup.objects.bulk_create(
                changed,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["kind", "node_id"],
                update_fields=[f if f != "workspace" else "workspace_id" for f in ROW_FIELDS],
            )
        if self.full:
            removed = [key for key in before if key not in self.fresh]
        else:
            removed = [key for key in self.gone if key in before]
        if removed:
            Rollup.objects.filter(
                workspace_id=self.workspace_id, pk__in=[before[key][PK] for key in removed]
            ).delete()
        self._publish(before, changed, removed)
        return len(self.fresh)

    def _publish(
        self,
        before: Mapping[Key, Stored],
        changed: Iterable[Rollup],
        removed: Iterable[Key],
    ) -> None:
        found: list[RollupChanged] = []
        for row in changed:
            known = before.get((row.kind, row.node_id))
            _, _, progress, status = known if known else (0, "", None, "")
            if known is None or progress != row.progress or status != row.status:
                found.append(
                    RollupChanged(
                        workspace_id=self.workspace_id,
                        kind=row.kind,
                        node_id=row.node_id,
                        progress_before=_text(progress),
                        progress_after=_text(row.progress),
                        status_before=status,
                        status_after=row.status,
                    )
                )
        for kind, node_id in removed:
            _, _, progress, status = before[(kind, node_id)]
            found.append(
                RollupChanged(
                    workspace_id=self.workspace_id,
                    kind=kind,
                    node_id=node_id,
                    progress_before=_text(progress),
                    progress_after=None,
                    status_before=status,
                    status_after="",
                )
            )
        for event in sorted(found, key=lambda e: (e.kind, e.node_id)):
            events.publish_on_commit(event)


def _stored_rows(workspace_id: int) -> dict[Key, Stored]:
    """Every stored row of a workspace, without its JSON (the digest stands for it)."""
    rows = (
        Rollup.objects.filter(workspace_id=workspace_id)
        .order_by()
        .values_list("kind", "node_id", "id", "digest", "progress", "status")
    )
    return {row[:2]: row[2:] for row in rows}


def _text(progress: Decimal | None) -> str | None:
    return None if progress is None else str(Decimal(progress).quantize(Decimal("0.0001")))


def _by_kind(keys: Iterable[Key]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for kind, node_id in keys:
        grouped.setdefault(kind, []).append(node_id)
    return grouped


class AlignedUnder(Protocol):
    """An objective's facts: the objective it is aligned under, if any."""

    @property
    def aligned_under(self) -> int | None: ...


def _children_first(objectives: Mapping[int, AlignedUnder]) -> list[int]:
    """Objective ids ordered so an objective comes after those aligned under it."""
    parent_of = {pk: o.aligned_under for pk, o in objectives.items()}
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


# The node kinds of `stored_rows`' one statement, in its order.
_KINDS = (ITEM, SPRINT, TEAM, KR, OBJECTIVE)
_ROLLUP_FIELDS = tuple(f.attname for f in Rollup._meta.concrete_fields)


def _stored_query(workspace: int, **ids: Ids) -> QuerySet[Any]:
    condition = Q()
    for kind in _KINDS:
        condition |= Q(kind=kind, node_id__in_ids=ids[kind])
    return (
        Rollup.objects.filter(condition, workspace_id=workspace)
        .order_by()
        .values_list(*_ROLLUP_FIELDS)
    )


# Compiled once (alignment.prepared): an incremental refresh reads stored rows three to four
# times, and building this OR of kinds through the ORM each time was a fifth of its CPU.
_STORED = Prepared(_stored_query, names=["workspace", *_KINDS])


def stored_rows(workspace_id: int, ids: Mapping[str, Iterable[int]]) -> list[Rollup]:
    """The stored rows of these nodes ({kind: ids}), as model instances, in one query."""
    unknown = set(ids) - set(_KINDS)
    if unknown:
        raise ValueError(f"not a node kind: {sorted(unknown)}")
    values = {kind: Ids(ids.get(kind, ())) for kind in _KINDS}
    found = _STORED.rows(workspace=workspace_id, **values)
    return instances(Rollup.objects.all(), _ROLLUP_FIELDS, rows=found)
