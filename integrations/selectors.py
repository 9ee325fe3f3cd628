"""Reads for pages outside this app, e.g. the task page's "Linked pull requests"."""

from __future__ import annotations

from django.db.models import QuerySet

from integrations.models import ExternalLink
from tasks.models import Task, TaskAlias


def links_for_task(task: Task) -> QuerySet[ExternalLink]:
    """PRs, MRs and commits naming the task's key or one of its old keys (moves, merges)."""
    keys = [task.key] + [
        f"{team_key}-{number}"
        for team_key, number in TaskAlias.objects.for_workspace(task.workspace_id)
        .filter(task=task)
        .values_list("team__key", "number")
    ]
    return ExternalLink.objects.for_workspace(task.workspace_id).filter(task_key__in=keys)
