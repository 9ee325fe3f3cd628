"""Domain events of standards, published after commit through `alignment.events`."""

from __future__ import annotations

from dataclasses import dataclass

# (team id, standard id, sprint id or 0, ISO day in the workspace's zone, outcome,
#  failing check kinds, task id): one gated entry, as compliance counts it.
Entry = tuple[int, int, int, str, str, tuple[str, ...], int]


@dataclass(frozen=True)
class GateEntriesRecorded:
    """Gated entries were recorded (`GateRecord` rows). Compliance counts them into the read
    model in the same transaction (an in-transaction subscriber), so a count is never lost
    after a commit nor kept for a rolled-back move."""

    workspace_id: int
    entries: tuple[Entry, ...]
    actor_id: int | None = None
