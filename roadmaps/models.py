"""Roadmaps: initiatives and epics on a timeline, the key results they move, and their order."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from alignment.models import Team, Workspace
from alignment.querysets import TeamScopedQuerySet, WorkspaceQuerySet
from okrs.models import KeyResult


class Roadmap(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmaps")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="roadmap_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class RoadmapItemKind(models.TextChoices):
    INITIATIVE = "initiative", "Initiative"
    EPIC = "epic", "Epic"


class RoadmapItemStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"


CLOSED_ITEM_STATUSES = frozenset({RoadmapItemStatus.DONE, RoadmapItemStatus.CANCELED})


class RoadmapItemQuerySet(TeamScopedQuerySet):
    # An item without an owner team is the whole workspace's (hidden from guests only).
    team_fields = ("owner_team",)
    team_optional = True

    def open(self) -> RoadmapItemQuerySet:
        return self.exclude(status__in=sorted(CLOSED_ITEM_STATUSES))


class RoadmapItem(models.Model):
    """An initiative or epic: owned by a team, planned between two dates."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(
        max_length=10, choices=RoadmapItemKind.choices, default=RoadmapItemKind.EPIC
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="roadmap_items"
    )
    start_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=RoadmapItemStatus.choices, default=RoadmapItemStatus.PLANNED
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    key_results = models.ManyToManyField(
        KeyResult, through="KeyResultLink", related_name="roadmap_items", blank=True
    )

    objects = RoadmapItemQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["workspace", "roadmap", "start_date"], name="rmitem_timeline_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(target_date__isnull=True)
                | Q(target_date__gte=F("start_date")),
                name="rmitem_target_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in RoadmapItemKind]), name="rmitem_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RoadmapItemStatus]),
                name="rmitem_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_ITEM_STATUSES


class ThroughItemQuerySet(TeamScopedQuerySet):
    team_fields = ("item__owner_team",)
    team_optional = True


class ItemDependencyQuerySet(TeamScopedQuerySet):
    team_fields = ("blocking__owner_team", "blocked__owner_team")
    team_optional = True


class KeyResultLink(models.Model):
    """This item moves that key result, with a weight among the KR's linked items."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="kr_links")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="item_links")
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ThroughItemQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["workspace", "key_result"], name="krlink_kr_idx")]
        constraints = [
            models.UniqueConstraint(fields=["item", "key_result"], name="krlink_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="krlink_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} → KR {self.key_result_id} ×{self.weight}"


class RoadmapItemDependency(models.Model):
    """`blocking` has to finish before `blocked` can: an edge of an acyclic graph."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    blocking = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ItemDependencyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["blocking", "blocked"], name="rmdep_unique"),
            models.CheckConstraint(condition=~Q(blocking=F("blocked")), name="rmdep_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocking_id} blocks {self.blocked_id}"
