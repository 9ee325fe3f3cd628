"""Domain events of custom fields, published after commit through `alignment.events`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomFieldValuesChanged:
    """Values of these fields changed on a task (`before`/`after`: field name → shown text)."""

    workspace_id: int
    task_id: int
    field_ids: tuple[int, ...]
    before: tuple[tuple[str, str], ...]
    after: tuple[tuple[str, str], ...]
    actor_id: int | None = None


@dataclass(frozen=True)
class CustomFieldDefined:
    """A definition was created, changed, reordered or archived (pages re-read the list)."""

    workspace_id: int
    field_id: int
    verb: str  # created | updated | archived | restored | moved
    actor_id: int | None = None
