"""API shapes of the objective tree and of an objective's explanation (what its numbers
are made of), and the tree's query parameters."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from okrs.api.serializers import (
    HEALTH,
    CheckInSerializer,
    CommentSerializer,
    ObjectiveSerializer,
    PeriodSerializer,
    PersonSerializer,
    ProgressSerializer,
    ReasonSerializer,
    id_field,
    progress_data,
    reasons_data,
)
from okrs.models import ObjectiveLevel, ObjectiveStatus
from okrs.selectors import KeyResultNode, ObjectiveNode


class KeyResultNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    baseline = serializers.DecimalField(max_digits=18, decimal_places=4)
    target = serializers.DecimalField(max_digits=18, decimal_places=4)
    current = serializers.DecimalField(max_digits=18, decimal_places=4)
    source = serializers.CharField()  # type: ignore[assignment]
    basis = serializers.CharField(help_text="check_ins | milestones | done | tasks | children")
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    weight_share = serializers.FloatField()
    contribution = serializers.FloatField(help_text="weight_share × progress")
    confidence = serializers.IntegerField()
    last_check_in_at = serializers.DateTimeField(allow_null=True)
    progress = ProgressSerializer()
    notes = ReasonSerializer(many=True)


class TreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    level = serializers.CharField()
    status = serializers.CharField()
    team = id_field(allow_null=True)
    owner = PersonSerializer(allow_null=True)
    period = id_field()
    parent = id_field(allow_null=True)  # type: ignore[assignment]
    parent_key_result = id_field(allow_null=True)
    version = serializers.IntegerField()
    depth = serializers.IntegerField()
    matches = serializers.BooleanField(help_text="False: shown as an ancestor of a match.")
    progress = ProgressSerializer()
    key_results = KeyResultNodeSerializer(many=True)
    children = serializers.ListField(
        child=serializers.DictField(), help_text="Nodes of this same shape."
    )


class TreeSerializer(serializers.Serializer):
    period = PeriodSerializer()
    today = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    roots = TreeNodeSerializer(many=True)


def kr_node_data(node: KeyResultNode, names: dict) -> dict[str, Any]:
    kr = node.key_result
    return {
        "id": kr.pk,
        "title": kr.title,
        "kind": kr.kind,
        "unit": kr.unit,
        "baseline": str(kr.baseline),
        "target": str(kr.target),
        "current": str(kr.current),
        "source": kr.source,
        "basis": node.basis,
        "weight": str(kr.weight),
        "weight_share": round(node.weight_share, 4),
        "contribution": round(node.contribution, 4),
        "confidence": kr.confidence,
        "last_check_in_at": kr.last_check_in_at,
        "progress": progress_data(node, names),
        "notes": reasons_data(node.notes, names),
    }


def tree_node_data(node: ObjectiveNode, names: dict) -> dict[str, Any]:
    o = node.objective
    return {
        "id": o.pk,
        "title": o.title,
        "level": o.level,
        "status": o.status,
        "team": o.team_id,
        "owner": PersonSerializer(o.owner).data if o.owner else None,
        "period": o.period_id,
        "parent": o.parent_id,
        "parent_key_result": o.parent_key_result_id,
        "version": o.version,
        "depth": node.depth,
        "matches": node.matches,
        "progress": progress_data(node, names),
        "key_results": [kr_node_data(kr, names) for kr in node.key_results],
        "children": [tree_node_data(child, names) for child in node.children],
    }


class ExplainedKeyResultSerializer(KeyResultNodeSerializer):
    check_ins = CheckInSerializer(many=True)


class ExplanationSerializer(serializers.Serializer):
    objective = ObjectiveSerializer()
    key_results = ExplainedKeyResultSerializer(many=True)
    aligned = TreeNodeSerializer(many=True, help_text="Objectives aligned under this one.")
    comments = CommentSerializer(many=True)


class TreeQuerySerializer(serializers.Serializer):
    period = id_field(required=False, help_text="Defaults to the current period.")
    team = id_field(required=False)
    owner = id_field(required=False)
    status = serializers.ChoiceField(choices=ObjectiveStatus.choices, required=False)
    level = serializers.ChoiceField(choices=ObjectiveLevel.choices, required=False)
    health = serializers.ChoiceField(choices=HEALTH, required=False)
    view = serializers.CharField(required=False)
