"""Dashboards API: rollups, findings, team metrics and snapshots (read), deployments and
incidents (DORA inputs, read and write). Reads come from materialized rows only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, ScopedPrimaryKeyField, WorkspaceViewSet
from alignment.api_pagination import CursorPagination
from alignment.api_schema import WRITE_ERRORS, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import Role, Team
from dashboards import freshness, services
from dashboards.filters import (
    DeploymentFilter,
    IncidentFilter,
    RollupFilter,
    SnapshotFilter,
    TeamMetricsFilter,
)
from dashboards.models import (
    Deployment,
    Incident,
    Rollup,
    Snapshot,
    TeamMetrics,
)


class RollupSerializer(ModelSerializer):
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


@read_schema(
    RollupSerializer,
    list_summary="List materialized rollups (progress, status and reasons of every node)",
    list_description=(
        "The materialized progress of every objective, key result, roadmap item, sprint and "
        "team: progress, done and total, status, the reasons for it and when it was computed."
    ),
    retrieve_summary="Get one rollup",
)
class RollupViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = Rollup.objects.all()
    serializer_class = RollupSerializer

    filterset_class = RollupFilter


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


class TeamMetricsSerializer(ModelSerializer):
    class Meta:
        model = TeamMetrics
        fields = ["id", "team", "data", "computed_at"]


@read_schema(
    TeamMetricsSerializer,
    list_summary="List team metrics: sprint flow, velocity, cycle time, throughput, WIP, DORA",
    list_description=(
        "Each team's delivery numbers: sprint flow, velocity, cycle time, throughput, work in "
        "progress and the four DORA metrics."
    ),
    retrieve_summary="Get one team's metrics",
)
class TeamMetricsViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = TeamMetrics.objects.all()
    serializer_class = TeamMetricsSerializer

    filterset_class = TeamMetricsFilter

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out for the refresh: embedded, drain stale marks before reading the rows.
        freshness.ensure_fresh(self.workspace)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out for the refresh: look the team up first (a refused or unknown team is a
        # 404 that refreshes nothing), then drain stale marks and read the row again.
        metrics = self.get_object()
        freshness.ensure_fresh(self.workspace)
        metrics.refresh_from_db()
        return self.respond(self.get_serializer(metrics).data)


class SnapshotSerializer(ModelSerializer):
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


@read_schema(
    SnapshotSerializer,
    list_summary="List daily snapshots (trends, burnup, burndown)",
    list_description=(
        "Daily snapshots of each node's progress and counts, the history behind trend, burnup "
        "and burndown charts. `since` and `until` bound the days."
    ),
    retrieve_summary="Get one snapshot",
)
class SnapshotViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = Snapshot.objects.all()
    serializer_class = SnapshotSerializer

    filterset_class = SnapshotFilter


class DeploymentSerializer(ModelSerializer):
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


class TeamRecordViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    """A team's delivery records (deployments, incidents): members record, admins delete."""

    action_roles = {"destroy": Role.ADMIN}

    def record(
        self, write_serializer: type[serializers.Serializer], create: Callable[..., Model]
    ) -> Response:
        """Create the row from the validated body through `create`: 201 with the row."""
        row = create(actor=self.member, **self.validated(write_serializer))
        return self.respond(self.get_serializer_class()(row).data, status=201)


@read_schema(
    DeploymentSerializer,
    list_summary="List deployments",
    list_description=(
        "Deployments recorded for the workspace's teams, newest first, with whether each "
        "caused a failure. They feed the DORA metrics."
    ),
    retrieve_summary="Get a deployment",
)
class DeploymentViewSet(TeamRecordViewSet):
    queryset = Deployment.objects.all()
    serializer_class = DeploymentSerializer

    filterset_class = DeploymentFilter

    @extend_schema(
        summary="Record a deployment",
        description=(
            "Record a deployment of a team's service (CI systems usually send these through their "
            "integration). It counts toward deployment frequency and lead time."
        ),
        request=DeploymentWriteSerializer,
        responses={201: DeploymentSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(DeploymentWriteSerializer, services.deployment_create)

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


class IncidentSerializer(ModelSerializer):
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


@read_schema(
    IncidentSerializer,
    list_summary="List incidents",
    list_description=(
        "Incidents recorded for the workspace's teams, newest first, with when service was "
        "restored. They feed the DORA failure and recovery metrics."
    ),
    retrieve_summary="Get an incident",
)
class IncidentViewSet(TeamRecordViewSet):
    queryset = Incident.objects.all()
    serializer_class = IncidentSerializer

    filterset_class = IncidentFilter

    @extend_schema(
        summary="Record an incident",
        description=("Record an incident for a team; set when service was restored once it is."),
        request=IncidentWriteSerializer,
        responses={201: IncidentSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(IncidentWriteSerializer, services.incident_create)

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
