"""Integrations: connections to GitHub/GitLab/Slack, inbound deliveries, the outbox, webhooks.

Secrets (webhook secrets, signing secrets, bot tokens) are stored so we can verify and sign,
but they are never rendered again after the page that shows them once, never written to the
audit log and never logged; pages show `secret_hint` ("…a1f3") instead.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Workspace
from alignment.querysets import WorkspaceQuerySet


def secret_hint(raw: str) -> str:
    """What a page may show of a secret: its last four characters."""
    return f"…{raw[-4:]}" if raw else ""


class Provider(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Generic webhook"


class Integration(models.Model):
    """One connection of a workspace to a provider. Its `uuid` is the unguessable hook URL."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="integrations")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    name = models.CharField(max_length=100)
    # The webhook secret (GitHub), secret token (GitLab) or signing secret (Slack).
    secret = models.CharField(max_length=255)
    secret_hint = models.CharField(max_length=8, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    # Slack's bot token (xoxb-…) for chat.postMessage; empty for other providers.
    bot_token = models.CharField(max_length=255, blank=True)
    bot_token_hint = models.CharField(max_length=8, blank=True)
    # Provider options, e.g. {"state_rules": {"pr_opened": "started", "pr_merged": "done"}}.
    config = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Health: requests refused for a bad signature are not stored, only counted here.
    bad_signature_count = models.PositiveIntegerField(default=0)
    last_bad_signature_at = models.DateTimeField(null=True, blank=True)
    # Bodies over the hook size limit (413) are not stored either, only counted.
    oversize_count = models.PositiveIntegerField(default=0)
    last_oversize_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="integration_name_unique"),
            models.CheckConstraint(
                condition=models.Q(provider__in=[p.value for p in Provider]),
                name="integration_provider_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.name}"

    def set_secret(self, raw: str) -> None:
        self.secret, self.secret_hint = raw, secret_hint(raw)

    def set_bot_token(self, raw: str) -> None:
        self.bot_token, self.bot_token_hint = raw, secret_hint(raw)


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class InboundDeliveryQuerySet(WorkspaceQuerySet):
    def finished(self) -> InboundDeliveryQuerySet:
        return self.filter(status__in=[DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED])


class InboundDelivery(models.Model):
    """One authenticated request from a provider, stored before it is processed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="deliveries"
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    # The provider's own id (GitHub X-GitHub-Delivery, GitLab Idempotency-Key, …): a
    # redelivery reuses it, so the unique constraint makes it one row, processed once.
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100)
    action = models.CharField(max_length=100, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    redeliveries = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = InboundDeliveryQuerySet.as_manager()

    # Not stored: what the handler asks to answer the provider with, when it runs inside the
    # provider's request (a Slack modal's errors or next view; see registry.handles(inline=)).
    reply: dict[str, Any] | None = None

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "integration", "delivery_id"], name="delivery_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["integration", "-received_at", "-id"], name="delivery_integration_time"
            ),
            models.Index(fields=["workspace", "status"], name="delivery_ws_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event} {self.delivery_id}"


class LinkKind(models.TextChoices):
    PULL_REQUEST = "pull_request", "Pull request"
    MERGE_REQUEST = "merge_request", "Merge request"
    COMMIT = "commit", "Commit"


class ExternalLink(models.Model):
    """A pull request, merge request or commit that names a task key (ENG-123).

    Kept by key, so a link recorded before its task exists (or before the tasks app resolves
    it) is not lost; `task_key` is what the task page looks up.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        Integration, on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    external_id = models.CharField(max_length=200)
    task_key = models.CharField(max_length=24)
    url = models.URLField(max_length=500, blank=True)
    title = models.CharField(max_length=300, blank=True)
    # open / draft / merged / closed for PRs and MRs; "pushed" for commits.
    state = models.CharField(max_length=20, blank=True)
    # The PR's head branch and commit (CI events name those), or the branch a commit was
    # pushed to (a forced push drops the commits it rewrote).
    branch = models.CharField(max_length=255, blank=True)
    head_sha = models.CharField(max_length=64, blank=True)
    # CI on a PR/MR, latest per check name by the event's own time:
    # {"lint": {"state": "failing", "url": "…", "at": "2026-…Z", "kind": "check_run"}}.
    checks = models.JSONField(default=dict, blank=True)
    # The latest review outcome: review_requested / approved / changes_requested / "".
    review_state = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "external_id", "task_key"],
                name="external_link_unique",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "task_key"], name="external_link_ws_key")]

    def __str__(self) -> str:
        return f"{self.task_key} ← {self.kind} {self.external_id}"

    @property
    def ci_state(self) -> str:
        """One word for all checks: failing beats running beats queued beats passing."""
        states = {str(check.get("state")) for check in (self.checks or {}).values()}
        for state in ("failing", "running", "queued", "passing"):
            if state in states:
                return state
        return ""

    @property
    def check_rows(self) -> list[tuple[str, dict[str, str]]]:
        """Checks by name, for the task page."""
        return sorted((self.checks or {}).items())


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"


class OutboxMessage(models.Model):
    """An outbound message, written in the transaction of the change that caused it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # An e-mail address, a Slack channel id or a webhook URL.
    destination = models.CharField(max_length=500)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(max_length=60, blank=True)
    subscription = models.ForeignKey(
        "WebhookSubscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a worker claimed it: a row stuck in "sending" past the timeout is swept again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["workspace", "status", "-created_at"], name="outbox_ws_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=[c.value for c in Channel]),
                name="outbox_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.destination} ({self.status})"


class WebhookSubscription(models.Model):
    """An admin's subscription of a URL to event types; requests are signed with `secret`."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    secret_hint = models.CharField(max_length=8, blank=True)
    # After a rotation the old secret still signs (a second v1=) until this time.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url

    def set_secret(self, raw: str) -> None:
        self.secret, self.secret_hint = raw, secret_hint(raw)

    def signing_secrets(self) -> list[str]:
        """The secrets that sign a request now: the current one, and the old one while valid."""
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > timezone.now()
        ):
            secrets.append(self.previous_secret)
        return secrets


class WebhookDeliveryLog(models.Model):
    """One attempt to deliver a webhook: response code (null when no response) and time."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="delivery_logs"
    )
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="logs")
    attempt = models.PositiveIntegerField(default=1)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_log_sub_time"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} attempt {self.attempt}: {self.response_code}"


class ImportKind(models.TextChoices):
    TASKS_CSV = "tasks_csv", "Tasks from CSV"
    OKRS_CSV = "okrs_csv", "OKRs from CSV"
    JIRA = "jira", "Jira"
    JIRA_CSV = "jira_csv", "Jira CSV"


class ImportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One upload: its text, the column mapping, and the progress of its all-or-nothing run.
    `errors` holds `{"row": n, "messages": [...]}` items; a failed run writes nothing."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default="draft")
    file_name = models.CharField(max_length=200, blank=True)
    source = models.TextField()
    mapping = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class ImportJobFile(models.Model):
    """A file that came inside an import's zip beside the export (a Jira attachment), kept
    with its job until the run stores it on its task through the attachment store. Bytes in
    the database: they commit or roll back with the job, and go with it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500)  # inside the zip, "/"-separated
    size = models.PositiveBigIntegerField()
    content = models.BinaryField()

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["job_id", "path"]
        constraints = [
            models.UniqueConstraint(fields=["job", "path"], name="import_job_file_unique"),
        ]

    def __str__(self) -> str:
        return self.path


class SlackLinkMethod(models.TextChoices):
    EMAIL = "email", "Verified e-mail"
    CONFIRMED = "confirmed", "Confirmed in Alignment"


class SlackUserLink(models.Model):
    """A Slack user of one Slack integration, known as this Alignment user.

    Made by the Slack user's verified e-mail (users.info) or by the person confirming a signed
    link while logged in. Everything a Slack user does through the app (buttons, shortcuts,
    modals) acts as `user`, with `user`'s role in the workspace at that moment.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="slack_user_links"
    )
    slack_team_id = models.CharField(max_length=20)
    slack_user_id = models.CharField(max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slack_user_links"
    )
    method = models.CharField(max_length=10, choices=SlackLinkMethod.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "slack_team_id", "slack_user_id"],
                name="slack_user_link_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slack_team_id}/{self.slack_user_id} → {self.user_id}"


class ImportedIssue(models.Model):
    """An issue of another tracker once imported here, by its key there. A later import of
    the same export finds it and skips it (so importing twice creates nothing twice), and
    links to it from new issues reach the task it became."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, related_name="+")
    source = models.CharField(max_length=20, default="jira")
    external_key = models.CharField(max_length=64)
    task = models.ForeignKey("tasks.Task", on_delete=models.SET_NULL, null=True, related_name="+")
    roadmap_item = models.ForeignKey(
        "roadmaps.RoadmapItem", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "external_key"], name="imported_issue_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.external_key}"


# Notifications live in their own package; imported here so Django registers the models.
from integrations.notifications.models import (  # noqa: E402, F401
    CheckInReminder,
    Notification,
    NotificationPreference,
)
