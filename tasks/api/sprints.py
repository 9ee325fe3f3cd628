"""Sprints: plan, start, close with carry-over."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Team
from roadmaps.api import ScopedPrimaryKeyField
from tasks import services
from tasks.models import (
    Sprint,
    SprintStatus,
)
from tasks.services.rules import UNSET


class SprintSerializer(serializers.ModelSerializer):
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


class SprintFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    status = django_filters.ChoiceFilter(choices=SprintStatus.choices)

    class Meta:
        model = Sprint
        fields = ["team", "status"]


class SprintViewSet(WorkspaceViewSet):
    queryset = Sprint.objects.all()
    serializer_class = SprintSerializer
    filterset_class = SprintFilter
    ordering_fields = ["id", "start_date"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("team")

    @extend_schema(summary="List sprints", responses={200: SprintSerializer(many=True), **ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SprintSerializer(page, many=True).data)

    @extend_schema(summary="Get a sprint", responses={200: SprintSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = self.get_object()
        return self.respond(SprintSerializer(sprint).data, obj=sprint)

    @extend_schema(
        summary="Plan a sprint",
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
        return Response(
            {
                "sprint": SprintSerializer(sprint).data,
                "carried_over": CarryOverSerializer(carried, many=True).data,
            }
        )


# ---- tasks ------------------------------------------------------------------------------
