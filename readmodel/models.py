"""The read model: one materialized row per node with its progress, status, basis and reasons.

Computed by dashboards (dashboards/rollups.py) and read by every page and API response through
`readmodel.selectors`. The table keeps its original name (`dashboards_rollup`): the model moved
here from dashboards without touching the database.
"""

from __future__ import annotations

from typing import Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alignment.models import Membership, Team, Workspace
from alignment.querysets import WorkspaceQuerySet


class NodeKind(models.TextChoices):
    OBJECTIVE = "objective", "Objective"
    KEY_RESULT = "key_result", "Key result"
    ROADMAP_ITEM = "roadmap_item", "Roadmap item"
    SPRINT = "sprint", "Sprint"
    TEAM = "team", "Team"


class Basis(models.TextChoices):
    """What a progress number counted: estimate points, tasks, or the OKR math."""

    POINTS = "points", "Points"
    COUNT = "count", "Task count"
    CHECK_INS = "check_ins", "Check-ins"
    MILESTONES = "milestones", "Milestones"
    DONE = "done", "Done / not done"
    TASKS = "tasks", "Linked work"
    CHILDREN = "children", "Aligned objectives"
    KEY_RESULTS = "key_results", "Key results"
    # An objective counting both its key results and the objectives aligned directly under it.
    KEY_RESULTS_AND_CHILDREN = "key_results_and_children", "Key results and aligned objectives"
    NONE = "none", "Nothing to count"


class NodeQuerySet(WorkspaceQuerySet):
    """Rows about a node (rollups, snapshots): those of a team's sprints, items or the team
    itself hide with a private team; objectives and key results are company-wide and show
    (their numbers count private work; titles are worded away where shown)."""

    def visible_to(self, membership: Membership) -> Self:
        # The node models live above this app; imported here, when a request asks.
        from roadmaps.models import RoadmapItem
        from tasks.models import Sprint

        rows = self.for_workspace(membership.workspace_id)
        if membership.sees_every_team:
            return rows
        return rows.exclude(
            Q(kind=NodeKind.TEAM, node_id__in=Team.objects.hidden_from(membership))
            | Q(kind=NodeKind.SPRINT, node_id__in=Sprint.objects.hidden_from(membership))
            | Q(
                kind=NodeKind.ROADMAP_ITEM,
                node_id__in=RoadmapItem.objects.hidden_from(membership),
            )
        )


class Rollup(models.Model):
    """One node's progress, computed from source rows: pages read these, never recompute.

    `feeds` lists the nodes this row contributed to when it was computed ([kind, id] pairs), so
    a refresh also reaches a node it *used to* feed (an unlinked KR, an old parent key result).
    `inputs` lists the nodes it was computed from, for explanations and repair.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=NodeKind.choices)
    node_id = models.BigIntegerField()
    progress = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    expected = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    basis = models.CharField(max_length=32, choices=Basis.choices, default=Basis.NONE)
    done_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    total_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    done_count = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(default=0)
    # Points of the counted work that trace to an active KR (sprints and teams).
    aligned_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    # source=tasks KRs: link-weighted done/total of the linked work (None: nothing to count).
    work_progress = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=10, default="on_track")
    reasons = models.JSONField(default=list, blank=True)
    feeds = models.JSONField(default=list, blank=True)
    inputs = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    # A hash of every compared value (dashboards.rollup_math.row_digest), written with them: a
    # full recompute compares it instead of decoding each stored row's JSON. "" (rows written
    # before it existed) never matches, so such a row is rewritten once.
    digest = models.CharField(max_length=32, blank=True, default="")

    objects = NodeQuerySet.as_manager()

    class Meta:
        db_table = "dashboards_rollup"
        ordering = ["kind", "node_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "node_id"], name="rollup_node_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NodeKind]), name="rollup_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="rollup_progress_range"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "kind", "status"], name="rollup_ws_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.node_id} {self.progress}"

    @property
    def percent(self) -> int:
        return round(float(self.progress) * 100)

    @property
    def expected_percent(self) -> int:
        return round(float(self.expected) * 100)

    @property
    def alignment_ratio(self) -> float | None:
        if not self.total_points:
            return None
        return float(self.aligned_points / self.total_points)
