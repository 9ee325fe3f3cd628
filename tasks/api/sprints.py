"""Sprints: plan, start, close with carry-over."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, ScopedPrimaryKeyField, WorkspaceViewSet
from alignment.api_query import IdFilter, query_datetime
from alignment.api_schema import ERRORS, WRITE_ERRORS, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import Team
from tasks import custom_values, services
from tasks.api.task_serializers import CUSTOM_VALUE_HELP
from tasks.models import (
    Sprint,
    SprintCarryOver,
    SprintStatus,
)
from tasks.services.rules import UNSET
from tasks.sprint_scope import SprintScope, Tally, sprint_report, task_keys


class SprintSerializer(ModelSerializer):
    class Meta:
        model = Sprint
        fields = [
            "id",
            "team",
            "name",
            "goal",
            "start_date",
            "end_date",
            "status",
            "started_at",
            "closed_at",
            "version",
        ]


class SprintWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    name = serializers.CharField(max_length=100)
    goal = serializers.CharField(required=False, allow_blank=True, default="")
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class SprintPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    goal = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class SprintCloseSerializer(serializers.Serializer):
    carry_to = ScopedPrimaryKeyField(
        Sprint,
        required=False,
        allow_null=True,
        help_text="Sprint for unfinished work; null for the backlog; omit for the next planned.",
    )


class CarryOverSerializer(serializers.Serializer):
    task = serializers.CharField(source="task.key")
    to_sprint = serializers.IntegerField(source="to_sprint_id", allow_null=True)
    estimate = serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False, allow_null=True
    )
    custom_fields = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {},
            "description": "The carried task's custom field values, as `GET tasks/<key>/` "
            "reads them. " + CUSTOM_VALUE_HELP,
        }
    )
    def get_custom_fields(self, carry: SprintCarryOver) -> dict[str, Any]:
        # Every carried task's values are read in one query by the view (the context).
        return dict(self.context.get("custom_values", {}).get(carry.task_id, {}))


class TallySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    points = serializers.FloatField()
    tasks = serializers.ListField(child=serializers.CharField(), help_text="Task keys.")


class BurnDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    scope = serializers.FloatField()
    done = serializers.FloatField()
    remaining = serializers.FloatField()


class SprintScopeSerializer(serializers.Serializer):
    """A sprint's numbers; docs/work.md ("Sprint numbers") defines each one."""

    sprint = serializers.IntegerField()
    status = serializers.CharField()
    as_of = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    committed = TallySerializer(help_text="In the sprint when it started (points then).")
    added_after_start = TallySerializer(
        help_text="Entered after the start: created in it, moved or carried in."
    )
    removed = TallySerializer(help_text="Committed or added, then moved out, canceled, merged.")
    completed = TallySerializer(help_text="Done by the close (or now).")
    open = TallySerializer(help_text="Not done yet: what closing now would carry over.")
    carried_over = TallySerializer(help_text="Unfinished at the close; empty until closed.")
    planned = TallySerializer(help_text="In a sprint that has not started.")
    reestimated_points = serializers.FloatField(
        help_text="Net estimate changes while in the sprint: committed + added - removed + "
        "re-estimated = completed + open."
    )
    burndown = BurnDaySerializer(many=True)


def _tally(tally: Tally, keys: dict[int, str]) -> dict[str, Any]:
    return {
        "count": tally.count,
        "points": float(tally.points),
        "tasks": [keys.get(task_id, str(task_id)) for task_id in tally.task_ids],
    }


def scope_data(scope: SprintScope, burndown: list[dict[str, Any]]) -> dict[str, Any]:
    """The API shape of a sprint's numbers."""
    keys = task_keys(scope)
    return {
        "sprint": scope.sprint_id,
        "status": scope.status,
        "as_of": scope.as_of,
        "started_at": scope.started_at,
        "closed_at": scope.closed_at,
        "committed": _tally(scope.committed, keys),
        "added_after_start": _tally(scope.added, keys),
        "removed": _tally(scope.removed, keys),
        "completed": _tally(scope.completed, keys),
        "open": _tally(scope.open, keys),
        "carried_over": _tally(scope.carried_over, keys),
        "planned": _tally(scope.planned, keys),
        "reestimated_points": float(scope.reestimated_points),
        "burndown": burndown,
    }


class SprintFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")
    status = django_filters.ChoiceFilter(choices=SprintStatus.choices)

    class Meta:
        model = Sprint
        fields = ["team", "status"]


@read_schema(
    SprintSerializer,
    list_summary="List sprints",
    list_description=(
        "Sprints of the workspace with their dates, goal and status. Filter by team or status."
    ),
    retrieve_summary="Get a sprint",
)
class SprintViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = Sprint.objects.all()
    serializer_class = SprintSerializer
    filterset_class = SprintFilter
    ordering_fields = ["id", "start_date"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("team")

    @extend_schema(
        summary="Plan a sprint",
        description=(
            "Plan a sprint for a team with a name, dates and an optional goal. Start it when the "
            "work is ready."
        ),
        request=SprintWriteSerializer,
        responses={201: SprintSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = services.sprint_create(actor=self.member, **self.validated(SprintWriteSerializer))
        return self.respond(SprintSerializer(sprint).data, status=201, obj=sprint)

    @extend_schema(
        summary="Rename, re-goal or re-date a sprint",
        request=SprintPatchSerializer,
        responses={200: SprintSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(SprintPatchSerializer)
        data.pop("version", None)
        sprint = services.sprint_update(
            actor=self.member,
            sprint=self.get_object(),
            expected_version=self.if_match_version(),
            **data,
        )
        return self.respond(SprintSerializer(sprint).data, obj=sprint)

    @extend_schema(
        summary="Delete a sprint that has not started; its tasks go back to the backlog",
        description="A started or closed sprint is refused with 409 `sprint_started` (close it "
        "instead: its numbers are history). `If-Match` (or a `version` in the body) pins the "
        "version the client saw.",
        request=None,
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.sprint_delete(
            actor=self.member, sprint=self.get_object(), expected_version=self.if_match_version()
        )
        return Response(status=204)

    @extend_schema(
        summary="Start a planned sprint (one active sprint per team)",
        request=None,
        responses={200: SprintSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = services.sprint_start(actor=self.member, sprint=self.get_object())
        return self.respond(SprintSerializer(sprint).data, obj=sprint)

    @extend_schema(
        summary="Close the active sprint; unfinished work moves on and is recorded",
        request=SprintCloseSerializer,
        responses={
            200: inline_serializer(
                name="SprintClosed",
                fields={
                    "sprint": SprintSerializer(),
                    "carried_over": CarryOverSerializer(many=True),
                    "scope": SprintScopeSerializer(),
                },
            ),
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = self.get_object()
        data = self.validated(SprintCloseSerializer)
        carried = services.sprint_close(
            actor=self.member, sprint=sprint, carry_to=data.get("carry_to", UNSET)
        )
        for carry in carried:
            carry.task.team = sprint.team
        # The numbers of the closed sprint, read the way team metrics and burndown read them.
        scope, burndown = sprint_report(sprint, as_of=sprint.closed_at)
        return Response(
            {
                "sprint": SprintSerializer(sprint).data,
                "carried_over": CarryOverSerializer(
                    carried,
                    many=True,
                    context={
                        "custom_values": custom_values.values_for(
                            sprint.workspace_id, [carry.task_id for carry in carried]
                        )
                    },
                ).data,
                "scope": SprintScopeSerializer(scope_data(scope, burndown)).data,
            }
        )

    @extend_schema(
        summary="A sprint's numbers: committed, added after start, removed, completed, "
        "carried over, and its burndown",
        description="The one definition sprint close, team metrics and the burn charts share "
        "(docs/work.md, Sprint numbers). `as_of` reads a past moment (ISO 8601); default now.",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATETIME)],
        responses={200: SprintScopeSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def scope(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = self.get_object()
        scope, burndown = sprint_report(sprint, as_of=_as_of(request))
        return Response(SprintScopeSerializer(scope_data(scope, burndown)).data)


def _as_of(request: Request) -> datetime | None:
    return query_datetime(request, "as_of")


# ---- tasks ------------------------------------------------------------------------------
