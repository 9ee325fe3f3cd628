"""Dashboards API: rollups, findings, team metrics and snapshots (read), deployments and
incidents (DORA inputs, read and write). Reads come from materialized rows only."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceViewSet
from alignment.api_pagination import CursorPagination
from alignment.api_query import choice_parameter, id_parameter, query_choice, query_id
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Role, Team
from dashboards import freshness, services
from dashboards.models import (
    Deployment,
    Incident,
    NodeKind,
    Rollup,
    Snapshot,
    TeamMetrics,
)
from okrs.health import STATUS_LABELS
from roadmaps.api import ScopedPrimaryKeyField


def _bad(name: str, message: str) -> ValidationError:
    """A malformed query parameter: 400 with the parameter named, like a bad body field."""
    return ValidationError({name: [message]})


def _date_param(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise _bad(name, "Use a date as YYYY-MM-DD.") from exc


def _kind_param(request: Request) -> str | None:
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in NodeKind.values:
        raise _bad("kind", f"Use one of: {', '.join(NodeKind.values)}.")
    return kind


NODE_FILTERS = [
    OpenApiParameter("kind", str, enum=NodeKind.values, description="Only nodes of this kind."),
    id_parameter("node_id", "Only this node (with kind)."),
]


class RollupSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="objective, key_result, …")
    progress = serializers.FloatField()
    expected = serializers.FloatField()
    done_points = serializers.FloatField()
    total_points = serializers.FloatField()
    aligned_points = serializers.FloatField()
    work_progress = serializers.FloatField(allow_null=True)

    class Meta:
        model = Rollup
        fields = [
            "id",
            "kind",
            "node_id",
            "progress",
            "expected",
            "basis",
            "done_points",
            "total_points",
            "done_count",
            "total_count",
            "aligned_points",
            "work_progress",
            "status",
            "reasons",
            "inputs",
            "computed_at",
        ]


class RollupViewSet(WorkspaceViewSet):
    queryset = Rollup.objects.all()
    serializer_class = RollupSerializer

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        kind = _kind_param(self.request)
        node_id = query_id(self.request, "node_id")
        if kind:
            qs = qs.filter(kind=kind)
        if node_id is not None:
            qs = qs.filter(node_id=node_id)
        status = query_choice(self.request, "status", STATUS_LABELS)
        return qs.filter(status=status) if status else qs

    @extend_schema(
        summary="List materialized rollups (progress, status and reasons of every node)",
        parameters=[*NODE_FILTERS, choice_parameter("status", STATUS_LABELS)],
        responses={200: RollupSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RollupSerializer(page, many=True).data)

    @extend_schema(summary="Get one rollup", responses={200: RollupSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(RollupSerializer(self.get_object()).data)


class FindingPagination(CursorPagination):
    """Pages of findings with how fresh they are: `as_of` (when computed) and `refreshing`."""

    clock: freshness.Clock | None = None

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        clock = self.clock or freshness.Clock(as_of=None, pending=False)
        as_of = clock.as_of and serializers.DateTimeField().to_representation(clock.as_of)
        response.data["as_of"] = as_of or None
        response.data["refreshing"] = clock.pending
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paged = super().get_paginated_response_schema(schema)
        paged["properties"]["as_of"] = {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "When these findings were computed (null: not yet).",
        }
        paged["properties"]["refreshing"] = {
            "type": "boolean",
            "description": "A committed change is waiting; fresh findings follow within 60 s.",
        }
        return paged


# The findings viewset (ranked, grouped, dismiss/snooze) is in dashboards/api_findings.py.


class TeamMetricsSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMetrics
        fields = ["id", "team", "data", "computed_at"]


class TeamMetricsViewSet(WorkspaceViewSet):
    queryset = TeamMetrics.objects.all()
    serializer_class = TeamMetricsSerializer

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        team = query_id(self.request, "team")
        return qs.filter(team_id=team) if team is not None else qs

    @extend_schema(
        summary="List team metrics: sprint flow, velocity, cycle time, throughput, WIP, DORA",
        parameters=[id_parameter("team")],
        responses={200: TeamMetricsSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        freshness.ensure_fresh(self.workspace)  # embedded: drain stale marks first
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TeamMetricsSerializer(page, many=True).data)

    @extend_schema(
        summary="Get one team's metrics", responses={200: TeamMetricsSerializer, **ERRORS}
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        freshness.ensure_fresh(self.workspace)
        return self.respond(TeamMetricsSerializer(self.get_object()).data)


class SnapshotSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="objective, key_result, …")
    progress = serializers.FloatField()
    expected = serializers.FloatField()
    done_points = serializers.FloatField()
    total_points = serializers.FloatField()
    aligned_points = serializers.FloatField()
    state_counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Sprints on days they ran: tasks per workflow state category (cumulative flow).",
    )

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "day",
            "kind",
            "node_id",
            "progress",
            "expected",
            "done_points",
            "total_points",
            "aligned_points",
            "state_counts",
            "status",
            "source",
        ]


class SnapshotViewSet(WorkspaceViewSet):
    queryset = Snapshot.objects.all()
    serializer_class = SnapshotSerializer

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        kind = _kind_param(self.request)
        node_id = query_id(self.request, "node_id")
        since, until = _date_param(self.request, "since"), _date_param(self.request, "until")
        if kind:
            qs = qs.filter(kind=kind)
        if node_id is not None:
            qs = qs.filter(node_id=node_id)
        if since:
            qs = qs.filter(day__gte=since)
        return qs.filter(day__lte=until) if until else qs

    @extend_schema(
        summary="List daily snapshots (trends, burnup, burndown)",
        parameters=[
            *NODE_FILTERS,
            OpenApiParameter("since", date),
            OpenApiParameter("until", date),
        ],
        responses={200: SnapshotSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)

    @extend_schema(summary="Get one snapshot", responses={200: SnapshotSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(SnapshotSerializer(self.get_object()).data)


class DeploymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deployment
        fields = [
            "id",
            "team",
            "deployed_at",
            "committed_at",
            "environment",
            "reference",
            "description",
            "is_failure",
            "created_at",
        ]


class DeploymentWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    deployed_at = serializers.DateTimeField()
    committed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    environment = serializers.CharField(max_length=40, required=False, default="production")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    is_failure = serializers.BooleanField(required=False, default=False)


class DeploymentPatchSerializer(serializers.Serializer):
    is_failure = serializers.BooleanField()


class DeploymentViewSet(WorkspaceViewSet):
    queryset = Deployment.objects.all()
    serializer_class = DeploymentSerializer
    action_roles = {"destroy": Role.ADMIN}

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        team = query_id(self.request, "team")
        return qs.filter(team_id=team) if team is not None else qs

    @extend_schema(
        summary="List deployments",
        parameters=[id_parameter("team")],
        responses={200: DeploymentSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DeploymentSerializer(page, many=True).data)

    @extend_schema(summary="Get a deployment", responses={200: DeploymentSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(DeploymentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Record a deployment",
        request=DeploymentWriteSerializer,
        responses={201: DeploymentSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(DeploymentWriteSerializer)
        deployment = services.deployment_create(actor=self.member, **data)
        return self.respond(DeploymentSerializer(deployment).data, status=201)

    @extend_schema(
        summary="Mark whether a deployment caused a failure",
        request=DeploymentPatchSerializer,
        responses={200: DeploymentSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deployment = self.get_object()
        # A PATCH names what changes: without `is_failure` nothing does (as the schema says).
        data = self.validated(DeploymentPatchSerializer, partial=True)
        if "is_failure" in data:
            deployment = services.deployment_mark_failure(
                actor=self.member, deployment=deployment, is_failure=data["is_failure"]
            )
        return self.respond(DeploymentSerializer(deployment).data)

    @extend_schema(summary="Delete a deployment (admins)", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.deployment_delete(actor=self.member, deployment=self.get_object())
        return Response(status=204)


class IncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "team", "deployment", "title", "started_at", "resolved_at", "created_at"]


class IncidentWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    title = serializers.CharField(max_length=200)
    started_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    deployment = ScopedPrimaryKeyField(Deployment, required=False, allow_null=True, default=None)


class IncidentPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)


class IncidentViewSet(WorkspaceViewSet):
    queryset = Incident.objects.all()
    serializer_class = IncidentSerializer
    action_roles = {"destroy": Role.ADMIN}

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        team = query_id(self.request, "team")
        return qs.filter(team_id=team) if team is not None else qs

    @extend_schema(
        summary="List incidents",
        parameters=[id_parameter("team")],
        responses={200: IncidentSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(IncidentSerializer(page, many=True).data)

    @extend_schema(summary="Get an incident", responses={200: IncidentSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(IncidentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Record an incident",
        request=IncidentWriteSerializer,
        responses={201: IncidentSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(IncidentWriteSerializer)
        incident = services.incident_create(actor=self.member, **data)
        return self.respond(IncidentSerializer(incident).data, status=201)

    @extend_schema(
        summary="Rename an incident or record when service was restored",
        request=IncidentPatchSerializer,
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        data = self.validated(IncidentPatchSerializer)
        incident = services.incident_update(actor=self.member, incident=incident, **data)
        return self.respond(IncidentSerializer(incident).data)

    @extend_schema(summary="Delete an incident (admins)", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.incident_delete(actor=self.member, incident=self.get_object())
        return Response(status=204)
