"""The workspace's OKR status thresholds over the API: everyone reads, admins change them.

    GET   okr-settings/   the thresholds in use, the defaults and the version (ETag "v<n>")
    PUT   okr-settings/   every threshold; If-Match "v<n>" (412) or body `version` (409)
    PATCH okr-settings/   some thresholds; the others keep their value

Gaps are in percentage points (10 = ten points behind the expected pace), confidences on the
0–10 check-in scale, staleness in days. `version` is 0 while nobody saved thresholds.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Role
from okrs.services import settings as service


class ThresholdValuesSerializer(serializers.Serializer):
    at_risk_points = serializers.FloatField(
        help_text="At risk when progress is this many percentage points behind the expected "
        "pace (above 0, at most 100)."
    )
    off_track_points = serializers.FloatField(
        help_text="Off track when this many points behind (at least the at-risk value)."
    )
    at_risk_confidence = serializers.IntegerField(
        help_text="At risk when the latest confidence (0–10) is at or below this."
    )
    off_track_confidence = serializers.IntegerField(
        help_text="Off track when the latest confidence is at or below this (at most the "
        "at-risk value)."
    )
    stale_after_days = serializers.IntegerField(
        help_text="At risk when a key result fed by check-ins has none for more than this many "
        "days (1–365)."
    )


class OkrSettingsSerializer(serializers.Serializer):
    """The answer: values in use, defaults, which differ from them, and the version."""

    thresholds = ThresholdValuesSerializer()
    defaults = ThresholdValuesSerializer()
    customized = serializers.ListField(
        child=serializers.CharField(), help_text="Fields whose value is not the default."
    )
    version = serializers.IntegerField(help_text="0 until saved; the ETag is v<version>.")


class OkrSettingsWriteSerializer(serializers.Serializer):
    # Shapes only (numbers or numeric strings, not booleans); the service checks ranges and
    # their order, so the page and the API give the same messages.
    at_risk_points = serializers.CharField(max_length=40)
    off_track_points = serializers.CharField(max_length=40)
    at_risk_confidence = serializers.CharField(max_length=40)
    off_track_confidence = serializers.CharField(max_length=40)
    stale_after_days = serializers.CharField(max_length=40)
    version = serializers.IntegerField(required=False, min_value=0)


def body(current: service.OkrThresholds) -> dict[str, Any]:
    return {
        "thresholds": current.values.as_dict(),
        "defaults": current.defaults.as_dict(),
        "customized": current.customized,
        "version": current.version,
    }


class OkrSettingsView(WorkspaceAPIMixin, APIView):
    read_role = Role.VIEWER
    write_role = Role.ADMIN

    @extend_schema(
        summary="The workspace's OKR status thresholds",
        description=(
            "The thresholds that decide when an objective or key result is on track, at risk or "
            "off track, and when a check-in is stale."
        ),
        responses={200: OkrSettingsSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(body(service.okr_thresholds_of(self.workspace)))

    def _write(self, *, partial: bool) -> Response:
        data = dict(self.validated(OkrSettingsWriteSerializer, partial=partial))
        data.pop("version", None)
        current = service.okr_thresholds_update(
            actor=self.member, expected_version=self.if_match_version(), **data
        )
        return Response(body(current))

    @extend_schema(
        summary="Set every OKR status threshold (admin)",
        description="Saving recomputes every objective's and key result's status.",
        request=OkrSettingsWriteSerializer,
        responses={200: OkrSettingsSerializer, **WRITE_ERRORS},
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(partial=False)

    @extend_schema(
        summary="Change some OKR status thresholds (admin)",
        description="Fields left out keep their value. Saving recomputes every status.",
        request=OkrSettingsWriteSerializer(partial=True),
        responses={200: OkrSettingsSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(partial=True)
