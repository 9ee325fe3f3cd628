"""Custom fields API: definitions (everyone reads, admins write) and a task's values.

GET   /custom-fields/                  definitions in order (with options)
POST  /custom-fields/                  define one (admins)
GET   /custom-fields/<id>/             one definition
PATCH /custom-fields/<id>/             rename, describe, show on cards, archive, add options
GET   /tasks/<key>/custom-fields/      a task's values
PATCH /tasks/<key>/custom-fields/      set values (all or nothing; version / If-Match)
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS, ErrorSerializer, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import Role, Team
from customfields import selectors, services
from customfields.models import CustomField, CustomFieldOption, FieldKind
from tasks import selectors as task_selectors
from tasks.models import Task

VALUE_HELP = (
    "By kind: text and url → string; number → decimal string (up to 4 places); date → "
    "YYYY-MM-DD; select → option id; multi_select → list of option ids; person → user id. "
    "null (or [] for multi_select) when empty."
)


class OptionSerializer(ModelSerializer):
    class Meta:
        model = CustomFieldOption
        fields = ["id", "label", "position", "is_archived"]


class CustomFieldSerializer(ModelSerializer):
    team = serializers.SerializerMethodField(help_text="A team's key, or null: every team.")
    options = serializers.SerializerMethodField()

    class Meta:
        model = CustomField
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "team",
            "position",
            "show_on_cards",
            "is_archived",
            "version",
            "options",
        ]

    def get_team(self, field: CustomField) -> str | None:
        return field.team.key if field.team_id else None  # type: ignore[union-attr]

    def get_options(self, field: CustomField) -> list[dict[str, Any]]:
        return OptionSerializer(field.options.all(), many=True).data  # type: ignore[return-value]


class CustomFieldCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=FieldKind.choices)
    team = serializers.CharField(
        required=False, allow_null=True, help_text="A team's key; omit or null: every team."
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    show_on_cards = serializers.BooleanField(required=False, default=False)
    options = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )


class CustomFieldUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    show_on_cards = serializers.BooleanField(required=False)
    is_archived = serializers.BooleanField(required=False)
    add_options = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        help_text="Labels of new options, appended to a select's list.",
    )
    version = serializers.IntegerField(required=False, min_value=1)


class ValueSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The field's id.")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=FieldKind.choices)
    value = serializers.JSONField(help_text=VALUE_HELP, allow_null=True)
    display = serializers.CharField(help_text="The value as the pages show it.")


class TaskValuesSerializer(serializers.Serializer):
    task = serializers.CharField(help_text="The task's key.")
    version = serializers.IntegerField(help_text='The task\'s version (its ETag is "v<version>").')
    custom_fields = ValueSerializer(many=True)


class TaskValuesWriteSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="Field id or name → value (" + VALUE_HELP + ") Fields left out are unchanged.",
    )
    version = serializers.IntegerField(required=False, min_value=1)


@read_schema(
    CustomFieldSerializer,
    list_summary="List custom field definitions in order",
    list_description=(
        "The workspace's custom fields in the order the pages show them: name, kind, the "
        "team a field belongs to (null: every team), whether it shows on cards, whether it "
        "is archived, and a select's options. A private team's own fields are listed only to "
        "its members; guests see the workspace's fields and their own teams'."
    ),
    retrieve_summary="One custom field definition",
)
class CustomFieldViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    """The workspace's custom fields (a private team's own fields hide with the team)."""

    queryset = CustomField.objects.all()
    serializer_class = CustomFieldSerializer
    pagination_class = None  # at most services.MAX_FIELDS rows
    guest_access = True
    action_roles = {"create": Role.ADMIN, "partial_update": Role.ADMIN}

    def scoped_queryset(self, qs: Any) -> Any:
        return qs.select_related("team").prefetch_related("options").order_by("position", "pk")

    @extend_schema(
        summary="Define a custom field (admins)",
        description=(
            "Add a custom field to every team's tasks, or to one team's (`team`: its key). A "
            "select needs its `options`. Admins only (403 otherwise). A name already in use, a "
            "select without options, more than 50 fields in the workspace or more than 100 "
            "options are refused, naming the field at fault."
        ),
        request=CustomFieldCreateSerializer,
        responses={201: CustomFieldSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(CustomFieldCreateSerializer)
        team = None
        if data.get("team"):
            team = Team.objects.visible_to(self.member).filter(key__iexact=data["team"]).first()
            if team is None:
                raise serializers.ValidationError({"team": [f"No team “{data['team']}”."]})
        field = services.custom_field_create(
            actor=self.member,
            name=data["name"],
            kind=data["kind"],
            team=team,
            description=data.get("description", ""),
            show_on_cards=data["show_on_cards"],
            options=data["options"],
        )
        return self.respond(self.get_serializer(field).data, status=201, obj=field)

    @extend_schema(
        summary="Change a custom field (admins): name, description, cards, archive, options",
        request=CustomFieldUpdateSerializer,
        responses={200: CustomFieldSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        field = self.get_object()
        data = dict(self.validated(CustomFieldUpdateSerializer))
        data.pop("version", None)
        add_options = data.pop("add_options", [])
        services.custom_field_update(
            actor=self.member, field=field, expected_version=self.if_match_version(), **data
        )
        for label in add_options:
            services.custom_field_option_add(actor=self.member, field=field, label=label)
        fresh = self.get_queryset().get(pk=field.pk)
        return self.respond(self.get_serializer(fresh).data, obj=fresh)


def task_values_data(task: Task) -> dict[str, Any]:
    fields = services.fields_of_task(task)
    shown = selectors.shown_values([task.pk], fields).get(task.pk, [])
    return {
        "task": task.key,
        "version": task.version,
        "custom_fields": [
            {
                "id": s.field.pk,
                "name": s.field.name,
                "kind": s.field.kind,
                "value": s.value,
                "display": s.text,
            }
            for s in shown
        ],
    }


class TaskCustomValuesViewSet(WorkspaceViewSet):
    """A task's custom field values: /tasks/<key>/custom-fields/."""

    queryset = Task.objects.all()
    serializer_class = TaskValuesSerializer
    guest_access = True

    def task(self) -> Task:
        task = task_selectors.task_by_key(self.workspace, self.kwargs["key"], viewer=self.member)
        if task is None:
            raise Http404("Task not found.")
        return task

    @extend_schema(
        summary="A task's custom field values",
        description=(
            "The custom field values of the task with this key (an old key still resolves): for "
            "each field the task has, its value and how the pages display it, with the task's "
            "`version` to send back when setting values. Answers with an ETag; If-None-Match "
            "gives 304. 404 for a task you may not see."
        ),
        responses={200: TaskValuesSerializer, **ERRORS},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out: the answer is the task's values (task_values_data), not a row serialized.
        task = self.task()
        return self.respond(task_values_data(task), obj=task)

    @extend_schema(
        summary="Set a task's custom field values (all or none)",
        description=(
            "Each value is checked against its field before anything is written: a wrong "
            "type, an unknown option or person, or a field the task does not have answers 400 "
            "naming the field, and nothing changes. Send the task's `version` (or If-Match) "
            "to be refused with 409/412 instead of overwriting someone's change."
        ),
        request=TaskValuesWriteSerializer,
        responses={
            200: TaskValuesSerializer,
            **WRITE_ERRORS,
            400: OpenApiResponse(
                ErrorSerializer,
                description="A value does not fit its field (`fields` names it).",
            ),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.task()
        data = self.validated(TaskValuesWriteSerializer)
        services.custom_values_set(
            actor=self.member,
            task=task,
            values=data["values"],
            expected_version=self.if_match_version(),
        )
        task.refresh_from_db(fields=["version"])
        return self.respond(task_values_data(task), obj=task)
