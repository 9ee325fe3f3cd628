"""The assistant's own rows: a workspace's switch for the model, and the audit log of every
prompt sent to a model with what came back."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from alignment.models import Workspace
from alignment.querysets import WorkspaceQuerySet


class AssistantSettings(models.Model):
    """Per workspace: may the assistant call the configured model? (Admins decide.)"""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="assistant_settings"
    )
    model_enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "assistant settings"

    def __str__(self) -> str:
        return f"Assistant settings of workspace {self.workspace_id}"


class Feature(models.TextChoices):
    DRAFT = "draft", "Goal draft"
    WEEKLY = "weekly", "Weekly leader summary"
    RETRO = "retro", "Sprint retro summary"
    OBJECTIVE = "objective", "What changed on an objective"


class Outcome(models.TextChoices):
    MODEL = "model", "Answered by the model"
    FALLBACK = "fallback", "Model failed: offline answer"


class AssistantLogQuerySet(WorkspaceQuerySet):
    pass


class AssistantLog(models.Model):
    """One call to the model: what left the server and what came back (for audit)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="assistant_logs"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    feature = models.CharField(max_length=12, choices=Feature.choices)
    endpoint = models.CharField(max_length=300)
    model_name = models.CharField(max_length=120, blank=True)
    prompt = models.JSONField(default=list)  # the chat messages sent
    output = models.TextField(blank=True)  # the model's raw answer ("" when it failed)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=300, blank=True)  # why it fell back, what was dropped
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssistantLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="assistant_log_ws_idx")]

    def __str__(self) -> str:
        return f"{self.feature} call at {self.created_at:%Y-%m-%d %H:%M} ({self.outcome})"
