"""The read model's refresher (readmodel/freshness.py): dashboards computes the rows.

Registered in `DashboardsConfig.ready`; `readmodel.selectors.rollups_for` calls it before a
page reads rows, so a page in the embedded setup (eager Celery, no beat) or right after a
burst in production never shows a number older than the last committed change.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone

from alignment.models import Workspace
from dashboards import queue, rollups
from dashboards.models import RollupPending
from dashboards.rollup_passes import Seeds
from readmodel.freshness import Key
from readmodel.models import Rollup


class RollupRefresher:
    def drain_pending(self, workspace_id: int) -> None:
        """Drain the workspace's queue now if anything waits in it (one `exists` when not)."""
        if RollupPending.objects.filter(workspace_id=workspace_id).exists():
            queue.drain(workspace_id)

    def compute(self, workspace_id: int, nodes: Collection[Key], *, today: date) -> None:
        """An incremental refresh seeded with these nodes: them and the chain they feed."""
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None or not nodes:
            return
        rollups.refresh(workspace, Seeds.of(nodes), today=today)
        # A refresh rewrites only rows whose numbers moved: stamp the ones asked for as
        # confirmed now, or a row whose numbers stay put (a closed period's) would look
        # earlier-day, and be recomputed, on every read.
        # One `OR` term per kind, never per node: SQLite refuses an expression tree deeper
        # than 1000, and the statement count stays one however many nodes were asked for.
        by_kind: dict[str, set[int]] = {}
        for kind, node_id in nodes:
            by_kind.setdefault(kind, set()).add(node_id)
        asked = reduce(or_, (Q(kind=k, node_id__in=sorted(ids)) for k, ids in by_kind.items()))
        Rollup.objects.filter(asked, workspace_id=workspace_id).update(computed_at=timezone.now())
