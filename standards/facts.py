"""Loading the facts checks read: for one task (a gate, exact) or a page of tasks (cards)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count, Q

from integrations.selectors import pull_requests_by_key, pull_requests_of_task
from okrs.models import KeyResult, ObjectiveStatus
from roadmaps.models import KeyResultLink
from standards.checks import Facts
from tasks.models import CLOSED_CATEGORIES, Task


def _traced_items(workspace_id: int, item_ids: set[int]) -> set[int]:
    """The roadmap items among `item_ids` that move an active key result."""
    if not item_ids:
        return set()
    return set(
        KeyResultLink.objects.for_workspace(workspace_id)
        .filter(item_id__in=item_ids, key_result__objective__status=ObjectiveStatus.ACTIVE)
        .values_list("item_id", flat=True)
    )


def _subtask_counts(workspace_id: int, task_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    rows = (
        Task.objects.for_workspace(workspace_id)
        .filter(parent_id__in=list(task_ids))
        .values("parent_id")
        .annotate(
            total=Count("id"), open=Count("id", filter=~Q(state_category__in=CLOSED_CATEGORIES))
        )
    )
    return {r["parent_id"]: (r["total"], r["open"]) for r in rows}


def task_facts(task: Task, *, slug: str) -> Facts:
    """Facts of one task as it is in memory (a gate judges the values about to be saved)."""
    total, open_ = (0, 0)
    if task.pk is not None:
        total, open_ = _subtask_counts(task.workspace_id, [task.pk]).get(task.pk, (0, 0))
    item = task.roadmap_item_id
    return Facts(
        slug=slug,
        task=task,
        subtasks=total,
        open_subtasks=open_,
        pull_requests=pull_requests_of_task(task) if task.pk is not None else [],
        traces_to_key_result=bool(item and _traced_items(task.workspace_id, {item})),
    )


def facts_for_tasks(workspace_id: int, tasks: Sequence[Task], *, slug: str) -> dict[int, Facts]:
    """Facts of a page of tasks in three queries (pull requests by current key only)."""
    ids = [t.pk for t in tasks]
    counts = _subtask_counts(workspace_id, ids)
    prs = pull_requests_by_key(workspace_id, [t.key for t in tasks])
    traced = _traced_items(workspace_id, {t.roadmap_item_id for t in tasks if t.roadmap_item_id})
    return {
        t.pk: Facts(
            slug=slug,
            task=t,
            subtasks=counts.get(t.pk, (0, 0))[0],
            open_subtasks=counts.get(t.pk, (0, 0))[1],
            pull_requests=prs.get(t.key, []),
            traces_to_key_result=t.roadmap_item_id in traced,
        )
        for t in tasks
    }


def key_result_facts(key_result: KeyResult, *, slug: str, today: date) -> Facts:
    return Facts(slug=slug, key_result=key_result, today=today)
