"""Domain events of roadmaps, published after commit through `alignment.events`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoadmapItemChanged:
    """An item was created, edited or deleted (dates, status, team)."""

    workspace_id: int
    item_id: int
    actor_id: int | None = None  # the user who made the change; None for the system


@dataclass(frozen=True)
class KeyResultLinksChanged:
    """An item's links to key results changed: the KR's task-based progress may change."""

    workspace_id: int
    item_id: int
    key_result_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class RoadmapItemDependencyChanged:
    """`blocking` must finish before `blocked` (verb "added"), or no longer (verb "removed")."""

    workspace_id: int
    blocking_id: int
    blocked_id: int
    verb: str  # added | removed
    actor_id: int | None = None
