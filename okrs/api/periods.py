"""Periods: read for everyone, written and closed by admins."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin
from alignment.api_schema import WRITE_ERRORS, read_schema
from alignment.models import Role
from okrs import services
from okrs.api._base import OkrViewSet
from okrs.api.serializers import PeriodCloseSerializer, PeriodSerializer, PeriodWriteSerializer
from okrs.models import Period


class PeriodFilter(django_filters.FilterSet):
    is_closed = django_filters.BooleanFilter(
        field_name="closed_at", lookup_expr="isnull", exclude=True, help_text="Closed or open."
    )
    contains = django_filters.DateFilter(method="filter_contains", help_text="A date inside.")

    class Meta:
        model = Period
        fields = ["is_closed", "contains"]

    def filter_contains(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(start__lte=value, end__gte=value)


@read_schema(
    PeriodSerializer,
    list_summary="List periods, newest first",
    list_description=(
        "The workspace's OKR periods (quarters, halves, years) with their dates and whether "
        "they are closed."
    ),
    retrieve_summary="Get a period",
)
class PeriodViewSet(ListModelMixin, RetrieveWithETagMixin, OkrViewSet):
    queryset = Period.objects.all()
    serializer_class = PeriodSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PeriodFilter
    pagination_class = None
    read_role = Role.VIEWER
    write_role = Role.ADMIN

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("-start", "-id")

    @extend_schema(
        summary="Create a period (admin)",
        description="Create an OKR period with a name and start and end dates. Admins only.",
        request=PeriodWriteSerializer,
        responses={201: PeriodSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        period = services.period_create(actor=self.member, **self.validated(PeriodWriteSerializer))
        return Response(PeriodSerializer(period).data, status=201)

    @extend_schema(
        summary="Rename a period or move its dates (admin)",
        request=PeriodWriteSerializer(partial=True),
        responses={200: PeriodSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(PeriodWriteSerializer, partial=True)
        period = services.period_update(actor=self.member, period=self.get_object(), **data)
        return Response(PeriodSerializer(period).data)

    @extend_schema(summary="Delete an empty period (admin)", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.period_delete(actor=self.member, period=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Close a period: score its objectives, optionally carry unfinished KRs over",
        request=PeriodCloseSerializer,
        responses={200: PeriodSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        period = self.get_object()
        data = self.validated(PeriodCloseSerializer)
        next_period = self.in_workspace(
            Period, data.get("next_period"), "next_period", "The next period"
        )
        closed = services.period_close(
            actor=self.member,
            period=period,
            carry_over=data["carry_over"],
            next_period=next_period,
        )
        return Response(PeriodSerializer(closed).data)
