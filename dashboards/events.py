"""Domain events dashboards publishes when a materialized rollup's reading changes.

Published (through `alignment.events.publish_on_commit`) by the rollup writers for every
node whose progress or status moved, inside the transaction that writes the rollup rows,
so in-transaction subscribers (webhooks, notifications) write their outbox rows with them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RollupChanged:
    """A node's progress (0..1 as a string decimal) or status changed."""

    workspace_id: int
    kind: str  # a dashboards.models.NodeKind value
    node_id: int
    progress_before: str | None
    progress_after: str | None
    status_before: str
    status_after: str
