"""Roadmap items over the API: dates, status, owner team, progress from the read model,
and their links to key results."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, ScopedPrimaryKeyField, WorkspaceViewSet
from alignment.api_query import IdFilter
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.errors import CrossWorkspaceLink
from alignment.models import Team
from okrs.models import KeyResult
from roadmaps import selectors, services
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemKind, RoadmapItemStatus


class KeyResultLinkSerializer(ModelSerializer):
    key_result_title = serializers.CharField(source="key_result.title", read_only=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = KeyResultLink
        fields = ["key_result", "key_result_title", "weight"]


class ItemReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    numbers = serializers.DictField(child=serializers.FloatField())
    sentence = serializers.CharField()


class ItemProgressSerializer(serializers.Serializer):
    progress = serializers.FloatField(
        allow_null=True, help_text="0..1; null while the item has no work to count."
    )
    expected = serializers.FloatField(help_text="Elapsed share of the item's own dates, 0..1.")
    health = serializers.ChoiceField(choices=["on_track", "at_risk", "off_track"])
    basis = serializers.CharField(help_text="points | count | none: what progress counted.")
    done_points = serializers.FloatField()
    total_points = serializers.FloatField()
    done_count = serializers.IntegerField()
    total_count = serializers.IntegerField(help_text="Tasks counted (canceled left out).")
    reasons = ItemReasonSerializer(many=True)
    as_of = serializers.DateTimeField()


def item_progress_data(measured: selectors.ItemProgress) -> dict[str, Any] | None:
    """An item's read-model row as the API shows it (the numbers every page shows)."""
    row = measured.row
    if row is None:
        return None
    return {
        "progress": measured.progress,
        "expected": row.expected,
        "health": row.status,
        "basis": row.basis,
        "done_points": float(row.done_points),
        "total_points": float(row.total_points),
        "done_count": row.done_count,
        "total_count": row.total_count,
        "reasons": [
            {
                "code": str(r.get("code", "")),
                "numbers": r.get("numbers") or {},
                "sentence": selectors.item_reason_sentence(r),
            }
            for r in row.reasons
        ],
        "as_of": row.as_of,
    }


class RoadmapItemSerializer(ModelSerializer):
    """An item; `progress` is its read-model row, read in bulk by the view (context "rows")."""

    key_results = KeyResultLinkSerializer(source="kr_links", many=True, read_only=True)
    blocked_by = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = RoadmapItem
        fields = [
            "id",
            "roadmap",
            "kind",
            "title",
            "description",
            "owner_team",
            "start_date",
            "target_date",
            "status",
            "key_results",
            "blocked_by",
            "progress",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_blocked_by(self, item: RoadmapItem) -> list[int]:
        return [d.blocking_id for d in item.blocked_by.all()]

    @extend_schema_field(ItemProgressSerializer(allow_null=True))
    def get_progress(self, item: RoadmapItem) -> dict[str, Any] | None:
        rows = self.context.get("rows") or {}
        return item_progress_data(selectors.ItemProgress(rows.get(item.pk)))


class RoadmapItemWriteSerializer(serializers.Serializer):
    roadmap = ScopedPrimaryKeyField(Roadmap)
    kind = serializers.ChoiceField(choices=RoadmapItemKind.choices, default=RoadmapItemKind.EPIC)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner_team = ScopedPrimaryKeyField(Team, required=False, allow_null=True, default=None)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    target_date = serializers.DateField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(
        choices=RoadmapItemStatus.choices, default=RoadmapItemStatus.PLANNED
    )


class RoadmapItemPatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RoadmapItemKind.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    owner_team = ScopedPrimaryKeyField(Team, required=False, allow_null=True)
    start_date = serializers.DateField(required=False, allow_null=True)
    target_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=RoadmapItemStatus.choices, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class KeyResultLinkWriteSerializer(serializers.Serializer):
    key_result = ScopedPrimaryKeyField(KeyResult)
    weight = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        default=Decimal("1"),
    )


class RoadmapItemFilter(django_filters.FilterSet):
    roadmap = IdFilter(field_name="roadmap_id")
    owner_team = IdFilter(field_name="owner_team_id")
    status = django_filters.ChoiceFilter(choices=RoadmapItemStatus.choices)
    kind = django_filters.ChoiceFilter(choices=RoadmapItemKind.choices)
    key_result = IdFilter(field_name="kr_links__key_result_id", distinct=True)

    class Meta:
        model = RoadmapItem
        fields = ["roadmap", "owner_team", "status", "kind", "key_result"]


@extend_schema_view(
    list=extend_schema(
        summary="List roadmap items",
        description=(
            "Roadmap items with dates, status, owner team, the key results they serve and their "
            "progress from the read model. Filter by roadmap, owner team, status, kind or key "
            "result."
        ),
        responses={200: RoadmapItemSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get a roadmap item", responses={200: RoadmapItemSerializer, **ERRORS}
    ),
)
class RoadmapItemViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = RoadmapItem.objects.all()
    serializer_class = RoadmapItemSerializer
    filterset_class = RoadmapItemFilter
    ordering_fields = ["id", "start_date", "target_date"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("owner_team").prefetch_related(
            Prefetch("kr_links", queryset=KeyResultLink.objects.select_related("key_result")),
            "blocked_by",
        )

    def _fresh(self, item: RoadmapItem) -> RoadmapItem:
        return self.get_queryset().get(pk=item.pk)  # type: ignore[no-any-return]

    def context_for_rows(self, rows: list[Any]) -> dict[str, Any]:
        # Every item's progress in one bulk read of the read model.
        return {"rows": selectors.item_rows(self.workspace, [item.pk for item in rows])}

    def _item_data(self, item: RoadmapItem) -> Any:
        return self.get_serializer(item).data

    @extend_schema(
        summary="Create a roadmap item",
        description=(
            "Add an initiative or epic to a roadmap, with dates and an owning team. Link it to key"
            " results to count its work toward them."
        ),
        request=RoadmapItemWriteSerializer,
        responses={201: RoadmapItemSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = services.roadmap_item_create(
            actor=self.member, **self.validated(RoadmapItemWriteSerializer)
        )
        return self.respond(self._item_data(self._fresh(item)), status=201, obj=item)

    @extend_schema(
        summary="Change a roadmap item (reschedule, re-own, close)",
        request=RoadmapItemPatchSerializer,
        responses={200: RoadmapItemSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(RoadmapItemPatchSerializer)
        data.pop("version", None)
        item = services.roadmap_item_update(
            actor=self.member,
            item=self.get_object(),
            expected_version=self.if_match_version(),
            **data,
        )
        return self.respond(self._item_data(self._fresh(item)), obj=item)

    @extend_schema(summary="Delete a roadmap item", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.roadmap_item_delete(actor=self.member, item=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Link the item to a key result (or change the link's weight)",
        request=KeyResultLinkWriteSerializer,
        responses={200: RoadmapItemSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="key-results")
    def link_key_result(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        services.roadmap_item_link_key_result(
            actor=self.member, item=item, **self.validated(KeyResultLinkWriteSerializer)
        )
        return self.respond(self._item_data(self._fresh(item)))

    @extend_schema(
        summary="Unlink the item from a key result",
        responses={204: None, **WRITE_ERRORS},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"key-results/(?P<key_result_id>[0-9]+)",
    )
    def unlink_key_result(
        self, request: Request, *args: Any, key_result_id: str, **kwargs: Any
    ) -> Response:
        item = self.get_object()
        key_result = (
            KeyResult.objects.for_workspace(self.workspace).filter(pk=int(key_result_id)).first()
        )
        if key_result is None:
            raise CrossWorkspaceLink(what="The key result")  # a path id: 404, like any lookup
        services.roadmap_item_unlink_key_result(actor=self.member, item=item, key_result=key_result)
        return Response(status=204)
