"""Notifications: the in-app inbox, each person's preferences, and check-in reminder episodes.

Imported at the bottom of `integrations/models.py` so Django registers them with the app.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alignment.models import Workspace
from alignment.querysets import WorkspaceQuerySet


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "A task was assigned to me"
    MENTIONED = "mentioned", "I was @mentioned in a comment"
    STATUS_CHANGED = "status_changed", "A task I created or am assigned changed state"
    KR_AT_RISK = "kr_at_risk", "A key result I own went at risk or off track"
    CHECKIN_DUE = "checkin_due", "A key result I own is due a check-in"
    WEEKLY_DIGEST = "weekly_digest", "The weekly digest"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack"


class NotificationQuerySet(WorkspaceQuerySet):
    def for_recipient(self, user_id: int) -> Self:
        return self.filter(recipient_id=user_id)

    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One line of a person's inbox. The sentence and link are written once, when it happens,
    so the inbox renders without joining the objects (which may since have changed)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    sentence = models.CharField(max_length=400)
    url = models.CharField(max_length=500, blank=True)
    # What it is about ("task", "key_result", "objective") and its id: the dedupe key.
    object_type = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "workspace", "-id"], name="notification_inbox"),
            # The header badge's count reads only this (small) partial index.
            models.Index(
                fields=["recipient", "workspace"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NotificationKind]),
                name="notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.sentence[:40]}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """One person's choices in one workspace. `choices` holds only what they changed from the
    defaults ({"assigned": {"email": false}}), so a better default reaches everyone else."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    choices = models.JSONField(default=dict, blank=True)
    # The person's Slack member id (U012AB3CD): the channel of a direct message.
    slack_user_id = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="notification_preference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id} in {self.workspace_id}"


class CheckInReminder(models.Model):
    """A "check-in due" sent for a key result, once per staleness episode: the episode is named
    by the check-in (or creation) time it counts from, so a new check-in starts a new one."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(
        "okrs.KeyResult", on_delete=models.CASCADE, related_name="check_in_reminders"
    )
    stale_since = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key_result", "stale_since"], name="checkin_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"check-in reminder for {self.key_result_id} since {self.stale_since:%Y-%m-%d}"
