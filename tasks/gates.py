"""Gates on task transitions, as an explicit registry: apps above tasks (standards) register.

The tasks app may not import the apps above it, yet every way a task changes state (board,
task page, API, CLI, Slack, integration automation) goes through `tasks.services`. So the
services call `check_entry` before they write a new state, and each registered gate may refuse
the move by raising `tasks.errors.TransitionBlocked` (a 409 whose details list the failing
checks). A gate that lets a move through may record it (compliance) in the same transaction.

    gates.register(standards_gate)  # (task with its new values, entry) -> None or raises
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alignment.models import Membership
    from tasks.models import Task, WorkflowState


@dataclass(frozen=True)
class Entry:
    """A task about to enter `state`: from which category (None: a new task) and how."""

    state: WorkflowState
    from_category: str | None
    from_team_id: int | None
    actor: Membership | None
    via: str = ""  # what made the move when it was not a person's click ("GitHub …", "Slack")


Gate = Callable[["Task", Entry], None]
_gates: list[Gate] = []


def register(gate: Gate) -> None:
    """Add a gate (idempotent: ready() may run twice in tests)."""
    if gate not in _gates:
        _gates.append(gate)


def enters_new_category(task: Task, entry: Entry) -> bool:
    """A move between two columns of one category (In Progress → In Review) enters nothing
    new: standards gate categories (Definition of Done gates every Done column)."""
    return entry.from_category != entry.state.category or entry.from_team_id != task.team_id


def check_entry(task: Task, entry: Entry) -> None:
    """Ask every gate about `task` (holding its new values, not yet saved) entering a state."""
    if not enters_new_category(task, entry):
        return
    for gate in list(_gates):
        gate(task, entry)
