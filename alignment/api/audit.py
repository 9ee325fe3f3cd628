"""The audit log (admin): filter by verb, actor and time; cursor-paginated, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import renderers, serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request

from alignment.api.core import UserSerializer
from alignment.api_base import WorkspaceViewSet
from alignment.api_pagination import CursorPagination
from alignment.api_query import query_choice
from alignment.api_schema import ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.audit_export import EXPORT_FORMATS, audit_export_response
from alignment.filters import AuditEventFilter
from alignment.models import AuditEvent, Role


class AuditEventSerializer(ModelSerializer):
    actor = UserSerializer(read_only=True, allow_null=True)
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "verb",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
        ]


class AuditExportRecordSerializer(serializers.Serializer):
    """One exported event (documentation of the JSON export; the rows are written directly)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_email = serializers.EmailField(allow_null=True)
    verb = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField(allow_blank=True)
    object_repr = serializers.CharField(allow_blank=True)
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AuditPagination(CursorPagination):
    # Matches the (workspace, -created_at, -id) index.
    ordering = ("-created_at", "-id")  # type: ignore[assignment]


class CSVStreamRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/csv` through content negotiation; the view streams the body itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (admin)",
        description=(
            "Who changed what in this workspace, newest first: the actor, the action, the object "
            "and the fields before and after. Admins only; cursor-paginated."
        ),
        responses={200: AuditEventSerializer(many=True), **ERRORS},
    ),
)
class AuditEventViewSet(ListModelMixin, WorkspaceViewSet):
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter
    pagination_class = AuditPagination
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("actor")

    @extend_schema(
        summary="Export audit events as CSV or JSON (admin)",
        description=(
            "The whole filtered audit log as one streamed download, newest first: no paging. "
            "`export_format=csv` (the default) gives formula-safe CSV cells; `json` gives an "
            "array of the same objects as the list, with the actor as `actor_id` and "
            "`actor_email`."
        ),
        parameters=[
            OpenApiParameter(
                "export_format",
                OpenApiTypes.STR,
                enum=[*EXPORT_FORMATS],
                default="csv",
                description="The file's format: `csv` (the default) or `json`.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): AuditExportRecordSerializer(many=True),
            **ERRORS,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[renderers.JSONRenderer, CSVStreamRenderer],
        pagination_class=None,
    )
    def export(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        export_format = query_choice(request, "export_format", EXPORT_FORMATS) or "csv"
        return audit_export_response(
            workspace=self.workspace,
            events=self.filter_queryset(self.get_queryset()),
            export_format=export_format,
        )
