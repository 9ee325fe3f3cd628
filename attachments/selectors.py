"""Reads of attachments for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from alignment.models import Membership, Workspace
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


def attachment_in(workspace: Workspace, pk: int, *, viewer: Membership) -> Attachment | None:
    """One attachment `viewer` may see in this workspace: another workspace's, or one of a
    private team's task, is None exactly like a missing one."""
    return (
        Attachment.objects.visible_to(viewer)
        .filter(workspace_id=workspace.pk)
        .select_related("task__team")
        .filter(pk=pk)
        .first()
    )
