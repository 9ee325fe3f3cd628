"""Domain events of the work domain, published after commit through `alignment.events`.

Subscribers (dashboards' rollups, integrations' notifications) register in their
AppConfig.ready; tasks/ never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskCreated:
    workspace_id: int
    task_id: int
    roadmap_item_id: int | None
    actor_id: int | None = None  # the user who made the change; None for the system
    assignee_id: int | None = None  # who is told it was assigned to them (none: no one)


@dataclass(frozen=True)
class TaskChanged:
    """Fields of a task changed; `roadmap_item_ids` holds the item before and after."""

    workspace_id: int
    task_id: int
    fields: tuple[str, ...]
    roadmap_item_ids: tuple[int, ...]
    actor_id: int | None = None
    # Set when the task moved to another team: the old team's board must drop its card.
    previous_team_id: int | None = None
    # The people a change of this task may notify (its assignee and creator, after the
    # change); None when the publisher did not say, and a subscriber reads the task.
    watchers: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TaskMerged:
    workspace_id: int
    source_id: int
    into_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class TaskCommented:
    workspace_id: int
    task_id: int
    comment_id: int
    mentioned_user_ids: tuple[int, ...]
    actor_id: int | None = None


@dataclass(frozen=True)
class SprintStarted:
    workspace_id: int
    sprint_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class SprintClosed:
    workspace_id: int
    sprint_id: int
    carried_task_ids: tuple[int, ...]
    actor_id: int | None = None


@dataclass(frozen=True)
class SprintChanged:
    """A sprint was renamed or re-dated: its flow window, burn chart and findings may change."""

    workspace_id: int
    sprint_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class TaskDependencyChanged:
    """`blocking` must finish before `blocked` (verb "added"), or no longer (verb "removed")."""

    workspace_id: int
    blocking_id: int
    blocked_id: int
    verb: str  # added | removed
    actor_id: int | None = None


@dataclass(frozen=True)
class TaskTransitionRefused:
    """An automated move (an integration's rule) was refused by a gate; nobody saw the 409,
    so the refusal is published for the record (standards keeps it as a finding's evidence)."""

    workspace_id: int
    task_id: int
    state_id: int
    via: str
    failing: tuple[tuple[str, str], ...]  # (standard key, check kind) pairs
    actor_id: int | None = None
