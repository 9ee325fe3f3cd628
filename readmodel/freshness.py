"""Bringing the read model up to date for the nodes a page is about to read.

readmodel holds the rows; dashboards knows how to compute them. So dashboards registers one
`Refresher` here at start-up (`DashboardsConfig.ready`) and `readmodel.selectors` calls it
before every read: an explicit registry, declared once, instead of an import the layering
forbids. Without a refresher (a process that did not load dashboards) reads return the
stored rows as they are.

What "fresh" means (the promise of `readmodel.selectors.rollups_for`):
- no row is older than the last committed change: every change queues its stale nodes
  (`RollupPending`, written with the change), and the queue of the page's workspace is
  drained before the read, synchronously; an empty queue costs one `exists` query;
- no row is missing: a node without a row (a world built without events, a node created
  while the queue was being drained) is computed on read, with what it feeds;
- no row is from an earlier day: expected pace and check-in staleness move with the
  calendar, so a row computed before today is recomputed on read.
The last two recompute only the requested nodes, what they are computed from where that
has no current row (aligned objectives, their key results, linked items, a team's active
sprint: built first, so a parent read before its children counts them), and the chain above
(an incremental refresh seeded with them), never a whole workspace.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, Protocol

from django.db.models import QuerySet

Key = tuple[str, int]  # (NodeKind value, node id)


class Refresher(Protocol):
    """What dashboards provides to keep rows current."""

    def drain_pending(self, workspace_id: int) -> None:
        """Recompute the workspace's queued stale nodes now; one cheap query when none."""

    def pending_marker(self, workspace_id: int, kind: str) -> QuerySet[Any]:
        """A `values_list(kind, id)` queryset with one row `(kind, workspace_id)` when the
        workspace's queue holds anything, none otherwise: a part of a UNION ALL, so a page
        learns "queue empty" and "rows current" in one query (readmodel.selectors)."""

    def compute(self, workspace_id: int, nodes: Collection[Key], *, today: date) -> None:
        """Compute (and store) the rows of these nodes, of their inputs without a current
        row, and of what they feed, as of `today`."""

    def forecast(self, workspace_id: int, nodes: Collection[Key], *, today: date) -> None:
        """Compute (and store) the forecasts of these nodes from their current rows and
        history, as of `today` (readmodel.forecasts)."""


_refresher: Refresher | None = None


def register(refresher: Refresher | None) -> None:
    """Install the refresher (dashboards does, at start-up); None removes it (tests)."""
    global _refresher
    _refresher = refresher


def registered() -> Refresher | None:
    """The installed refresher, if any."""
    return _refresher
