"""Workflow states and labels."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import ScopedPrimaryKeyField, WorkspaceViewSet
from alignment.api_pagination import CappedList
from alignment.api_query import IdFilter
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.models import Role, Team
from tasks import services
from tasks.models import (
    Label,
    StateCategory,
    WorkflowState,
)


class WorkflowStateSerializer(ModelSerializer):
    class Meta:
        model = WorkflowState
        fields = ["id", "team", "name", "category", "position", "wip_limit"]


class WorkflowStateWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    name = serializers.CharField(max_length=40)
    category = serializers.ChoiceField(choices=StateCategory.choices)
    position = serializers.IntegerField(min_value=0, required=False)
    wip_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class WorkflowStatePatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40, required=False)
    category = serializers.ChoiceField(choices=StateCategory.choices, required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    wip_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class WorkflowStateFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id", help_text="One team's states (a team id).")

    class Meta:
        model = WorkflowState
        fields = ["team"]


@extend_schema_view(
    list=extend_schema(
        summary="List workflow states (?team=<id> for one team's)",
        description=(
            "The columns of each team's board: name, category (backlog, to do, in progress, done, "
            "canceled), order and WIP limit."
        ),
        responses={200: WorkflowStateSerializer(many=True), **ERRORS},
    ),
)
class WorkflowStateViewSet(ListModelMixin, WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = WorkflowState.objects.all()
    serializer_class = WorkflowStateSerializer
    write_role = Role.ADMIN
    filterset_class = WorkflowStateFilter
    pagination_class = CappedList

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("team_id", "position", "pk")

    @extend_schema(
        summary="Add a workflow state to a team (admin)",
        description=(
            "Add a state to a team's workflow, in one of the five categories. Admins only."
        ),
        request=WorkflowStateWriteSerializer,
        responses={201: WorkflowStateSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        state = services.workflow_state_create(
            actor=self.member, **self.validated(WorkflowStateWriteSerializer)
        )
        return Response(WorkflowStateSerializer(state).data, status=201)

    @extend_schema(
        summary="Rename, re-categorize, reorder or limit a state (admin)",
        request=WorkflowStatePatchSerializer,
        responses={200: WorkflowStateSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        state = services.workflow_state_update(
            actor=self.member,
            state=self.get_object(),
            **self.validated(WorkflowStatePatchSerializer),
        )
        return Response(WorkflowStateSerializer(state).data)

    @extend_schema(
        summary="Delete an empty workflow state (admin)", responses={204: None, **WRITE_ERRORS}
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.workflow_state_delete(actor=self.member, state=self.get_object())
        return Response(status=204)


class LabelSerializer(ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class LabelWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)


@extend_schema_view(
    list=extend_schema(
        summary="List labels",
        description=("The workspace's labels with their colours."),
        responses={200: LabelSerializer(many=True), **ERRORS},
    ),
)
class LabelViewSet(ListModelMixin, WorkspaceViewSet):
    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    pagination_class = CappedList

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("name", "pk")

    @extend_schema(
        summary="Create a label",
        description="Create a label to put on tasks.",
        request=LabelWriteSerializer,
        responses={201: LabelSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        label = services.label_create(actor=self.member, **self.validated(LabelWriteSerializer))
        return Response(LabelSerializer(label).data, status=201)

    @extend_schema(
        summary="Rename or recolour a label",
        request=LabelWriteSerializer(partial=True),
        responses={200: LabelSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        label = services.label_update(
            actor=self.member,
            label=self.get_object(),
            **self.validated(LabelWriteSerializer, partial=True),
        )
        return Response(LabelSerializer(label).data)

    @extend_schema(summary="Delete a label", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.label_delete(actor=self.member, label=self.get_object())
        return Response(status=204)


# ---- sprints ----------------------------------------------------------------------------
