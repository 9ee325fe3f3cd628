"""Reads of attachments for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from alignment.models import Workspace
from attachments.models import Attachment
from tasks.models import Task


def task_attachments(workspace: Workspace, task: Task) -> QuerySet[Attachment]:
    """A task's files, oldest first, with who uploaded them."""
    return (
        Attachment.objects.for_workspace(workspace)
        .for_task(task)
        .select_related("uploaded_by")
        .order_by("created_at", "pk")
    )


def attachment_in(workspace: Workspace, pk: int) -> Attachment | None:
    """One attachment of this workspace (None for another workspace's, exactly like missing)."""
    return (
        Attachment.objects.for_workspace(workspace)
        .select_related("task__team")
        .filter(pk=pk)
        .first()
    )
