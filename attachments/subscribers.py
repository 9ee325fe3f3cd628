"""How attachments follow the tasks and comments they belong to.

- A comment that links files uploaded for its task (the comment box uploads pasted or dropped
  files first, then inserts their links) takes them as its own: they are then deleted with it.
- A merged task's files move to the task it was merged into, like its comments.
- When a row is deleted (directly, or with its task, comment or workspace), its stored bytes
  are removed once the delete commits. This is storage housekeeping, not domain behaviour,
  which is why it is the one `post_delete` receiver here: it catches every cascade
  (docs/development.md, "Signals kept, and why").
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models.signals import post_delete

from alignment import events
from attachments.models import Attachment
from attachments.services import remove_bytes_on_commit
from tasks.events import TaskCommented, TaskMerged
from tasks.models import TaskComment

# The page URL of an attachment, as the comment box inserts it: /w/<slug>/attachments/<id>/
LINK = re.compile(r"/w/[\w-]+/attachments/(\d+)/")


def claim_for_comment(event: TaskCommented) -> None:
    comment = TaskComment.objects.filter(pk=event.comment_id).only("body", "task_id").first()
    if comment is None or event.actor_id is None:
        return
    ids = {int(match) for match in LINK.findall(comment.body)}
    if not ids:
        return
    Attachment.objects.filter(
        workspace_id=event.workspace_id,
        task_id=comment.task_id,
        pk__in=ids,
        comment__isnull=True,
        uploaded_by_id=event.actor_id,
    ).update(comment=comment)


def follow_merge(event: TaskMerged) -> None:
    Attachment.objects.filter(workspace_id=event.workspace_id, task_id=event.source_id).update(
        task_id=event.into_id
    )


def _row_deleted(sender: Any, instance: Attachment, **kwargs: Any) -> None:
    remove_bytes_on_commit(instance.storage_key)


def connect() -> None:
    events.subscribe(TaskCommented, claim_for_comment, in_transaction=True)
    events.subscribe(TaskMerged, follow_merge, in_transaction=True)
    post_delete.connect(_row_deleted, sender=Attachment, dispatch_uid="attachments.bytes")
