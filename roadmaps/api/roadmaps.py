"""Roadmaps over the API: the workspace's roadmaps and one roadmap as a timeline."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_pagination import CappedList
from alignment.api_query import choice_parameter, query_choice
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.models import Role
from roadmaps import selectors, services
from roadmaps.models import Roadmap

GROUPINGS = ["team", "objective"]  # the timeline's `?group_by=`


class RoadmapSerializer(ModelSerializer):
    class Meta:
        model = Roadmap
        fields = ["id", "name", "description", "version", "created_at", "updated_at"]


class RoadmapWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=1)


class RoadmapList(CappedList):
    cap = 200


@extend_schema_view(
    list=extend_schema(
        summary="List roadmaps",
        description=("The workspace's roadmaps by name."),
        responses={200: RoadmapSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Get a roadmap", responses={200: RoadmapSerializer, **ERRORS}),
)
class RoadmapViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = Roadmap.objects.all()
    serializer_class = RoadmapSerializer
    action_roles = {"destroy": Role.ADMIN}
    pagination_class = RoadmapList

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("name", "pk")

    @extend_schema(
        summary="Create a roadmap",
        description=("Create a roadmap; add initiatives and epics to it as roadmap items."),
        request=RoadmapWriteSerializer,
        responses={201: RoadmapSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(RoadmapWriteSerializer)
        data.pop("version", None)
        roadmap = services.roadmap_create(actor=self.member, **data)
        return self.respond(RoadmapSerializer(roadmap).data, status=201, obj=roadmap)

    @extend_schema(
        summary="Rename or describe a roadmap",
        request=RoadmapWriteSerializer(partial=True),
        responses={200: RoadmapSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(RoadmapWriteSerializer, partial=True)
        data.pop("version", None)
        roadmap = services.roadmap_update(
            actor=self.member,
            roadmap=self.get_object(),
            expected_version=self.if_match_version(),
            **data,
        )
        return self.respond(RoadmapSerializer(roadmap).data, obj=roadmap)

    @extend_schema(
        summary="Delete a roadmap and its items (admin)", responses={204: None, **WRITE_ERRORS}
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.roadmap_delete(actor=self.member, roadmap=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="The roadmap as a timeline: bars on a month/quarter grid",
        parameters=[
            choice_parameter(
                "group_by",
                GROUPINGS,
                "Rows of the timeline: one per owner team (`team`, the default) or per "
                "objective the items serve (`objective`).",
            )
        ],
        responses={
            200: inline_serializer(
                name="Timeline",
                fields={
                    "start": serializers.DateField(),
                    "end": serializers.DateField(),
                    "today_left": serializers.FloatField(allow_null=True),
                    "months": serializers.ListField(child=serializers.DictField()),
                    "quarters": serializers.ListField(child=serializers.DictField()),
                    "groups": serializers.ListField(child=serializers.DictField()),
                    "dependencies": serializers.ListField(
                        child=serializers.ListField(child=serializers.IntegerField())
                    ),
                },
            ),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        group_by = query_choice(request, "group_by", GROUPINGS) or "team"
        timeline = selectors.roadmap_timeline(
            self.workspace,
            self.get_object(),  # type: ignore[arg-type]
            group_by,  # type: ignore[arg-type]
            viewer=self.member,
        )
        return Response(timeline_data(timeline))


def _column(column: selectors.GridColumn) -> dict[str, Any]:
    return {
        "label": column.label,
        "start": column.start,
        "end": column.end,
        "left": round(column.left, 6),
        "width": round(column.width, 6),
    }


def timeline_data(timeline: selectors.Timeline) -> dict[str, Any]:
    return {
        "start": timeline.start,
        "end": timeline.end,
        "today": timeline.today,
        "today_left": None if timeline.today_left is None else round(timeline.today_left, 6),
        "group_by": timeline.group_by,
        "months": [_column(c) for c in timeline.months],
        "quarters": [_column(c) for c in timeline.quarters],
        "groups": [
            {
                "key": group.key,
                "label": group.label,
                "bars": [
                    {
                        "item": bar.item.pk,
                        "title": bar.item.title,
                        "kind": bar.item.kind,
                        "status": bar.item.status,
                        "start": bar.start,
                        "end": bar.end,
                        "left": None if bar.left is None else round(bar.left, 6),
                        "width": None if bar.width is None else round(bar.width, 6),
                        "is_late": bar.is_late,
                        "is_blocked": bar.is_blocked,
                        "starts_before_blocker_ends": bar.starts_before_blocker_ends,
                        "blocked_by": bar.blocked_by,
                        "blocks": bar.blocks,
                        "progress": bar.progress,  # the item's read-model row
                        "health": bar.measured.status,
                        "basis": bar.measured.basis,
                        "key_results": bar.key_result_ids,
                    }
                    for bar in group.bars
                ],
            }
            for group in timeline.groups
        ],
        "dependencies": [list(edge) for edge in timeline.dependencies],
    }
