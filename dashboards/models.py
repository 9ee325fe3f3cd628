"""Materialized rollups, the refresh queue, daily snapshots, DORA records and benchmarks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alignment.models import Team, Workspace
from alignment.querysets import TeamScopedQuerySet, WorkspaceQuerySet

# The read model moved to the low `readmodel` app; re-exported for dashboards code.
from readmodel.models import Basis, NodeKind, NodeQuerySet, Rollup

__all__ = ["Basis", "NodeKind", "Rollup"]


class RollupPending(models.Model):
    """A node whose rollup must be recomputed: the coalescing queue.

    A burst of changes inserts the same (kind, node id) many times; the unique constraint keeps
    one row, and one Celery job drains them all.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)  # a NodeKind or "task"
    node_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "node_id"], name="rollup_pending_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"pending {self.kind}:{self.node_id}"


class TeamMetrics(models.Model):
    """A team's delivery metrics (velocity, flow, DORA), computed by a job; pages read this."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="metrics")
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = TeamScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"metrics of team {self.team_id}"


class DeploymentQuerySet(TeamScopedQuerySet):
    pass


class Deployment(models.Model):
    """A release to production: entered by hand or the API, or fed by GitHub/GitLab deliveries."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="deployments")
    deployed_at = models.DateTimeField()
    # The first commit of the change: lead time for changes = deployed_at − committed_at.
    committed_at = models.DateTimeField(null=True, blank=True)
    environment = models.CharField(max_length=40, default="production")
    reference = models.CharField(max_length=100, blank=True)  # version, tag or commit SHA
    description = models.CharField(max_length=255, blank=True)
    # The deployment caused a failure needing remediation (rollback, hotfix, incident).
    is_failure = models.BooleanField(default=False)
    # Where it came from: "" when entered by hand, else the provider ("github", "gitlab") and
    # its id for the deployment, so redeliveries and later statuses update this one row.
    source = models.CharField(max_length=20, blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-deployed_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "team", "deployed_at"], name="deployment_team_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(committed_at__isnull=True)
                | Q(committed_at__lte=models.F("deployed_at")),
                name="deployment_commit_before_deploy",
            ),
            # One row per provider deployment and team (a release can ship two teams' work).
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id", "team"],
                condition=~Q(external_id=""),
                name="deployment_external_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'deployment'} at {self.deployed_at:%Y-%m-%d %H:%M}"


class Incident(models.Model):
    """A production failure; time to restore = resolved_at − started_at."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="incidents")
    deployment = models.ForeignKey(
        Deployment, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    title = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # As on Deployment: set when a provider's failed deployment opened it (idempotent upserts).
    source = models.CharField(max_length=20, blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "team", "started_at"], name="incident_team_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id", "team"],
                condition=~Q(external_id=""),
                name="incident_external_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DoraMetric(models.TextChoices):
    DEPLOYMENT_FREQUENCY = "deployment_frequency", "Deployment frequency"
    LEAD_TIME = "lead_time", "Change lead time"
    CHANGE_FAILURE_RATE = "change_failure_rate", "Change fail rate"
    TIME_TO_RESTORE = "time_to_restore", "Failed deployment recovery time"


class DoraBenchmark(models.Model):
    """One published DORA cluster threshold: versioned data with the report it comes from.

    `bound` is in the metric's unit (deployments per day, hours, a 0..1 rate). `comparison`
    says how a team meets it: "at_least" (frequency), "at_most" (times) or "nearest" (change
    fail rate, whose 2024 clusters are not in tier order).
    """

    report = models.CharField(max_length=120)
    year = models.PositiveSmallIntegerField()
    source_url = models.URLField()
    tier = models.CharField(max_length=10)  # elite | high | medium | low
    rank = models.PositiveSmallIntegerField()  # 0 = elite … 3 = low
    share_percent = models.PositiveSmallIntegerField()
    metric = models.CharField(max_length=24, choices=DoraMetric.choices)
    comparison = models.CharField(max_length=8)
    bound = models.FloatField()
    label = models.CharField(max_length=80)  # as the report words it

    class Meta:
        ordering = ["-year", "metric", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["year", "metric", "tier"], name="dora_tier_unique"),
        ]

    def __str__(self) -> str:
        return f"DORA {self.year} {self.tier} {self.metric}"


class FindingQuerySet(TeamScopedQuerySet):
    # A finding about one team's work hides with that team; company-wide ones (no team) show,
    # their evidence from private teams worded "work in a private team" (dashboards.reasons).
    team_fields = ("team",)
    team_optional = True


class Finding(models.Model):
    """A drift or risk finding with its reasons as data and the records behind it.

    `evidence` holds the records behind it as [kind, id] pairs (tasks, KRs, sprints…),
    `numbers` the measurements; `dashboards.reasons.finding_sentence` turns them into a linked
    sentence. One row per (code, subject) while its cause persists: a refresh updates it in
    place (its id stays), and deletes it once the cause is gone. `impact` ranks findings of a
    kind from `points`, `level` and `days_late` (dashboards.drift_base).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)  # at_risk | off_track
    subject_kind = models.CharField(max_length=12)
    subject_id = models.BigIntegerField()
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    numbers = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    # The rank and what it is made of: open points at stake, the highest objective level the
    # work serves ("" for none), days past a target date or an expected check-in.
    impact = models.FloatField(default=0)
    points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    level = models.CharField(max_length=10, blank=True, default="")
    days_late = models.PositiveIntegerField(default=0)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-impact", "code", "subject_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "code", "subject_kind", "subject_id"],
                name="finding_cause_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "code", "-impact"], name="finding_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.subject_kind}:{self.subject_id}"

    @property
    def reason(self) -> dict[str, object]:
        return {
            "code": self.code,
            "numbers": self.numbers,
            "objects": [[self.subject_kind, self.subject_id], *self.evidence],
        }


class FindingDismissal(models.Model):
    """A finding a member dismissed (`until` empty) or snoozed until a day, with the reason.

    Keyed by the finding's cause (code + subject), not its row: a refresh that recomputes the
    same cause keeps it hidden. The drift refresh deletes it when the cause is gone or the
    snooze has ended, so a cause that comes back is shown again.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40)
    subject_kind = models.CharField(max_length=12)
    subject_id = models.BigIntegerField()
    until = models.DateField(null=True, blank=True)  # snoozed: hidden before this day
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "code", "subject_kind", "subject_id"],
                name="finding_dismissal_unique",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="finding_dismissal_reason"),
        ]

    def __str__(self) -> str:
        verb = f"snoozed until {self.until}" if self.until else "dismissed"
        return f"{self.code} on {self.subject_kind}:{self.subject_id} {verb}"


class Snapshot(models.Model):
    """One node's rollup at the end of a day: trends, burnup and burndown read these."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=NodeKind.choices)
    node_id = models.BigIntegerField()
    progress = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    expected = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    done_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    total_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    status = models.CharField(max_length=10, default="on_track")
    # Sprints: points of the counted work that trace to an active KR (the alignment trend).
    aligned_points = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    # Sprints: how many of its tasks sat in each workflow state category at the end of the day
    # ({"done": 4, "started": 2, ...}, canceled left out): the cumulative flow chart reads it.
    state_counts = models.JSONField(default=dict, blank=True)
    # Where the row came from: the daily job, or a backfill replaying task history.
    source = models.CharField(max_length=10, default="daily")

    objects = NodeQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "node_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "node_id", "day"], name="snapshot_node_day"),
        ]
        indexes = [
            models.Index(fields=["workspace", "kind", "node_id", "day"], name="snapshot_node_idx"),
            models.Index(fields=["workspace", "day"], name="snapshot_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.node_id} on {self.day}"


class Dashboard(models.TextChoices):
    LEADER = "leader", "Leader dashboard"
    TEAM = "team", "Team dashboard"


class DashboardLayout(models.Model):
    """Which widgets a dashboard shows, in order: a person's own, or a default they start from.

    - `user` set: that person's layout (of the leader dashboard, or of one team's dashboard).
    - `user` empty: the default, saved by an admin: the workspace's for the leader dashboard,
      a team's for its team dashboard. A person without a layout of their own sees it.
    `team` is set exactly for the team dashboard. `widgets` holds widget keys of
    `dashboards.widgets`, validated there (unknown keys and repeats are refused).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    dashboard = models.CharField(max_length=10, choices=Dashboard.choices)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    widgets = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(dashboard=Dashboard.LEADER, team__isnull=True)
                | Q(dashboard=Dashboard.TEAM, team__isnull=False),
                name="layout_team_iff_team_dashboard",
            ),
            # NULLs are distinct in unique indexes, so each shape gets its own partial one.
            models.UniqueConstraint(
                fields=["workspace", "dashboard", "user"],
                condition=Q(team__isnull=True, user__isnull=False),
                name="layout_personal_leader_unique",
            ),
            models.UniqueConstraint(
                fields=["workspace", "dashboard", "team", "user"],
                condition=Q(team__isnull=False, user__isnull=False),
                name="layout_personal_team_unique",
            ),
            models.UniqueConstraint(
                fields=["workspace", "dashboard"],
                condition=Q(team__isnull=True, user__isnull=True),
                name="layout_workspace_default_unique",
            ),
            models.UniqueConstraint(
                fields=["workspace", "dashboard", "team"],
                condition=Q(team__isnull=False, user__isnull=True),
                name="layout_team_default_unique",
            ),
        ]

    def __str__(self) -> str:
        whose = f"user {self.user_id}" if self.user_id else "default"
        return f"{self.dashboard} layout ({whose}, team {self.team_id})"


class RefreshTarget(models.TextChoices):
    FINDINGS = "findings", "Findings"
    TEAM_METRICS = "team_metrics", "Team metrics"


class RefreshPending(models.Model):
    """Findings or a team's metrics that a committed change made stale (dashboards/freshness.py).

    Written in the changing transaction, so a change is never forgotten even when Redis or the
    broker is down. Append-only on purpose: concurrent writers never wait on one shared row,
    and a drain deletes exactly the rows it read, so a change committed while a refresh runs
    keeps its row for the next one. A burst's rows fold into one refresh at drain time.
    `team_id` is 0 for findings and for "every team".
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=20, choices=RefreshTarget.choices)
    team_id = models.BigIntegerField(default=0)
    marked_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["marked_at"], name="refresh_pending_age_idx")]

    def __str__(self) -> str:
        return f"pending {self.target} (team {self.team_id})"


class RefreshClock(models.Model):
    """When a workspace's findings were last computed ("as of" on pages and in the API).

    Also the lock that serializes refreshes of one workspace: a drain holds this row
    (select_for_update) while it replaces the findings, so two drains never interleave.
    """

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"findings of workspace {self.workspace_id} as of {self.computed_at}"
