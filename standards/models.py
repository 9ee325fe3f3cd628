"""Shared standards teams adopt, their waivers, and the record of every gated entry.

A `Standard` is a set of checks (kinds from `standards.checks.REGISTRY`) over a task or a key
result. A task standard may gate a state category: a task cannot enter a state of that category
while one of the checks fails (`mode=block`), or it may, and the entry is recorded as slipped
through (`mode=warn`). A team follows the standards it adopted (`Adoption`); it may waive one
with a written reason, which the audit log keeps and leaders see. `GateRecord` is the ledger
compliance is read from: one row per (task entering a gated category, standard), written in
the transaction of the move itself, so it can never disagree with the task's history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alignment.models import Team, Workspace
from alignment.querysets import TeamScopedQuerySet, WorkspaceQuerySet
from standards import presence
from tasks.models import Sprint, Task


class Subject(models.TextChoices):
    TASK = "task", "Tasks"
    KEY_RESULT = "key_result", "Key results"


class Mode(models.TextChoices):
    BLOCK = "block", "Block the move"
    WARN = "warn", "Warn and record"


# The state categories a standard can gate (backlog is where work starts: nothing to gate).
GATE_CATEGORIES = ("unstarted", "started", "done")


class StandardQuerySet(TeamScopedQuerySet):
    # A team's own standard is hidden with its private team; shared ones are everyone's.
    team_optional = True


class Standard(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # Null: shared across the workspace; set: a team's own standard on top of the shared ones.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    subject = models.CharField(max_length=12, choices=Subject.choices, default=Subject.TASK)
    # The state category entering which the checks gate ("" for a standard only measured).
    gate = models.CharField(max_length=10, blank=True)
    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.BLOCK)
    # [{"kind": "estimate_present", "params": {}}, ...] — validated by standards.checks.
    checks = models.JSONField(default=list)
    template = models.CharField(max_length=40, blank=True)  # the template it was made from
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StandardQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="standard_key_unique"),
            models.CheckConstraint(
                condition=Q(mode__in=["block", "warn"]), name="standard_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(gate="") | (Q(subject="task") & Q(gate__in=GATE_CATEGORIES)),
                name="standard_gate_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AdoptionQuerySet(TeamScopedQuerySet):
    def in_force(self) -> AdoptionQuerySet:
        return self.filter(waiver_reason="")


class Adoption(models.Model):
    """A team follows a standard; a written `waiver_reason` suspends it for that team."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="adoptions")
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    adopted_at = models.DateTimeField(default=timezone.now)
    waiver_reason = models.TextField(blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)

    objects = AdoptionQuerySet.as_manager()

    class Meta:
        ordering = ["team_id", "standard_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "standard"], name="adoption_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "team"], name="adoption_team_idx")]

    def __str__(self) -> str:
        return f"{self.team_id} adopts {self.standard_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        presence.forget(self.workspace_id)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        workspace_id = self.workspace_id
        deleted = super().delete(*args, **kwargs)
        presence.forget(workspace_id)
        return deleted

    @property
    def is_waived(self) -> bool:
        return bool(self.waiver_reason)


class Outcome(models.TextChoices):
    MET = "met", "Met"
    SLIPPED = "slipped", "Slipped through (warn)"
    WAIVED = "waived", "Waived"
    BLOCKED = "blocked", "Blocked automated move"


class GateRecordQuerySet(TeamScopedQuerySet):
    pass


class GateRecord(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="+")
    sprint = models.ForeignKey(
        Sprint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=10)  # the gated category entered
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    failing = models.JSONField(default=list, blank=True)  # check kinds that failed
    via = models.CharField(max_length=120, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = GateRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["workspace", "team", "standard", "created_at"], name="gate_record_idx"
            ),
            models.Index(fields=["workspace", "sprint", "outcome"], name="gate_record_sprint_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["met", "slipped", "waived", "blocked"]),
                name="gate_record_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.outcome} {self.standard_id}"


__all__ = ["Adoption", "GateRecord", "Standard", "WorkspaceQuerySet"]
