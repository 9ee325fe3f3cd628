"""Periods, objectives (a tree via `parent`), key results and their check-ins."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alignment.models import Team, Workspace
from alignment.querysets import WorkspaceQuerySet


class PeriodQuerySet(WorkspaceQuerySet):
    def containing(self, day: object) -> PeriodQuerySet:
        return self.filter(start__lte=day, end__gte=day)


class Period(models.Model):
    """A planning period: a quarter or any custom range (inclusive dates)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="periods")
    name = models.CharField(max_length=60)
    start = models.DateField()
    end = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Periods of a workspace do not overlap unless one of the two says so, with why (e.g. a
    # year that spans the quarters): otherwise "the current period" would be ambiguous.
    allows_overlap = models.BooleanField(default=False)
    overlap_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="period_end_after_start"
            ),
            models.UniqueConstraint(fields=["workspace", "name"], name="period_name_unique"),
            models.CheckConstraint(
                condition=Q(allows_overlap=False) | ~Q(overlap_reason=""),
                name="period_overlap_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ObjectiveStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"
    ARCHIVED = "archived", "Archived"


class ObjectiveLevel(models.TextChoices):
    COMPANY = "company", "Company"
    TEAM = "team", "Team"
    INDIVIDUAL = "individual", "Individual"


class ObjectiveQuerySet(WorkspaceQuerySet):
    def live(self) -> ObjectiveQuerySet:
        """Objectives that count: not archived."""
        return self.exclude(status=ObjectiveStatus.ARCHIVED)


class Objective(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="objectives")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="objectives")
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    # Optional alignment to a parent's key result whose source is "children".
    parent_key_result = models.ForeignKey(
        "KeyResult",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aligned_objectives",
    )
    level = models.CharField(
        max_length=10, choices=ObjectiveLevel.choices, default=ObjectiveLevel.TEAM
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="objectives"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_objectives",
    )
    status = models.CharField(
        max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ACTIVE
    )
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    # Final score given when the period closes (0..1), kept for history.
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    # The objective of an earlier period this one continues (period close with carry-over).
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_into"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["workspace", "period", "parent"], name="objective_tree_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="objective_weight_nonnegative"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="objective_not_own_parent"
            ),
            models.CheckConstraint(
                condition=~Q(level=ObjectiveLevel.TEAM) | Q(team__isnull=False),
                name="team_objective_has_team",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ObjectiveStatus]),
                name="objective_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(level__in=[lv.value for lv in ObjectiveLevel]),
                name="objective_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=1)),
                name="objective_score_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "okrs:objective_detail", kwargs={"slug": self.workspace.slug, "objective_id": self.pk}
        )


class KeyResultKind(models.TextChoices):
    NUMBER = "number", "Number"
    PERCENTAGE = "percentage", "Percentage"
    CURRENCY = "currency", "Currency"
    BOOLEAN = "boolean", "Done / not done"
    MILESTONE = "milestone", "Milestones"


NUMERIC_KINDS = frozenset({KeyResultKind.NUMBER, KeyResultKind.PERCENTAGE, KeyResultKind.CURRENCY})
# Boolean and milestone KRs keep baseline 0, target 1 and current as the done share in [0, 1].
BINARY_KINDS = frozenset({KeyResultKind.BOOLEAN, KeyResultKind.MILESTONE})


class Direction(models.TextChoices):
    UP = "up", "Increase"
    DOWN = "down", "Decrease"


class KeyResultSource(models.TextChoices):
    MANUAL = "manual", "Check-ins"
    TASKS = "tasks", "Linked work (done points / total points)"
    CHILDREN = "children", "Aligned objectives"


class KeyResultQuerySet(WorkspaceQuerySet):
    pass


class KeyResult(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="key_results")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_key_results",
    )
    kind = models.CharField(
        max_length=10, choices=KeyResultKind.choices, default=KeyResultKind.NUMBER
    )
    unit = models.CharField(max_length=20, blank=True)
    # Numbers as Decimal: exact, never text cast in every query.
    baseline = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    target = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("1"))
    current = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    source = models.CharField(
        max_length=10, choices=KeyResultSource.choices, default=KeyResultSource.MANUAL
    )
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    # Latest confidence 0..10 from the owner's check-in.
    confidence = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # Milestone KRs: [{"title": str, "weight": number, "done": bool}, ...]
    milestones = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    # The unfinished KR of an earlier period this one continues (period close with carry-over).
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_into"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeyResultQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "objective"], name="kr_objective_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="kr_weight_nonnegative"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=10), name="kr_confidence_range"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(NUMERIC_KINDS)) | ~Q(target=models.F("baseline")),
                name="kr_numeric_target_differs",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(BINARY_KINDS))
                | (Q(baseline=0) & Q(target=1) & Q(current__gte=0) & Q(current__lte=1)),
                name="kr_binary_kind_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind=KeyResultKind.BOOLEAN) | Q(current__in=[0, 1]),
                name="kr_boolean_current_0_or_1",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in KeyResultKind]), name="kr_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=[s.value for s in KeyResultSource]), name="kr_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def direction(self) -> str:
        """Up when the target is above the baseline; down for metrics to reduce."""
        return Direction.DOWN if self.target < self.baseline else Direction.UP

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


class CheckIn(models.Model):
    """A value reported on a KR. Append-only: a correction is a new check-in."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="check_ins")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    confidence = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    note = models.TextField(blank=True)
    # Milestone KRs: the indexes of the steps done as of this check-in (a snapshot, not a delta).
    steps_done = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["workspace", "key_result", "-created_at"], name="checkin_kr_time_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=10),
                name="checkin_confidence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} on {self.key_result_id}"


class ObjectiveComment(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "objective", "created_at"], name="comment_obj_idx")
        ]

    def __str__(self) -> str:
        return f"Comment on {self.objective_id}"
