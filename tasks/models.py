"""Workflow states, sprints, tasks and everything hanging off a task."""

from __future__ import annotations

import re
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from alignment.models import Team, Workspace
from alignment.querysets import TeamScopedQuerySet, WorkspaceQuerySet
from roadmaps.models import RoadmapItem


class StateCategory(models.TextChoices):
    BACKLOG = "backlog", "Backlog"
    UNSTARTED = "unstarted", "To do"
    STARTED = "started", "In progress"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"


CLOSED_CATEGORIES = frozenset({StateCategory.DONE, StateCategory.CANCELED})
OPEN_CATEGORIES = frozenset(set(StateCategory) - CLOSED_CATEGORIES)

# (name, category, wip limit) of the states every new team starts with.
DEFAULT_STATES: list[tuple[str, str, int | None]] = [
    ("Backlog", StateCategory.BACKLOG, None),
    ("Todo", StateCategory.UNSTARTED, None),
    ("In Progress", StateCategory.STARTED, None),
    ("In Review", StateCategory.STARTED, None),
    ("Done", StateCategory.DONE, None),
    ("Canceled", StateCategory.CANCELED, None),
]


class ThroughTaskQuerySet(TeamScopedQuerySet):
    """Rows of a task (comments, events, labels…): visible with their task's team."""

    team_fields = ("task__team",)


class ThroughSprintQuerySet(TeamScopedQuerySet):
    team_fields = ("sprint__team",)


class TaskDependencyQuerySet(TeamScopedQuerySet):
    # A link is shown only when both of its tasks are: its other end would name hidden work.
    team_fields = ("blocking__team", "blocked__team")


class WorkflowState(models.Model):
    """A column of a team's board, in one of five categories the metrics understand."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="workflow_states")
    name = models.CharField(max_length=40)
    category = models.CharField(max_length=10, choices=StateCategory.choices)
    position = models.PositiveIntegerField(default=0)
    wip_limit = models.PositiveIntegerField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team_id", "position", "id"]
        constraints = [
            models.UniqueConstraint("team", Lower("name"), name="workflow_state_name_unique_ci"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in StateCategory]),
                name="workflow_state_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(wip_limit__isnull=True) | Q(wip_limit__gt=0),
                name="workflow_state_wip_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.category in CLOSED_CATEGORIES


class TaskCounter(models.Model):
    """The last task number handed out in a team. Locked by the UPDATE that increments it."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, primary_key=True, related_name="task_counter"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    objects = WorkspaceQuerySet.as_manager()

    def __str__(self) -> str:
        return f"team {self.team_id}: {self.last_number}"


class SprintStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class SprintQuerySet(TeamScopedQuerySet):
    def active(self) -> Self:
        return self.filter(status=SprintStatus.ACTIVE)


class Sprint(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="sprints")
    name = models.CharField(max_length=100)
    goal = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=SprintStatus.choices, default=SprintStatus.PLANNED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SprintQuerySet.as_manager()

    class Meta:
        ordering = ["team_id", "start_date", "id"]
        indexes = [models.Index(fields=["workspace", "team", "status"], name="sprint_team_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(status="active"),
                name="sprint_one_active_per_team",
            ),
            models.UniqueConstraint(fields=["team", "name"], name="sprint_name_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="sprint_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SprintStatus]), name="sprint_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SprintCapacity(models.Model):
    """How many points a person plans to take on in a sprint (planning view)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="capacities")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(max_digits=6, decimal_places=1)

    objects = ThroughSprintQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sprint", "user"], name="sprint_capacity_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="sprint_capacity_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.points} in sprint {self.sprint_id}"


class Label(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=40)
    color = models.CharField(max_length=7, default="#6b7280")

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="label_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class Priority(models.IntegerChoices):
    NONE = 0, "No priority"
    URGENT = 1, "Urgent"
    HIGH = 2, "High"
    MEDIUM = 3, "Medium"
    LOW = 4, "Low"


KEY_PATTERN = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})\s*$")


def parse_key(key: str) -> tuple[str, int] | None:
    """("ENG", 12) from "ENG-12" (case-insensitive), or None when it is not a task key."""
    match = KEY_PATTERN.match(key or "")
    if not match:
        return None
    return match.group(1).upper(), int(match.group(2))


class TaskQuerySet(TeamScopedQuerySet):
    def open(self) -> Self:
        return self.exclude(state_category__in=sorted(CLOSED_CATEGORIES))

    def backlog(self) -> Self:
        return self.filter(sprint__isnull=True)

    def with_key(self, key: str) -> Self:
        """The task whose current key is `key` (no aliases; see selectors.task_by_key)."""
        parsed = parse_key(key)
        if parsed is None:
            return self.none()
        team_key, number = parsed
        return self.filter(team__key=team_key, number=number)

    def for_board(self) -> Self:
        return self.select_related("team", "state", "assignee", "sprint", "roadmap_item")


class TaskManager(models.Manager.from_queryset(TaskQuerySet)):  # type: ignore[misc]
    """The default manager: tasks that exist as themselves, i.e. not merged into another.

    A merged duplicate stays as a tombstone so its history (TaskEvent, SprintCarryOver) keeps
    past burndown and velocity honest, but every board, list, search, API and rollup reads
    through this manager (and reverse relations like `sprint.tasks`) and so never sees it.
    `Task.all_objects` includes tombstones; FK access and deletes use the unfiltered base
    manager, so history rows still reach their task.
    """

    def get_queryset(self) -> TaskQuerySet:
        # Archived (and deleted) tasks are tombstones too, until restored (tasks.archive).
        return super().get_queryset().filter(merged_into__isnull=True, archived_at__isnull=True)


class Task(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tasks")
    # The key is `<team key>-<number>`; a team rename re-keys every task at once.
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    # Sanitized HTML of `description`, rendered once on write (tasks.markdown.render_markdown).
    description_html = models.TextField(blank=True, editable=False)
    state = models.ForeignKey(WorkflowState, on_delete=models.PROTECT, related_name="tasks")
    # Copy of state.category so rollups and filters need no join; services keep it in sync.
    state_category = models.CharField(max_length=10, choices=StateCategory.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    estimate = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    labels = models.ManyToManyField(Label, through="TaskLabel", related_name="tasks", blank=True)
    due_date = models.DateField(null=True, blank=True)
    roadmap_item = models.ForeignKey(
        RoadmapItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    sprint = models.ForeignKey(
        Sprint, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="subtasks"
    )
    # Lexicographic ordering key for board and backlog (tasks.ranking); ties break on id.
    rank = models.CharField(max_length=64, default="i0")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set when this task was merged into another (tasks.services.task_merge): the row stays
    # as a tombstone for history, hidden by the default manager; its key leads to the survivor.
    merged_into = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="merged_from"
    )
    # Archived: hidden like a merged tombstone (history kept), restorable. Deleted: archived
    # too, restorable only within settings.TASK_UNDO_MINUTES, then kept as a tombstone.
    archived_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = TaskManager()
    all_objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["rank", "id"]
        indexes = [
            # Board columns and backlog pages read a team's tasks in (rank, id) order; with the
            # id in the index that order needs no sort, so a keyset page stops after its rows.
            models.Index(
                fields=["workspace", "team", "sprint", "rank", "id"], name="task_rank_idx"
            ),
            # The backlog (no sprint): PostgreSQL cannot read an order past an `IS NULL`
            # column of an index, so the backlog has its own, partial on that condition.
            models.Index(
                fields=["workspace", "team", "rank", "id"],
                condition=Q(sprint__isnull=True, merged_into__isnull=True),
                name="task_backlog_idx",
            ),
            models.Index(
                fields=["workspace", "roadmap_item"],
                # merged_into: the default manager filters on it, keep the scan index-only.
                include=["state_category", "estimate", "merged_into", "archived_at"],
                name="task_rollup_idx",
            ),
            models.Index(fields=["workspace", "assignee", "state_category"], name="task_mine_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="task_number_unique"),
            models.CheckConstraint(
                condition=Q(estimate__isnull=True) | Q(estimate__gte=0),
                name="task_estimate_nonnegative",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="task_not_own_parent"),
            models.CheckConstraint(
                condition=Q(state_category__in=[c.value for c in StateCategory]),
                name="task_state_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=0) & Q(priority__lte=4), name="task_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"{self.team.key}-{self.number}"

    @property
    def is_closed(self) -> bool:
        return self.state_category in CLOSED_CATEGORIES


class TaskLabel(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")

    objects = ThroughTaskQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "label"], name="task_label_unique")]

    def __str__(self) -> str:
        return f"{self.task_id} ~ {self.label_id}"


class TaskAlias(models.Model):
    """An old key (team + number) that still leads to a task after a move or a merge."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="aliases")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ThroughTaskQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="task_alias_unique"),
        ]

    def __str__(self) -> str:
        return f"alias {self.team_id}-{self.number} → {self.task_id}"


class TaskKeyAlias(models.Model):
    """A key the task had in another tracker (Jira's WEB-2) that is not its key here.

    Unlike TaskAlias the prefix need not be a team of this workspace (the Jira project may
    have been imported into a team with another key), so it is kept as text: task links,
    search, the API and integrations' key matching still find the task by it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="key_aliases")
    key = models.CharField(max_length=32)  # upper case, no leading zeros: "WEB-2"
    source = models.CharField(max_length=20, default="jira")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="task_key_alias_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.task_id}"


class TaskDependency(models.Model):
    """`blocking` has to be done before `blocked`; across teams, never in a cycle."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    blocking = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="blocked_by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TaskDependencyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["blocking", "blocked"], name="taskdep_unique"),
            models.CheckConstraint(condition=~Q(blocking=F("blocked")), name="taskdep_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocking_id} blocks {self.blocked_id}"


class TaskComment(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True, editable=False)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ThroughTaskQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["workspace", "task", "created_at"], name="taskcomment_idx")]

    def __str__(self) -> str:
        return f"Comment on {self.task_id}"


class DuplicateDismissal(models.Model):
    """Someone said `task` is not a duplicate of `other`; stop suggesting the pair."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ThroughTaskQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "other"], name="duplicate_dismissal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} is not {self.other_id}"


# Task history (tasks/history.py) and saved views (tasks/saved_views/) live in their own
# modules; imported here so Django sees them and `tasks.models` still names every model.
from tasks.history import SprintCarryOver, TaskEvent, TaskEventKind  # noqa: E402, F401
from tasks.saved_views.models import SavedView  # noqa: E402, F401
