"""A task edit that also sets custom field values (the task API's `PATCH` with
`custom_fields`): one transaction, one version check, all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from alignment.models import Membership
from tasks import custom_values
from tasks.models import Label, Task
from tasks.services.core import task_update


@transaction.atomic
def task_update_with_custom_fields(
    *,
    actor: Membership,
    task: Task,
    expected_version: int | None = None,
    labels: Iterable[Label] | None = None,
    custom_fields: Mapping[Any, Any] | None = None,
    **changes: Any,
) -> Task:
    """`task_update`, plus custom field values by name or id.

    The values go first: each is checked before anything is written (a bad one raises 400
    naming the field) and the client's version is checked there. The task's own changes
    follow in the same transaction, so a refusal of either leaves the task as it was."""
    if custom_fields:
        custom_values.write(actor, task, custom_fields, expected_version)
        task.refresh_from_db(fields=["version"])
        # The client's version was checked against the task before the values; the values
        # bumped it, so the edit below must not be refused for the bump it just made.
        expected_version = None
        if not changes and labels is None:
            return task
    return task_update(
        actor=actor, task=task, expected_version=expected_version, labels=labels, **changes
    )
