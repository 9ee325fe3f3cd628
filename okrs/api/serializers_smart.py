"""API shapes of the SMART review: unsaved objective and key result drafts in, findings out."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from okrs.api.serializers import id_field
from okrs.models import KeyResultKind, ObjectiveLevel


class KeyResultDraftSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, max_length=1000)
    kind = serializers.ChoiceField(choices=KeyResultKind.choices, default=KeyResultKind.NUMBER)
    unit = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    baseline = serializers.FloatField(required=False, allow_null=True, default=None)
    target = serializers.FloatField(required=False, allow_null=True, default=None)
    owner = id_field(required=False, allow_null=True, default=None)
    milestones = serializers.JSONField(required=False, default=list)  # type: ignore[arg-type]


class ObjectiveDraftSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, max_length=1000)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=ObjectiveLevel.choices, default=ObjectiveLevel.TEAM)
    owner = id_field(required=False, allow_null=True, default=None)
    period = id_field(required=False, allow_null=True, default=None)
    parent = id_field(required=False, allow_null=True, default=None)  # type: ignore[assignment]
    key_results = KeyResultDraftSerializer(many=True, required=False, default=list)


def flat_errors(detail: Any, prefix: str) -> dict[str, list[str]]:
    """Nested serializer errors as {"objective.key_results.0.title": [...]}: one level."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(flat_errors(value, f"{prefix}.{key}"))
        return out
    if isinstance(detail, list) and any(isinstance(d, dict | list) for d in detail):
        out = {}
        for index, value in enumerate(detail):
            out.update(flat_errors(value, f"{prefix}.{index}"))
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {prefix: [str(d) for d in items]}


class SmartReviewRequestSerializer(serializers.Serializer):
    objective = serializers.JSONField(
        required=False, help_text="An objective draft (ObjectiveDraft) with its key_results."
    )
    key_result = serializers.JSONField(required=False, help_text="A key result draft.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("objective" in attrs) == ("key_result" in attrs):
            raise serializers.ValidationError("Send either an objective or a key_result draft.")
        name = "objective" if "objective" in attrs else "key_result"
        inner_class = ObjectiveDraftSerializer if name == "objective" else KeyResultDraftSerializer
        inner = inner_class(data=attrs[name])
        if not inner.is_valid():
            raise serializers.ValidationError(flat_errors(inner.errors, name))
        return {name: inner.validated_data}


class FindingSerializer(serializers.Serializer):
    letter = serializers.ChoiceField(choices=["S", "M", "A", "R", "T"])
    code = serializers.CharField()
    message = serializers.CharField()
    suggestion = serializers.CharField()
    subject = serializers.CharField(help_text='"objective", "key_result" or "key_results[i]"')


class SmartReviewSerializer(serializers.Serializer):
    is_smart = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Per letter.")
    findings = FindingSerializer(many=True)
