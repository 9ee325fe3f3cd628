"""The workspace's time zone over the API: everyone reads it, admins change it.

    GET /api/v1/workspaces/<slug>/time-zone/   {"time_zone": "Pacific/Auckland", "today": ...}
    PUT /api/v1/workspaces/<slug>/time-zone/   {"time_zone": "Europe/Berlin"} (admin)

Instants in API answers stay ISO 8601 in UTC whatever the zone; the zone says which calendar
day dates (sprint days, snapshot days, "today") belong to.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Role, Workspace
from alignment.timezones import (
    today,
    workspace_time_zone_set,
    workspace_zone,
    workspace_zone_name,
)


class TimeZoneSerializer(serializers.Serializer):
    time_zone = serializers.CharField(help_text="IANA zone name; UTC unless an admin set one.")
    today = serializers.DateField(help_text="The workspace's date right now.")
    utc_offset = serializers.CharField(help_text="The zone's offset from UTC right now, ±HH:MM.")


class TimeZoneWriteSerializer(serializers.Serializer):
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")


def body(workspace: Workspace) -> dict[str, Any]:
    local = timezone.localtime(timezone.now(), workspace_zone(workspace))
    offset = local.isoformat()[-6:]
    return {
        "time_zone": workspace_zone_name(workspace),
        "today": today(workspace),
        "utc_offset": offset,
    }


class TimeZoneView(WorkspaceAPIMixin, APIView):
    read_role = Role.VIEWER
    write_role = Role.ADMIN

    @extend_schema(
        summary="The workspace's time zone",
        description=(
            "The workspace's time zone: it decides which calendar day dates, sprints, check-in "
            "reminders and snapshots belong to."
        ),
        responses={200: TimeZoneSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(TimeZoneSerializer(body(self.workspace)).data)

    @extend_schema(
        summary="Set the workspace's time zone (admin)",
        description="Moves “today”, sprint day boundaries and chart days; recomputes statuses.",
        request=TimeZoneWriteSerializer,
        responses={200: TimeZoneSerializer, **WRITE_ERRORS},
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TimeZoneWriteSerializer)
        workspace = workspace_time_zone_set(actor=self.member, name=data["time_zone"])
        return Response(TimeZoneSerializer(body(workspace)).data)
