"""Files attached to tasks (and, through the task, to its comments).

The bytes live in the `attachments` storage (local disk or an S3-compatible bucket, see
settings); a row holds the storage key, what the bytes are (sniffed, never the client's word)
and who uploaded them. Keys are random (`<workspace id>/<uuid>`): no user-chosen name reaches
the storage, so no path tricks and no guessing another workspace's object.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Workspace
from alignment.querysets import TeamScopedQuerySet
from tasks.models import Task, TaskComment

# Served inline (shown in the page); everything else is a download.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class AttachmentQuerySet(TeamScopedQuerySet):
    # A file is its task's: hidden with a private team (and outside a guest's teams).
    team_fields = ("task__team",)

    def for_task(self, task: Task) -> AttachmentQuerySet:
        return self.filter(task=task)


class Attachment(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # Deleting a task deletes its attachments; deleting a comment deletes the files that were
    # attached to it (attachments/README rule in docs/attachments.md). The stored bytes go
    # after the delete commits (attachments/subscribers.py), leftovers via the cleanup command.
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        TaskComment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    storage_key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "task", "created_at"], name="attachment_task_idx")
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="attachment_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_inline_image(self) -> bool:
        return self.content_type in INLINE_IMAGE_TYPES
