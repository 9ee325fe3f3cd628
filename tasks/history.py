"""Task history, append-only: every change of a task (`TaskEvent`) and every carry-over of
unfinished work when a sprint closes (`SprintCarryOver`). Burndown, burnup, velocity and cycle
time read these, never a sprint's current membership.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Workspace
from tasks.models import Sprint, StateCategory, Task, ThroughTaskQuerySet


class TaskEventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATE = "state", "State changed"
    SPRINT = "sprint", "Sprint changed"
    ESTIMATE = "estimate", "Estimate changed"
    ASSIGNEE = "assignee", "Assignee changed"
    TEAM = "team", "Moved to another team"
    MERGED = "merged", "Merged"
    ARCHIVED = "archived", "Archived"
    RESTORED = "restored", "Restored"


class TaskEvent(models.Model):
    """One change of a task, append-only. Burndown, burnup, velocity and cycle time read these.

    `before`/`after` hold the changed value (ids, numbers, category names); the columns
    `sprint`, `estimate` and `state_category` hold the task's values *after* the event, so a
    sprint's history reads with one indexed query and no replay across tables.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=TaskEventKind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    sprint = models.ForeignKey(
        Sprint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    estimate = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    state_category = models.CharField(max_length=10, choices=StateCategory.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ThroughTaskQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "task", "created_at"], name="taskevent_task_idx"),
            models.Index(fields=["workspace", "sprint", "created_at"], name="taskevent_sprint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.task_id}"


class SprintCarryOver(models.Model):
    """A task that was unfinished when its sprint closed, and where it went."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    from_sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="carried_out")
    to_sprint = models.ForeignKey(
        Sprint, on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_in"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="carry_overs")
    estimate = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    state_category = models.CharField(max_length=10, choices=StateCategory.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ThroughTaskQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["from_sprint", "task"], name="carry_over_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.from_sprint_id} → {self.to_sprint_id}"
