"""Input and output shapes of the OKR API: people, progress, periods, key results, check-ins,
objectives and comments. The tree and explanation shapes are in serializers_tree.py, the
SMART review's in serializers_smart.py. Output serializers format; services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alignment.api_serializers import ModelSerializer
from alignment.models import User
from okrs import progress as math
from okrs.api.objective_fields import PARENT_KEY_RESULT_HELP, weight_field
from okrs.models import (
    CheckIn,
    KeyResult,
    KeyResultKind,
    KeyResultSource,
    Objective,
    ObjectiveComment,
    ObjectiveLevel,
    ObjectiveStatus,
    Period,
)
from okrs.reason_words import reason_sentence
from okrs.selectors import KeyResultNode, ObjectiveNode

MAX_ID = 2**53  # ids beyond this are not ours; bounded so lookups never overflow a column


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


HEALTH = [(code, label) for code, label in math.STATUS_LABELS.items()]


class PersonSerializer(ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name"]


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    numbers = serializers.DictField(child=serializers.FloatField())
    objects = serializers.ListField(
        child=serializers.DictField(), help_text='[{"type": "key_result", "id": 12}]'
    )
    sentence = serializers.CharField()


def reasons_data(
    reasons: list[math.Reason], names: dict[tuple[str, int], str] | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "numbers": r.numbers,
            "objects": [{"type": kind, "id": pk} for kind, pk in r.objects],
            "sentence": reason_sentence(r, names),
        }
        for r in reasons
    ]


class ProgressSerializer(serializers.Serializer):
    """A node's numbers, read from its read-model row (the same row every page shows)."""

    progress = serializers.FloatField(help_text="0..1")
    expected = serializers.FloatField(help_text="Elapsed share of the period, 0..1.")
    health = serializers.ChoiceField(choices=HEALTH)
    basis = serializers.CharField(
        help_text="What the number counted: check_ins, milestones, done, tasks, children "
        "(key results); key_results, children, key_results_and_children (objectives); none."
    )
    reasons = ReasonSerializer(many=True)
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When these numbers were computed (or last confirmed). They are brought "
        "up to date with every committed change before a response is built.",
    )


def progress_data(
    node: ObjectiveNode | KeyResultNode | None, names: dict | None = None
) -> dict[str, Any] | None:
    if node is None:
        return None
    return {
        "progress": round(node.progress, 4),
        "expected": round(node.expected, 4),
        "health": node.status.code,
        "basis": node.basis,
        "reasons": reasons_data(node.status.reasons, names),
        "as_of": node.as_of,
    }


class PeriodSerializer(ModelSerializer):
    is_closed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "name",
            "start",
            "end",
            "closed_at",
            "is_closed",
            "allows_overlap",
            "overlap_reason",
            "created_at",
        ]


class PeriodWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    start = serializers.DateField()
    end = serializers.DateField()
    allows_overlap = serializers.BooleanField(
        required=False,
        help_text="Periods may not share days unless one of the two allows it (409 otherwise).",
    )
    overlap_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Why it overlaps; required when allows_overlap is true.",
    )


class PeriodCloseSerializer(serializers.Serializer):
    carry_over = serializers.BooleanField(default=False)
    next_period = id_field(
        required=False, allow_null=True, help_text="Defaults to the next open period."
    )


class KeyResultSerializer(ModelSerializer):
    owner = PersonSerializer(read_only=True, allow_null=True)
    direction = serializers.CharField(read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "title",
            "owner",
            "kind",
            "unit",
            "baseline",
            "target",
            "current",
            "direction",
            "source",
            "weight",
            "confidence",
            "milestones",
            "position",
            "last_check_in_at",
            "carried_from",
            "version",
            "created_at",
            "updated_at",
            "progress",
        ]

    @extend_schema_field(ProgressSerializer(allow_null=True))
    def get_progress(self, kr: KeyResult) -> dict[str, Any] | None:
        nodes: dict[int, KeyResultNode] = self.context.get("kr_nodes", {})
        return progress_data(nodes.get(kr.pk))


class KeyResultWriteSerializer(serializers.Serializer):
    objective = id_field()
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=KeyResultKind.choices, default=KeyResultKind.NUMBER)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    baseline = serializers.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    target = serializers.DecimalField(max_digits=18, decimal_places=4, default=Decimal(1))
    current = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True, default=None
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=KeyResultSource.choices, default=KeyResultSource.MANUAL
    )
    weight = serializers.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(1), min_value=0
    )
    confidence = serializers.IntegerField(min_value=0, max_value=10, default=5)
    owner = id_field(required=False, allow_null=True, default=None)
    milestones = serializers.JSONField(
        required=False,
        default=list,  # type: ignore[arg-type]
        help_text='[{"title": str, "weight": number, "done": bool}]',
    )


class KeyResultUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=KeyResultKind.choices, required=False)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    baseline = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    target = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    source = serializers.ChoiceField(choices=KeyResultSource.choices, required=False)  # type: ignore[assignment]
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, min_value=0)
    owner = id_field(required=False, allow_null=True)
    milestones = serializers.JSONField(
        required=False, help_text='[{"title": str, "weight": number, "done": bool}]'
    )
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="409 when stale."
    )


class CheckInSerializer(ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "key_result",
            "value",
            "confidence",
            "note",
            "steps_done",
            "author",
            "created_at",
        ]


class CheckInWriteSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True, default=None
    )
    confidence = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True, default=None
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    steps_done = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_null=True,
        default=None,
        help_text="Milestone KRs: the numbers (from 0) of every step done as of now.",
    )
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="409 when stale."
    )


class ObjectiveSerializer(ModelSerializer):
    owner = PersonSerializer(read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id",
            "title",
            "description",
            "level",
            "team",
            "owner",
            "period",
            "parent",
            "parent_key_result",
            "status",
            "weight",
            "score",
            "carried_from",
            "version",
            "created_at",
            "updated_at",
            "progress",
        ]

    @extend_schema_field(ProgressSerializer(allow_null=True))
    def get_progress(self, objective: Objective) -> dict[str, Any] | None:
        nodes: dict[int, ObjectiveNode] = self.context.get("nodes", {})
        return progress_data(nodes.get(objective.pk))


class ObjectiveWriteSerializer(serializers.Serializer):
    period = id_field()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=ObjectiveLevel.choices, default=ObjectiveLevel.TEAM)
    team = id_field(required=False, allow_null=True, default=None)
    owner = id_field(required=False, allow_null=True, default=None)
    parent = id_field(required=False, allow_null=True, default=None)  # type: ignore[assignment]
    parent_key_result = id_field(
        required=False, allow_null=True, default=None, help_text=PARENT_KEY_RESULT_HELP
    )
    status = serializers.ChoiceField(
        choices=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE], default=ObjectiveStatus.ACTIVE
    )
    weight = weight_field(default=Decimal(1))


class ObjectiveUpdateSerializer(serializers.Serializer):
    period = id_field(required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=ObjectiveLevel.choices, required=False)
    team = id_field(required=False, allow_null=True)
    owner = id_field(required=False, allow_null=True)
    parent = id_field(required=False, allow_null=True)  # type: ignore[assignment]
    parent_key_result = id_field(required=False, allow_null=True, help_text=PARENT_KEY_RESULT_HELP)
    status = serializers.ChoiceField(
        choices=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE], required=False
    )
    weight = weight_field(required=False)
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="409 when stale."
    )


class CommentSerializer(ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ObjectiveComment
        fields = ["id", "objective", "author", "body", "created_at"]


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
