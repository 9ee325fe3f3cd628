"""Custom field values on the task API, as an explicit registry (tasks never imports the
customfields app; it registers a reader and a writer in its `AppConfig.ready()`).

    custom_values.register(reader=values_for_tasks, writer=set_values, creator=first_values)

The reader answers for a whole page of tasks in one query (task id → {field name: value}),
never task by task; the writer sets values all or nothing (a bad value raises a 400 naming
the field before anything is written) and bumps the task's version like any other edit. The
creator sets a new task's first values inside `task_create` (same checks, no version bump:
the creation is the event) and answers field name → the value as read, for the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from alignment.models import Membership
from tasks.models import Task

Reader = Callable[[int, Sequence[int]], dict[int, dict[str, Any]]]
Writer = Callable[[Membership, Task, Mapping[Any, Any], "int | None"], Any]
Creator = Callable[[Membership, Task, Mapping[Any, Any]], dict[str, str]]


@dataclass(frozen=True)
class _Registry:
    reader: Reader | None = None
    writer: Writer | None = None
    creator: Creator | None = None


_registry: list[_Registry] = [_Registry()]


def register(*, reader: Reader, writer: Writer, creator: Creator | None = None) -> None:
    """Install the provider (idempotent: ready() may run twice in tests)."""
    _registry[0] = _Registry(reader=reader, writer=writer, creator=creator)


def values_for(workspace_id: int, task_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Task id → {field name: value} of its set, active fields, in the fields' order."""
    reader = _registry[0].reader
    if reader is None or not task_ids:
        return {}
    return reader(workspace_id, task_ids)


def write(
    actor: Membership, task: Task, values: Mapping[Any, Any], expected_version: int | None
) -> None:
    """Set values by field name or id (the `tasks/<key>/custom-fields/` endpoint's rules)."""
    writer = _registry[0].writer
    if writer is None:
        _unavailable()
    writer(actor, task, values, expected_version)


def write_new(actor: Membership, task: Task, values: Mapping[Any, Any]) -> dict[str, str]:
    """A task's first values, while `task_create` holds its transaction (a bad value raises a
    400 naming the field, and the creation rolls back); field name → the value as read."""
    creator = _registry[0].creator
    if creator is None:
        _unavailable()
    return creator(actor, task, values)


def _unavailable() -> NoReturn:
    from alignment.errors import DomainError

    raise DomainError("Custom fields are not available.")
