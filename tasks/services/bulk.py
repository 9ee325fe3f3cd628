"""Bulk actions of the backlog: every id is scoped to the workspace, all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from alignment.errors import CrossWorkspaceLink, FieldErrors
from alignment.guards import ensure_same_workspace, require_member
from alignment.models import Membership, Team, User
from tasks.models import Label, Sprint, Task, TaskLabel
from tasks.services.changes import apply_changes
from tasks.services.rules import UNSET

MAX_BULK = 200


def scoped_tasks(
    actor: Membership, task_ids: Sequence[int], team: Team | None = None
) -> list[Task]:
    """The tasks with these ids the actor may see (its workspace, and not a private team's it
    is not in), within `team` when given; any other id is 'not found' (the same answer as a
    missing id, so a hidden task's existence does not show), and nothing changes."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise FieldErrors({"tasks": "Select at least one task."})
    if len(ids) > MAX_BULK:
        raise FieldErrors({"tasks": f"Select at most {MAX_BULK} tasks at once."})
    tasks = list(
        Task.objects.visible_to(actor)
        .select_related("team", "state")
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
    )
    if team is not None:
        tasks = [t for t in tasks if t.team_id == team.pk]
    if len(tasks) != len(ids):
        missing = sorted(set(ids) - {t.pk for t in tasks})
        raise CrossWorkspaceLink(
            f"{len(missing)} of the selected tasks were not found in this workspace.",
            missing=",".join(map(str, missing)),
        )
    order = {pk: i for i, pk in enumerate(ids)}
    return sorted(tasks, key=lambda t: order[t.pk])


@transaction.atomic
def task_bulk_update(
    *,
    actor: Membership,
    task_ids: Sequence[int],
    sprint: Sprint | None = UNSET,
    assignee: User | None = UNSET,
    estimate: Decimal | int | str | None = UNSET,
    add_labels: Iterable[Label] = (),
    team: Team | None = None,
) -> list[Task]:
    """Move to a sprint (None: backlog), assign, estimate and/or label many tasks at once.

    One transaction: if any task refuses (another team's sprint, a closed sprint…), none
    changes. Each task gets its own version bump and history rows.
    """
    require_member(actor)
    labels = list(add_labels)
    ensure_same_workspace(actor, *labels, what="That label")
    if sprint is not UNSET:
        ensure_same_workspace(actor, sprint, what="That sprint")
    changes: dict[str, Any] = {}
    if sprint is not UNSET:
        changes["sprint"] = sprint
    if assignee is not UNSET:
        changes["assignee"] = assignee
    if estimate is not UNSET:
        changes["estimate"] = estimate
    if not changes and not labels:
        raise FieldErrors({"action": "Choose what to change."})
    tasks = scoped_tasks(actor, task_ids, team)
    for task in tasks:
        if changes:
            apply_changes(actor=actor, task=task, changes=dict(changes), expected_version=None)
    if labels:
        TaskLabel.objects.bulk_create(
            [
                TaskLabel(workspace_id=actor.workspace_id, task=task, label=label)
                for task in tasks
                for label in labels
            ],
            ignore_conflicts=True,
        )
    return tasks
