"""Shaping work: breaking a task into sub-tasks."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from alignment.guards import require_member
from alignment.models import Membership, User
from tasks.models import SprintStatus, Task
from tasks.services.core import task_create


@transaction.atomic
def task_subtask_create(
    *,
    actor: Membership,
    parent: Task,
    title: str,
    estimate: Decimal | int | float | str | None = None,
    assignee: User | None = None,
) -> Task:
    """A sub-task of `parent`, in its team, sprint and roadmap item.

    Why it inherits: a piece of the parent is planned with it (same sprint, so the sprint's
    scope counts it) and moves the same key result (same roadmap item). A closed sprint is not
    inherited (nothing can be planned into it): the sub-task goes to the backlog.
    """
    require_member(actor)
    sprint = parent.sprint if parent.sprint_id is not None else None
    if sprint is not None and sprint.status == SprintStatus.CLOSED:
        sprint = None
    return task_create(
        actor=actor,
        team=parent.team,
        title=title,
        estimate=estimate,
        assignee=assignee,
        sprint=sprint,
        roadmap_item=parent.roadmap_item,
        parent=parent,
    )
