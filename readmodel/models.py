"""The read model: one materialized row per node with its progress, status, basis and reasons.

Computed by dashboards (dashboards/rollups/) and read by every page and API response through
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
    # A hash of every compared value (dashboards.rollups.math.row_digest), written with them: a
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
        indexes = [
            models.Index(fields=["workspace", "kind", "status"], name="rollup_ws_idx"),
            # A node's row looked up with its workspace (every read is scoped): given only the
            # two indexes above, PostgreSQL's generic plan for a subquery per row took
            # rollup_ws_idx and filtered a kind's every row (11 ms for a team's objectives at
            # 1M tasks, 0.9 ms through this index).
            models.Index(fields=["workspace", "kind", "node_id"], name="rollup_ws_node_idx"),
        ]

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


class ForecastStatus(models.TextChoices):
    READY = "ready", "Forecast"
    NOT_ENOUGH_HISTORY = "not_enough_history", "Not enough history"
    DONE = "done", "Done"
    NO_DEADLINE = "no_deadline", "No deadline"
    CLOSED = "closed", "Closed"  # a closed sprint, an ended period: nothing left to forecast


class Forecast(models.Model):
    """Where a node will land: a Monte Carlo forecast from its own history (dashboards.forecasting).

    Computed from the node's `Rollup` row as it stood (`progress`, `done_points`,
    `total_points`, kept here to tell a stale forecast from a current one) and its history
    (daily snapshots, or the team's daily done points for a sprint), on `day`. Values are
    shares of the target (0..1) like `Rollup.progress`; dates are calendar days.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=NodeKind.choices)
    node_id = models.BigIntegerField()
    day = models.DateField()  # the day it was computed for ("today" of the run)
    status = models.CharField(max_length=20, choices=ForecastStatus.choices)
    deadline = models.DateField(null=True, blank=True)  # period end, target date, sprint end
    # Probability of reaching the target by the deadline (None without one, or no history).
    probability = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    p50_date = models.DateField(null=True, blank=True)  # None: not within a year, or no history
    p85_date = models.DateField(null=True, blank=True)
    p50_value = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    p85_value = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    # [[iso day, low, mid, high], ...]: shares of the target between today and the deadline.
    band = models.JSONField(default=list, blank=True)
    history_days = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0)
    # What the history measured: "progress" (share per day) or "points"/"tasks" per day.
    unit = models.CharField(max_length=10, default="progress")
    # The rollup numbers it started from: a forecast whose node has moved since is stale.
    progress = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    done_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    total_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = NodeQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "node_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "node_id"], name="forecast_node_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NodeKind]), name="forecast_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(probability__isnull=True)
                | (Q(probability__gte=0) & Q(probability__lte=1)),
                name="forecast_probability_range",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "kind", "probability"], name="forecast_ws_idx")
        ]

    def __str__(self) -> str:
        return f"forecast {self.kind}:{self.node_id} on {self.day}"


class ComplianceDayQuerySet(WorkspaceQuerySet):
    def visible_to(self, membership: Membership) -> Self:
        """A private team's rows hide with the team."""
        rows = self.for_workspace(membership.workspace_id)
        if membership.sees_every_team:
            return rows
        return rows.exclude(team_id__in=Team.objects.hidden_from(membership))


class ComplianceDay(models.Model):
    """One team's outcomes against one standard on one day (the workspace's calendar day),
    per sprint the work was in (`sprint_id` 0: none): what the standards page, the leader
    widget, the finding and the API show, never recounted on a page.

    Task standards: counts of the gated entries recorded that day (standards' `GateRecord`
    ledger), kept current after each commit that records one and by a full recompute.
    Key result standards have no entries: a row is the team's active key results measured as
    they were on that day (met / `slipped` = missed), refreshed by key result changes and on
    the first read of a day. `failing` maps each failing check kind to the tasks (or key
    results) that failed it, for the finding's "9 tasks without a merged PR" and its evidence.
    `standard_id` is a plain id: standards live above this app.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    standard_id = models.BigIntegerField()
    sprint_id = models.BigIntegerField(default=0)
    day = models.DateField()
    met = models.PositiveIntegerField(default=0)
    slipped = models.PositiveIntegerField(default=0)
    waived = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    failing = models.JSONField(default=dict, blank=True)  # {check kind: [subject ids]}
    computed_at = models.DateTimeField(default=timezone.now)

    objects = ComplianceDayQuerySet.as_manager()

    class Meta:
        ordering = ["team_id", "standard_id", "day", "sprint_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "standard_id", "sprint_id", "day"], name="compliance_day_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "day"], name="compliance_day_ws_idx"),
            models.Index(fields=["workspace", "sprint_id"], name="compliance_day_sprint_idx"),
        ]

    def __str__(self) -> str:
        return f"compliance {self.team_id}/{self.standard_id} {self.day}"
