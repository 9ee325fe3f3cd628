"""Objectives: flat list with filters, the tree, explanation, writes with versions, comments."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_query import IdFilter, choice_parameter, query_choice
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Team
from okrs import selectors, services
from okrs.api._base import OkrRowViewSet
from okrs.api.serializers import (
    CheckInSerializer,
    CommentSerializer,
    CommentWriteSerializer,
    ObjectiveSerializer,
    ObjectiveUpdateSerializer,
    ObjectiveWriteSerializer,
    PeriodSerializer,
)
from okrs.api.serializers_tree import (
    ExplanationSerializer,
    TreeQuerySerializer,
    TreeSerializer,
    kr_node_data,
    tree_node_data,
)
from okrs.health import STATUS_LABELS
from okrs.models import KeyResult, Objective, ObjectiveComment, Period

ID_FIELDS = {
    "period": (Period, "The period"),
    "team": (Team, "The team"),
    "parent": (Objective, "The parent objective"),
    "parent_key_result": (KeyResult, "The parent key result"),
}


class ObjectiveFilter(django_filters.FilterSet):
    period = IdFilter(field_name="period_id")
    team = IdFilter(field_name="team_id")
    owner = IdFilter(field_name="owner_id")
    parent = IdFilter(field_name="parent_id")
    status = django_filters.ChoiceFilter(choices=Objective._meta.get_field("status").choices)
    level = django_filters.ChoiceFilter(choices=Objective._meta.get_field("level").choices)

    class Meta:
        model = Objective
        fields = ["period", "team", "owner", "parent", "status", "level"]


@extend_schema_view(
    retrieve=extend_schema(
        summary="Get an objective (ETag; If-None-Match answers 304)",
        responses={200: ObjectiveSerializer, 304: None, **ERRORS},
    ),
)
class ObjectiveViewSet(OkrRowViewSet):
    queryset = Objective.objects.all()
    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("period", "owner")

    def context_for_rows(self, rows: list[Any]) -> dict[str, Any]:
        return {"nodes": selectors.progress_for_objectives(self.workspace, rows)}

    @extend_schema(
        summary="List objectives (flat), or the tree with ?view=tree",
        description=(
            "Objectives of the workspace with progress, status and the reasons for the status. "
            "`?view=tree` answers the tree of a period instead of a flat list."
        ),
        parameters=[
            OpenApiParameter("view", OpenApiTypes.STR, enum=["tree"]),
            choice_parameter("health", STATUS_LABELS, "Tree view only."),
        ],
        responses={200: ObjectiveSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out because `?view=tree` answers another shape (the period's tree) on this URL.
        if query_choice(request, "view", ["tree"]) == "tree":
            return self._tree(request)
        query_choice(request, "health", STATUS_LABELS)  # a typo is a 400 in the flat list too
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="The objective tree of a period, with progress, status and reasons",
        description=(
            "A period's objectives as a tree, each with its key results, progress, status and "
            "reasons, in the order the OKR page shows them."
        ),
        parameters=[TreeQuerySerializer],
        responses={200: TreeSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def tree(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._tree(request)

    def _tree(self, request: Request) -> Response:
        query = TreeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        period_id = filters.pop("period", None)
        filters.pop("view", None)
        if period_id is not None:
            period = self.in_workspace(Period, period_id, "period", "The period")
        else:
            period = selectors.current_period(self.workspace)
        if period is None:
            raise NotFound("This workspace has no periods yet.")
        tree = selectors.objective_tree_for_period(self.workspace, period, filters)
        return Response(
            {
                "period": PeriodSerializer(period).data,
                "today": tree.today,
                "counts": tree.status_counts,
                "roots": [tree_node_data(node, tree.names) for node in tree.roots],
            }
        )

    @extend_schema(
        summary="Create an objective (company level: admin)",
        description=(
            "Create an objective in a period, for a team or the whole company (company objectives "
            "need an admin). It may align under a parent objective or key result."
        ),
        request=ObjectiveWriteSerializer,
        responses={201: ObjectiveSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(self.validated(ObjectiveWriteSerializer))
        self.resolve_ids(data, ID_FIELDS)
        objective = services.objective_create(actor=self.member, **data)
        return self.respond(self.row_data(objective), status=201, obj=objective)

    @extend_schema(
        summary="Change an objective (If-Match → 412, stale body version → 409)",
        request=ObjectiveUpdateSerializer,
        responses={200: ObjectiveSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        objective = self.get_object()
        data = self.update_fields(ObjectiveUpdateSerializer, ID_FIELDS)
        updated = self.versioned(
            lambda version: services.objective_update(
                actor=self.member, objective=objective, expected_version=version, **data
            )
        )
        return self.respond(self.row_data(updated), obj=updated)

    @extend_schema(
        summary="Archive an objective (If-Match → 412)",
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        objective = self.get_object()
        self.versioned(
            lambda version: services.objective_archive(
                actor=self.member, objective=objective, expected_version=version
            )
        )
        return Response(status=204)

    @extend_schema(
        summary="Why the objective's progress and status are what they are",
        responses={200: ExplanationSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def explanation(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        objective = self.get_object()
        explained = selectors.objective_explanation(objective)
        names = explained.names
        nodes = {objective.pk: explained.node}
        return Response(
            {
                "objective": ObjectiveSerializer(objective, context={"nodes": nodes}).data,
                "key_results": [
                    {
                        **kr_node_data(item.node, names),
                        "check_ins": CheckInSerializer(item.check_ins, many=True).data,
                    }
                    for item in explained.key_results
                ],
                "aligned": [tree_node_data(node, names) for node in explained.aligned],
                "comments": CommentSerializer(explained.comments, many=True).data,
            }
        )

    @extend_schema(
        summary="Comments on an objective (GET lists, POST adds)",
        request=CommentWriteSerializer,
        responses={200: CommentSerializer(many=True), 201: CommentSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def comments(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        objective = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        if request.method == "POST":
            body = self.validated(CommentWriteSerializer)["body"]
            comment = services.objective_comment_add(
                actor=self.member, objective=objective, body=body
            )
            return Response(CommentSerializer(comment).data, status=201)
        comments = (
            ObjectiveComment.objects.for_workspace(self.workspace)
            .filter(objective=objective)
            .select_related("author")
        )
        return Response(CommentSerializer(comments, many=True).data)
