"""Input and output shapes of the OKR API. Output serializers format; services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


class PersonSerializer(serializers.ModelSerializer):
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


class PeriodSerializer(serializers.ModelSerializer):
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


class KeyResultSerializer(serializers.ModelSerializer):
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


class CheckInSerializer(serializers.ModelSerializer):
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


class ObjectiveSerializer(serializers.ModelSerializer):
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


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ObjectiveComment
        fields = ["id", "objective", "author", "body", "created_at"]


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


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


class TreeQuerySerializer(serializers.Serializer):
    period = id_field(required=False, help_text="Defaults to the current period.")
    team = id_field(required=False)
    owner = id_field(required=False)
    status = serializers.ChoiceField(choices=ObjectiveStatus.choices, required=False)
    level = serializers.ChoiceField(choices=ObjectiveLevel.choices, required=False)
    health = serializers.ChoiceField(choices=HEALTH, required=False)
    view = serializers.CharField(required=False)


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
