"""Events of the inbox, published after commit through `alignment.events`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InboxChanged:
    """A person's inbox in a workspace gained a notification or had some marked read."""

    workspace_id: int
    user_id: int
    actor_id: int | None = None
