"""The audit log (admin): filter by verb, actor and time; cursor-paginated, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api.core import UserSerializer
from alignment.api_base import WorkspaceViewSet
from alignment.api_pagination import CursorPagination
from alignment.api_schema import ERRORS
from alignment.filters import AuditEventFilter
from alignment.models import AuditEvent, Role


class AuditEventSerializer(serializers.ModelSerializer):
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


class AuditPagination(CursorPagination):
    # Matches the (workspace, -created_at, -id) index.
    ordering = ("-created_at", "-id")  # type: ignore[assignment]


class AuditEventViewSet(WorkspaceViewSet):
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
        summary="List audit events (admin)",
        responses={200: AuditEventSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)
