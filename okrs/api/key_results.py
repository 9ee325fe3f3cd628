"""Key results and their check-ins."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin
from alignment.api_pagination import CursorPagination
from alignment.api_query import IdFilter
from alignment.api_schema import ERRORS, WRITE_ERRORS, ErrorSerializer, read_schema
from okrs import selectors, services
from okrs.api._base import OkrRowViewSet, OkrViewSet
from okrs.api.serializers import (
    CheckInSerializer,
    CheckInWriteSerializer,
    KeyResultSerializer,
    KeyResultUpdateSerializer,
    KeyResultWriteSerializer,
)
from okrs.models import CheckIn, KeyResult, Objective


class KeyResultFilter(django_filters.FilterSet):
    objective = IdFilter(field_name="objective_id")
    period = IdFilter(field_name="objective__period_id")
    owner = IdFilter(field_name="owner_id")
    kind = django_filters.ChoiceFilter(choices=KeyResult._meta.get_field("kind").choices)
    source = django_filters.ChoiceFilter(choices=KeyResult._meta.get_field("source").choices)

    class Meta:
        model = KeyResult
        fields = ["objective", "period", "owner", "kind", "source"]


class CheckInPagination(CursorPagination):
    ordering = ("-created_at", "-id")  # type: ignore[assignment]


def kr_nodes(workspace: Any, key_results: list[KeyResult]) -> dict[int, Any]:
    """Progress of a page of KRs, computed with their objectives in a fixed number of queries."""
    objectives = list({kr.objective_id: kr.objective for kr in key_results}.values())
    nodes = selectors.progress_for_objectives(workspace, objectives)
    return {kr.key_result.pk: kr for node in nodes.values() for kr in node.key_results}


@extend_schema_view(
    list=extend_schema(
        summary="List key results (filter by objective, period, owner, kind, source)",
        description=(
            "Key results of the workspace, with their target, current value and progress from the "
            "read model. Filter by objective, period, owner, kind or source."
        ),
        responses={200: KeyResultSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get a key result (ETag; If-None-Match answers 304)",
        responses={200: KeyResultSerializer, 304: None, **ERRORS},
    ),
)
class KeyResultViewSet(OkrRowViewSet):
    queryset = KeyResult.objects.all()
    serializer_class = KeyResultSerializer
    filterset_class = KeyResultFilter

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("owner", "objective__period", "objective__workspace")

    def context_for_rows(self, rows: list[Any]) -> dict[str, Any]:
        return {"kr_nodes": kr_nodes(self.workspace, rows)}

    @extend_schema(
        summary="Add a key result to an objective",
        description=(
            "Add a key result to an objective: how it is measured (kind and source), its baseline "
            "and target. Progress is computed from check-ins, linked work or aligned objectives."
        ),
        request=KeyResultWriteSerializer,
        responses={201: KeyResultSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(self.validated(KeyResultWriteSerializer))
        self.resolve_ids(data, {"objective": (Objective, "The objective")})
        kr = services.key_result_create(actor=self.member, **data)
        return self.respond(self.row_data(kr), status=201, obj=kr)

    @extend_schema(
        summary="Change a key result's definition (If-Match → 412, stale version → 409)",
        request=KeyResultUpdateSerializer,
        responses={200: KeyResultSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kr = self.get_object()
        data = self.update_fields(KeyResultUpdateSerializer, {})
        updated = self.versioned(
            lambda version: services.key_result_update(
                actor=self.member, key_result=kr, expected_version=version, **data
            )
        )
        return self.respond(self.row_data(updated), obj=updated)

    @extend_schema(summary="Delete a key result", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kr = self.get_object()
        self.versioned(
            lambda version: services.key_result_delete(
                actor=self.member, key_result=kr, expected_version=version
            )
        )
        return Response(status=204)

    @extend_schema(
        summary="Check-ins of a key result (GET lists newest first, POST records one)",
        description=(
            "POST records a value and confidence on a key result whose `source` is `manual` "
            "(and on done/not-done and milestone results whatever their source). A key result "
            "with `source` `tasks` (numeric) or `children` takes its progress from linked work "
            "or aligned objectives: a check-in with `value` or `steps_done` is refused with "
            "409 `check_in_not_accepted` and nothing is stored. Without `value` it records "
            "`confidence` and `note` only (the stored `value` is the unchanged current one). "
            "Their history is the daily snapshots: `GET …/snapshots/?kind=key_result&node_id=`."
        ),
        request=CheckInWriteSerializer,
        responses={
            200: CheckInSerializer(many=True),
            201: CheckInSerializer,
            **WRITE_ERRORS,
            409: OpenApiResponse(
                response=ErrorSerializer,
                description=(
                    "`check_in_not_accepted`: the key result takes its progress from linked "
                    "work or aligned objectives, so a value is not accepted; or "
                    "`stale_version`, `period_closed`, `objective_not_open`."
                ),
            ),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="check-ins",
        filter_backends=[],
        pagination_class=CheckInPagination,
    )
    def check_ins(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kr = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        if request.method == "POST":
            data = dict(self.validated(CheckInWriteSerializer))
            data.pop("version", None)
            check_in = self.versioned(
                lambda version: services.key_result_check_in(
                    actor=self.member, key_result=kr, expected_version=version, **data
                )
            )
            return Response(CheckInSerializer(check_in).data, status=201)
        rows = CheckIn.objects.for_workspace(self.workspace).filter(key_result=kr)
        page = self.paginate_queryset(rows.select_related("author"))
        return self.get_paginated_response(CheckInSerializer(page, many=True).data)


class CheckInFilter(django_filters.FilterSet):
    key_result = IdFilter(field_name="key_result_id")
    author = IdFilter(field_name="author_id")

    class Meta:
        model = CheckIn
        fields = ["key_result", "author"]


@read_schema(
    CheckInSerializer,
    list_summary="List check-ins (filter by key_result, author)",
    list_description=(
        "Check-ins across the workspace, newest first: the value, confidence and note recorded"
        " on a key result. Filter by key result or author. To record one, POST to the key "
        "result's check-ins."
    ),
    retrieve_summary="Get a check-in",
)
class CheckInViewSet(ListModelMixin, RetrieveWithETagMixin, OkrViewSet):
    """Read-only: check-ins are appended through key-results/{id}/check-ins/."""

    queryset = CheckIn.objects.all()
    serializer_class = CheckInSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CheckInFilter
    pagination_class = CheckInPagination

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("author")
