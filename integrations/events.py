"""Domain events integrations publish when a linked pull/merge request or check moves.

Subscribers (automation rules) register in their AppConfig.ready; integrations never
imports them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PullRequestChanged:
    """A pull/merge request naming these tasks was opened, had review requested, or merged."""

    workspace_id: int
    task_ids: tuple[int, ...]
    action: str  # opened | review_requested | merged
    title: str
    url: str
    delivery_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class CheckRunFailed:
    """A CI check on a pull/merge request linked to these tasks failed."""

    workspace_id: int
    task_ids: tuple[int, ...]
    name: str
    url: str
    delivery_id: int
    actor_id: int | None = None
