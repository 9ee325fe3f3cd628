"""Custom fields: definitions per workspace (or per team) and their values on tasks.

Values live in a typed table, one row per (task, field) — and one row per chosen option of a
multi-select — with a column per type (`text`, `number`, `date`, `option`, `person`). Each
column is indexed with its field, so filtering and sorting are plain indexed lookups on SQLite
and PostgreSQL alike; nothing is stored as a blob that a query would have to parse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Membership, Team, Workspace
from alignment.querysets import TeamScopedQuerySet
from tasks.models import Task


class FieldKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    SELECT = "select", "Single select"
    MULTI_SELECT = "multi_select", "Multi select"
    DATE = "date", "Date"
    PERSON = "person", "Person"
    URL = "url", "URL"


SELECT_KINDS = frozenset({FieldKind.SELECT, FieldKind.MULTI_SELECT})
# The value column each kind writes (URL and text share `text`).
COLUMN = {
    FieldKind.TEXT: "text",
    FieldKind.URL: "text",
    FieldKind.NUMBER: "number",
    FieldKind.DATE: "date",
    FieldKind.SELECT: "option",
    FieldKind.MULTI_SELECT: "option",
    FieldKind.PERSON: "person",
}


def _workspace_or_visible_team(
    rows: TeamScopedQuerySet, membership: Membership, team_field: str
) -> TeamScopedQuerySet:
    """A workspace-wide field (no team) shows to everyone, guests included: it is on every
    task they can open; a team's own field hides with its team."""
    rows = rows.for_workspace(membership.workspace_id)
    if membership.sees_every_team:
        return rows
    teams = Team.objects.visible_to(membership).values("pk")
    return rows.filter(
        models.Q(**{f"{team_field}__isnull": True}) | models.Q(**{f"{team_field}__in": teams})
    )


class CustomFieldQuerySet(TeamScopedQuerySet):
    def visible_to(self, membership: Membership) -> CustomFieldQuerySet:
        return _workspace_or_visible_team(self, membership, "team")  # type: ignore[return-value]

    def active(self) -> CustomFieldQuerySet:
        return self.filter(is_archived=False)

    def for_team(self, team_id: int) -> CustomFieldQuerySet:
        """The fields a task of this team has: the workspace's and the team's own."""
        return self.filter(models.Q(team__isnull=True) | models.Q(team_id=team_id))


class CustomField(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # None: every team's tasks have it; a team: only that team's tasks.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="custom_fields"
    )
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=12, choices=FieldKind.choices)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    show_on_cards = models.BooleanField(default=False)
    is_archived = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CustomFieldQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "position"], name="customfield_ws_idx")]
        constraints = [
            models.UniqueConstraint(
                "workspace", models.functions.Lower("name"), name="customfield_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_select(self) -> bool:
        return self.kind in SELECT_KINDS


class CustomFieldOptionQuerySet(TeamScopedQuerySet):
    def visible_to(self, membership: Membership) -> CustomFieldOptionQuerySet:
        return _workspace_or_visible_team(self, membership, "field__team")  # type: ignore[return-value]


class CustomFieldOption(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)

    objects = CustomFieldOptionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                "field", models.functions.Lower("label"), name="customfieldoption_label_unique"
            )
        ]

    def __str__(self) -> str:
        return self.label


class CustomFieldValueQuerySet(TeamScopedQuerySet):
    team_fields = ("task__team",)


class CustomFieldValue(models.Model):
    """One value of one field on one task (a multi-select has a row per chosen option)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="custom_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    # NULL, not "": a row holds one typed column; "" would be a value a filter could match.
    text = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001
    number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    option = models.ForeignKey(
        CustomFieldOption, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    objects = CustomFieldValueQuerySet.as_manager()

    class Meta:
        ordering = ["field_id", "id"]
        indexes = [
            models.Index(fields=["workspace", "task"], name="cfvalue_task_idx"),
            models.Index(fields=["field", "text"], name="cfvalue_text_idx"),
            models.Index(fields=["field", "number"], name="cfvalue_number_idx"),
            models.Index(fields=["field", "date"], name="cfvalue_date_idx"),
            models.Index(fields=["field", "option"], name="cfvalue_option_idx"),
            models.Index(fields=["field", "person"], name="cfvalue_person_idx"),
        ]
        constraints = [
            # One row per (task, field), except a multi-select's one row per chosen option.
            models.UniqueConstraint(
                fields=["task", "field"],
                condition=models.Q(option__isnull=True),
                name="cfvalue_one_per_field",
            ),
            models.UniqueConstraint(
                fields=["task", "field", "option"],
                condition=models.Q(option__isnull=False),
                name="cfvalue_one_per_option",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field_id} on {self.task_id}"
