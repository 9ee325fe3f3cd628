"""What a key result's or an objective's number is made of, over the API.

    GET key-results/<id>/explanation/   its linked items and their tasks, aligned objectives,
                                        or its own values and latest check-ins; ?item=<id>
                                        lists every task (up to 200) of one linked item
    GET objectives/<id>/progress-explanation/
                                        each key result's (and aligned objective's) weight
                                        share × progress = contribution

Numbers come from the materialized rollup rows (`dashboards.explain`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin
from alignment.api_query import id_parameter, query_id
from alignment.api_schema import ERRORS
from alignment.errors import NotFound
from alignment.models import Role
from dashboards import explain
from okrs.models import KeyResult, Objective

_Row = inline_serializer(
    name="ProgressExplanationRow",
    fields={
        "progress": serializers.FloatField(help_text="0..1, from the node's rollup row."),
        "percent": serializers.IntegerField(),
        "expected_percent": serializers.IntegerField(),
        "basis": serializers.CharField(help_text="points, count, tasks, children, check_ins…"),
        "basis_label": serializers.CharField(),
        "status": serializers.CharField(),
        "done_points": serializers.FloatField(),
        "total_points": serializers.FloatField(),
        "done_count": serializers.IntegerField(),
        "total_count": serializers.IntegerField(),
        "computed_at": serializers.DateTimeField(),
    },
    allow_null=True,
)
_Task = inline_serializer(
    name="ProgressExplanationTask",
    fields={
        "id": serializers.IntegerField(),
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "state": serializers.CharField(),
        "category": serializers.CharField(),
        "points": serializers.FloatField(allow_null=True),
        "is_done": serializers.BooleanField(),
        "is_counted": serializers.BooleanField(help_text="False for canceled tasks."),
        "assignee": serializers.CharField(),
        "url": serializers.CharField(allow_null=True),
    },
)
_Item = inline_serializer(
    name="ProgressExplanationItem",
    fields={
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "status": serializers.CharField(),
        "url": serializers.CharField(allow_null=True),
        "weight": serializers.FloatField(help_text="The link's weight."),
        "row": _Row,
        "tasks": serializers.ListField(child=_Task),
        "task_count": serializers.IntegerField(help_text="Every task under the item."),
        "tasks_truncated": serializers.BooleanField(
            help_text="Only the first 50 tasks are listed; ?item=<id> lists up to 200."
        ),
        "tasks_changed": serializers.BooleanField(
            help_text="The tasks no longer add up to the item's row: it is being refreshed."
        ),
        "tasks_url": serializers.CharField(allow_null=True),
        "weighted_done_points": serializers.FloatField(),
        "weighted_total_points": serializers.FloatField(),
    },
)
_Part = inline_serializer(
    name="ProgressExplanationPart",
    fields={
        "kind": serializers.CharField(help_text="key_result or objective"),
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "url": serializers.CharField(allow_null=True),
        "weight": serializers.FloatField(),
        "share": serializers.FloatField(help_text="Share of the total weight, 0..1."),
        "progress": serializers.FloatField(allow_null=True),
        "status": serializers.CharField(),
        "contribution": serializers.FloatField(help_text="share × progress."),
    },
)
_CheckIn = inline_serializer(
    name="ProgressExplanationCheckIn",
    fields={
        "created_at": serializers.DateTimeField(),
        "value": serializers.FloatField(),
        "confidence": serializers.IntegerField(),
        "note": serializers.CharField(),
        "author": serializers.CharField(),
    },
)
ExplanationSerializer = inline_serializer(
    name="ProgressExplanation",
    fields={
        "kind": serializers.CharField(help_text="key_result or objective"),
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "source": serializers.CharField(help_text="manual, tasks, children or key_results"),
        "row": _Row,
        "summary": serializers.CharField(),
        "arithmetic": serializers.CharField(
            help_text="The formula with the rows' numbers, e.g. "
            "“Σ weight × done points / Σ weight × total points = 34.0 / 71.0 = 48%”."
        ),
        "items": serializers.ListField(child=_Item),
        "parts": serializers.ListField(child=_Part),
        "check_ins": serializers.ListField(child=_CheckIn),
        "next_step": serializers.CharField(),
        "reconciles": serializers.BooleanField(
            help_text="False while a refresh is on its way (the inputs changed since)."
        ),
        "url": serializers.CharField(help_text="The explanation page."),
    },
)


def _json(value: Any) -> Any:
    """Decimals as numbers, datetimes as ISO 8601, all the way down."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


class KeyResultExplanationView(WorkspaceAPIMixin, APIView):
    read_role = Role.VIEWER

    @extend_schema(
        summary="What a key result's progress is made of, down to the tasks",
        description=(
            "From the materialized rollup rows: for `source` `tasks`, each linked roadmap item "
            "(link weight, done/total points and counts, progress) and its tasks (key, state, "
            "points, done, assignee; the first 50 per item, `?item=<id>` for up to 200 of one "
            "item); for `children`, the aligned objectives with weights and progress; for "
            "`manual`, baseline → current → target and the latest check-ins. `arithmetic` "
            "writes the formula out with the numbers."
        ),
        parameters=[
            id_parameter(
                "item",
                "A roadmap item linked to this key result: list all its tasks (up to 200). An "
                "item not linked to it is a 404.",
            )
        ],
        responses={200: ExplanationSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key_result = get_object_or_404(
            KeyResult.objects.for_workspace(self.workspace), pk=kwargs["key_result_id"]
        )
        item_id = query_id(request, "item")
        explanation = explain.key_result_explanation(self.workspace, key_result, item_id=item_id)
        if item_id is not None and item_id not in {i.id for i in explanation.items}:
            raise NotFound("No such roadmap item is linked to this key result.")
        return Response(_json(explanation.as_dict()))


class ObjectiveExplanationView(WorkspaceAPIMixin, APIView):
    read_role = Role.VIEWER

    @extend_schema(
        summary="What an objective's progress is made of",
        description=(
            "From the materialized rollup rows: each input of the objective's number (its key "
            "results, and the objectives aligned under it when its row counts them) with its "
            "weight, share of the total weight, progress and contribution (share × progress); "
            "the contributions add up to the objective's progress."
        ),
        responses={200: ExplanationSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        objective = get_object_or_404(
            Objective.objects.for_workspace(self.workspace), pk=kwargs["objective_id"]
        )
        explanation = explain.objective_explanation(self.workspace, objective)
        return Response(_json(explanation.as_dict()))
