"""Roadmap item dependencies over the API: which item waits for which."""

from __future__ import annotations

from decimal import Decimal
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
from roadmaps import services
from roadmaps.models import RoadmapItem, RoadmapItemDependency


class RoadmapItemDependencySerializer(ModelSerializer):
    class Meta:
        model = RoadmapItemDependency
        fields = ["id", "blocking", "blocked", "created_at"]


class RoadmapItemDependencyWriteSerializer(serializers.Serializer):
    blocking = ScopedPrimaryKeyField(RoadmapItem)
    blocked = ScopedPrimaryKeyField(RoadmapItem)


class RoadmapItemDependencyFilter(django_filters.FilterSet):
    item = IdFilter(
        method="filter_item",
        help_text="One item's dependencies, both the ones it waits for and the ones waiting "
        "for it (an item id).",
    )

    class Meta:
        model = RoadmapItemDependency
        fields = ["item"]

    def filter_item(self, queryset: QuerySet, name: str, value: Decimal) -> QuerySet:
        return queryset.filter(blocked_id=int(value)) | queryset.filter(blocking_id=int(value))


@extend_schema_view(
    list=extend_schema(
        summary="List roadmap item dependencies (?item= for one item's)",
        description=(
            "Which roadmap items wait for which. `?item=` gives one item's dependencies in both "
            "directions."
        ),
        responses={200: RoadmapItemDependencySerializer(many=True), **ERRORS},
    ),
)
class RoadmapItemDependencyViewSet(ListModelMixin, WorkspaceViewSet):
    queryset = RoadmapItemDependency.objects.all()
    serializer_class = RoadmapItemDependencySerializer
    filterset_class = RoadmapItemDependencyFilter
    pagination_class = CappedList

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("pk")

    @extend_schema(
        summary="Make one item wait for another (cycles are refused with 409)",
        description=(
            "Make one roadmap item wait for another. A dependency that would close a cycle is "
            "refused with 409."
        ),
        request=RoadmapItemDependencyWriteSerializer,
        responses={201: RoadmapItemDependencySerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        dependency = services.roadmap_item_dependency_add(
            actor=self.member, **self.validated(RoadmapItemDependencyWriteSerializer)
        )
        return Response(RoadmapItemDependencySerializer(dependency).data, status=201)

    @extend_schema(summary="Remove an item dependency", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.roadmap_item_dependency_remove(actor=self.member, dependency=self.get_object())
        return Response(status=204)
