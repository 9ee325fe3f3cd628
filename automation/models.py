"""Automation rules: trigger → conditions → actions, their intake of events and run history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Team, Workspace
from alignment.querysets import TeamScopedQuerySet, WorkspaceQuerySet


class Trigger(models.TextChoices):
    TASK_CREATED = "task.created", "Task created"
    TASK_MOVED = "task.moved", "Task moved to another state"
    TASK_ASSIGNED = "task.assigned", "Task assigned"
    PR_OPENED = "pr.opened", "Pull request opened"
    PR_REVIEW_REQUESTED = "pr.review_requested", "Review requested"
    PR_MERGED = "pr.merged", "Pull request merged"
    CHECK_FAILED = "check.failed", "Check run failed"
    CHECKIN_ADDED = "checkin.added", "Check-in added"
    KR_STATUS_CHANGED = "kr.status_changed", "Key result status changed"
    SPRINT_STARTED = "sprint.started", "Sprint started"
    SPRINT_CLOSED = "sprint.closed", "Sprint closed"
    SCHEDULE = "schedule", "On a schedule"


class RuleQuerySet(TeamScopedQuerySet):
    team_optional = True  # a rule without a team is the workspace's

    def enabled(self) -> RuleQuerySet:
        return self.filter(enabled=True)


class Rule(models.Model):
    """One automation rule of a workspace, or of one team when `team` is set.

    `conditions` and `actions` are lists of small dicts checked by `automation.catalog`
    (the form and the API both go through it), so a stored rule is always runnable."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    # For the schedule trigger: run at most once per this many minutes.
    every_minutes = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=False)
    template = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_scheduled_at = models.DateTimeField(null=True, blank=True)
    last_dry_run_at = models.DateTimeField(null=True, blank=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["workspace", "trigger", "enabled"], name="automation_rule_trig_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AutomationEvent(models.Model):
    """One domain event a rule may react to, stored in the publisher's transaction.

    Its id is the event id runs are idempotent on; `chain` lists the rules whose actions
    caused it (empty for people and integrations): the loop-protection marker."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    data = models.JSONField(default=dict)
    chain = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["processed_at", "id"], name="automation_event_todo_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} #{self.pk}"


class RunStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    # Decided once per event like the others, so a late redelivery never acts on a task
    # that has changed since; hidden from the history pages.
    NOT_MATCHED = "not_matched", "Conditions not met"
    LOOP_BLOCKED = "loop_blocked", "Blocked: the rule caused this event"
    DEPTH_LIMIT = "depth_limit", "Blocked: too many rules in a chain"
    RATE_LIMITED = "rate_limited", "Blocked: rate limit"
    DRY_RUN = "dry_run", "Dry run"


class RuleRun(models.Model):
    """One rule's run on one event (or one dry run): what it did, or why not."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    # "event:<id>", "schedule:<slot>" or "dry-run:<uuid>": unique per rule, so an event
    # delivered twice is applied once.
    event_key = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=RunStatus.choices)
    depth = models.PositiveSmallIntegerField(default=0)
    task_ids = models.JSONField(default=list, blank=True)
    outcome = models.JSONField(default=list, blank=True)  # one line per action (or dry-run hit)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "event_key"], name="automation_run_once")
        ]
        indexes = [
            models.Index(
                fields=["workspace", "rule", "-created_at"], name="automation_run_rule_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.event_key} {self.status}"
