"""Forecasts API: where each key result, objective, roadmap item and active sprint will land.

The numbers are the ones the pages show: every row served is brought current first
(`readmodel.forecasts.forecasts_for`: computed today from the node's current read-model row).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceViewSet
from alignment.api_query import choice_parameter, id_parameter, query_choice, query_id
from alignment.api_schema import ERRORS
from readmodel.forecasts import FORECAST_KINDS, ForecastRow, forecasts_for
from readmodel.models import Forecast, ForecastStatus

KIND_LABELS = {kind: kind.replace("_", " ") for kind in FORECAST_KINDS}


class ForecastSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="objective, key_result, roadmap_item or sprint.")
    node_id = serializers.IntegerField()
    day = serializers.DateField(help_text="The day the forecast was computed for.")
    status = serializers.ChoiceField(
        choices=ForecastStatus.choices,
        help_text=(
            "ready; no_deadline (dates only); not_enough_history (fewer than 7 observed days: "
            "no date is given); done; closed (nothing left to forecast)."
        ),
    )
    deadline = serializers.DateField(
        allow_null=True, help_text="Period end, the item's target date, or the sprint's end."
    )
    probability = serializers.FloatField(
        allow_null=True, help_text="Chance of reaching the target by the deadline (0..1)."
    )
    p50_date = serializers.DateField(
        allow_null=True, help_text="Half of the simulated runs finish by this day."
    )
    p85_date = serializers.DateField(
        allow_null=True,
        help_text="85% of the runs finish by this day (null: later than the horizon).",
    )
    p50_value = serializers.FloatField(
        allow_null=True, help_text="Share of the target at the deadline, median run (0..1)."
    )
    p85_value = serializers.FloatField(
        allow_null=True, help_text="Share of the target reached by 85% of the runs (0..1)."
    )
    band = serializers.ListField(
        child=serializers.ListField(),
        help_text="[day, low, median, high] shares between today and the deadline (P15–P85).",
    )
    history_days = serializers.IntegerField(help_text="Observed days the runs drew from.")
    runs = serializers.IntegerField()
    unit = serializers.CharField(help_text="What the history measured: progress, points, tasks.")
    progress = serializers.FloatField(help_text="Where the node stood (its read-model row).")
    as_of = serializers.DateTimeField()


def _data(row: ForecastRow) -> dict[str, Any]:
    data = ForecastSerializer(row).data
    data["band"] = [list(point) for point in row.band]
    return data


class ForecastViewSet(WorkspaceViewSet):
    queryset = Forecast.objects.all()
    serializer_class = ForecastSerializer

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        kind = query_choice(self.request, "kind", KIND_LABELS)
        node_id = query_id(self.request, "node_id")
        status = query_choice(self.request, "status", dict(ForecastStatus.choices))
        if kind:
            qs = qs.filter(kind=kind)
        if node_id is not None:
            qs = qs.filter(node_id=node_id)
        return qs.filter(status=status) if status else qs

    def _current(self, rows: list[Forecast]) -> list[dict[str, Any]]:
        keys: dict[str, list[int]] = {}
        for row in rows:
            keys.setdefault(row.kind, []).append(int(row.node_id))
        found = forecasts_for(self.workspace.pk, keys)
        current = [found.get((row.kind, int(row.node_id))) for row in rows]
        return [_data(row) for row in current if row is not None]

    @extend_schema(
        summary="List forecasts (probability of reaching the target, P50/P85 dates and values)",
        description=(
            "Forecasts of key results and roadmap items: the probability of reaching the target by"
            " the end date, and the P50 and P85 dates and values."
        ),
        parameters=[
            choice_parameter("kind", KIND_LABELS),
            id_parameter("node_id", "Only this node (with kind)."),
            choice_parameter("status", dict(ForecastStatus.choices)),
        ],
        responses={200: ForecastSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out: a page answers the current forecasts computed for its rows (`_current`),
        # not the rows serialized, and one asked-for node is forecast first.
        kind = query_choice(request, "kind", KIND_LABELS)
        node_id = query_id(request, "node_id")
        if kind and node_id is not None:
            # One node asked for: compute its forecast now if it has none yet.
            forecasts_for(self.workspace.pk, {kind: [node_id]})
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._current(list(page or [])))

    @extend_schema(summary="Get one forecast", responses={200: ForecastSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out: the current forecast computed for the row, or 404 when its node is gone.
        found = self._current([self.get_object()])
        if not found:  # the node went away since its forecast was stored
            raise NotFound("No forecast: the node it was about no longer exists.")
        return self.respond(found[0])
