"""Input and output shapes of tasks, and the alignment line."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alignment.api_base import ScopedPrimaryKeyField
from alignment.api_query import IdFilter
from alignment.api_serializers import ModelSerializer
from alignment.models import Team
from roadmaps.models import RoadmapItem
from tasks import custom_values
from tasks.alignment_line import AlignmentLine, LineStep
from tasks.api.common import TaskRefField, WorkspaceUserField
from tasks.api.workflow import LabelSerializer
from tasks.models import (
    Label,
    Priority,
    Sprint,
    StateCategory,
    Task,
    WorkflowState,
)

CUSTOM_VALUE_HELP = (
    "By kind: text and url → string; number → decimal string; date → YYYY-MM-DD; select → "
    "option id; multi_select → list of option ids; person → user id "
    "(docs/custom-fields.md)."
)


def custom_fields_input(help_text: str) -> serializers.DictField:
    """The `custom_fields` a task write takes: name or id → value (the service checks each)."""
    return serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text=help_text + " " + CUSTOM_VALUE_HELP + " Options may be given by label, "
        "people by e-mail.",
    )


class TaskSerializer(ModelSerializer):
    key = serializers.CharField(read_only=True)
    team = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    labels = LabelSerializer(many=True, read_only=True)
    estimate = serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False, allow_null=True
    )
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]
    custom_fields = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "key",
            "team",
            "number",
            "title",
            "description",
            "description_html",
            "state",
            "state_category",
            "assignee",
            "estimate",
            "priority",
            "labels",
            "due_date",
            "roadmap_item",
            "sprint",
            "parent",
            "rank",
            "version",
            "created_at",
            "updated_at",
            "started_at",
            "completed_at",
            "custom_fields",
        ]

    def get_team(self, task: Task) -> dict[str, Any]:
        return {"id": task.team_id, "key": task.team.key, "name": task.team.name}

    def get_state(self, task: Task) -> dict[str, Any]:
        return {"id": task.state_id, "name": task.state.name, "category": task.state.category}

    def get_assignee(self, task: Task) -> dict[str, Any] | None:
        user = task.assignee
        if user is None:
            return None
        return {"id": user.pk, "email": user.email, "full_name": user.full_name}

    def get_parent(self, task: Task) -> int | None:
        return task.parent_id

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {},
            "description": "Field name → value, for the task's fields that have one (empty "
            "and archived fields are left out). " + CUSTOM_VALUE_HELP,
        }
    )
    def get_custom_fields(self, task: Task) -> dict[str, Any]:
        # A list's page is read in one query (`custom_values` in the context); a single task
        # reads its own.
        found = self.context.get("custom_values")
        if found is None:
            found = custom_values.values_for(task.workspace_id, [task.pk])
        return dict(found.get(task.pk, {}))


class TaskWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    state = ScopedPrimaryKeyField(WorkflowState, required=False, allow_null=True, default=None)
    assignee = WorkspaceUserField(required=False, allow_null=True, default=None)
    estimate = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, required=False, allow_null=True, default=None
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NONE)
    labels = ScopedPrimaryKeyField(Label, many=True, required=False, default=list)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    roadmap_item = ScopedPrimaryKeyField(RoadmapItem, required=False, allow_null=True, default=None)
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True, default=None)
    parent = TaskRefField(required=False, allow_null=True, default=None)  # type: ignore[assignment]
    custom_fields = custom_fields_input(
        "Field name or id → value, as `PATCH tasks/<key>/custom-fields/` takes them (the "
        "team's fields and the workspace's). All or nothing: a value that does not fit answers "
        "400 `invalid_custom_field` naming it, and no task is created."
    )


class TaskPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    state = ScopedPrimaryKeyField(WorkflowState, required=False)
    assignee = WorkspaceUserField(required=False, allow_null=True)
    estimate = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    labels = ScopedPrimaryKeyField(Label, many=True, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    roadmap_item = ScopedPrimaryKeyField(RoadmapItem, required=False, allow_null=True)
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True)
    parent = TaskRefField(required=False, allow_null=True)  # type: ignore[assignment]
    custom_fields = custom_fields_input(
        "Field name or id → value, as `PATCH tasks/<key>/custom-fields/` takes them "
        "(null clears; fields left out are unchanged). All or nothing: a value that does not "
        "fit answers 400 `invalid_custom_field` naming it, and nothing changes."
    )
    version = serializers.IntegerField(required=False, min_value=1)


class TaskTransitionSerializer(serializers.Serializer):
    state = ScopedPrimaryKeyField(WorkflowState)
    version = serializers.IntegerField(required=False, min_value=1)


class TaskMoveSerializer(serializers.Serializer):
    after = TaskRefField(required=False, allow_null=True, default=None)
    before = TaskRefField(required=False, allow_null=True, default=None)
    state = ScopedPrimaryKeyField(WorkflowState, required=False)
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True)
    version = serializers.IntegerField(min_value=1)


class TaskMoveToTeamSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    version = serializers.IntegerField(required=False, min_value=1)


class TaskMergeSerializer(serializers.Serializer):
    into = TaskRefField()


class TaskNotDuplicateSerializer(serializers.Serializer):
    other = TaskRefField()


class TaskBulkSerializer(serializers.Serializer):
    tasks = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=200
    )
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True)
    assignee = WorkspaceUserField(required=False, allow_null=True)
    estimate = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    add_labels = ScopedPrimaryKeyField(Label, many=True, required=False, default=list)


class SimilarTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    state_category = serializers.CharField()
    similarity = serializers.FloatField()


class TaskFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")
    state = IdFilter(field_name="state_id")
    state_category = django_filters.MultipleChoiceFilter(choices=StateCategory.choices)
    assignee = IdFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    sprint = IdFilter(field_name="sprint_id")
    backlog = django_filters.BooleanFilter(field_name="sprint", lookup_expr="isnull")
    label = IdFilter(field_name="labels__id", distinct=True)
    roadmap_item = IdFilter(field_name="roadmap_item_id")
    unaligned = django_filters.BooleanFilter(field_name="roadmap_item", lookup_expr="isnull")
    key_result = IdFilter(field_name="roadmap_item__kr_links__key_result_id", distinct=True)
    objective = IdFilter(
        field_name="roadmap_item__kr_links__key_result__objective_id", distinct=True
    )
    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Task
        fields = [
            "team",
            "state",
            "state_category",
            "assignee",
            "unassigned",
            "sprint",
            "backlog",
            "label",
            "roadmap_item",
            "unaligned",
            "key_result",
            "objective",
            "parent",
        ]


class LineStepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    progress = serializers.FloatField(
        allow_null=True, help_text="0–1 from the node's read-model row; null before it has one."
    )
    percent = serializers.IntegerField(allow_null=True, help_text="progress × 100, rounded.")
    status = serializers.CharField(allow_null=True, help_text="on_track, at_risk or off_track.")
    basis = serializers.CharField(allow_null=True, help_text="What the number counted.")


class KeyResultLineSerializer(LineStepSerializer):
    weight = serializers.FloatField(allow_null=True)
    objectives = LineStepSerializer(many=True)


class AlignmentLineSerializer(serializers.Serializer):
    aligned = serializers.BooleanField()
    roadmap_item = LineStepSerializer(allow_null=True)
    key_results = KeyResultLineSerializer(many=True)
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="When the oldest number on the line was computed."
    )


def _step(step: LineStep) -> dict[str, Any]:
    row = step.row
    return {
        "id": step.obj.pk,
        "title": step.obj.title,
        "progress": None if row is None else row.progress,
        "percent": None if row is None else row.percent,
        "status": None if row is None else row.status,
        "basis": None if row is None else row.basis,
    }


def alignment_line_data(line: AlignmentLine) -> dict[str, Any]:
    """The line as the API returns it: every number is the node's read-model row."""
    return {
        "aligned": line.is_aligned,
        "roadmap_item": _step(line.item_step) if line.item_step else None,
        "key_results": [
            {
                **_step(step),
                "weight": None if step.weight is None else float(step.weight),
                "objectives": [_step(o) for o in line.objectives.get(step.obj.pk, [])],
            }
            for step in line.key_results
        ],
        "as_of": line.as_of,
    }
