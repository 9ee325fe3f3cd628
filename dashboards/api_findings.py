"""Findings API: ranked and grouped drift findings with their sentence and evidence links, and
dismissing, snoozing and restoring them (members and above; each audited)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alignment import timezones
from alignment.api_base import WorkspaceViewSet
from alignment.api_query import choice_parameter, id_parameter, query_choice, query_id
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from dashboards import api, dismissals, freshness
from dashboards import findings as read
from dashboards.models import Finding, FindingDismissal
from dashboards.reasons import KINDS, Names, finding_keys, finding_sentence, kind_title

STATES = ("visible", "dismissed", "all")
SEVERITIES = ("at_risk", "off_track")
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-impact": ("-impact", "id"),  # the most important first (the default)
    "code": ("code", "-impact", "id"),  # grouped by kind, each ranked
    "-computed_at": ("-computed_at", "-id"),
}


class FindingPagination(api.FindingPagination):
    """Cursor pages in the order `?ordering=` names (default: by impact, highest first), with
    how fresh they are (`as_of`, `refreshing`)."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        return ORDERINGS[query_choice(request, "ordering", ORDERINGS) or "-impact"]


LINKS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "example": "task"},
            "id": {"type": "integer"},
            "label": {"type": "string", "example": "ENG-12 Checkout API"},
            "url": {"type": "string", "nullable": True, "description": "The record's page."},
        },
    },
}


class FindingDismissalSerializer(ModelSerializer):
    created_by = serializers.CharField(source="created_by.email", default=None, read_only=True)

    class Meta:
        model = FindingDismissal
        fields = ["until", "reason", "created_by", "created_at"]


class DriftFindingSerializer(ModelSerializer):
    title = serializers.SerializerMethodField(help_text="The kind of finding, as pages group it.")
    rank = serializers.SerializerMethodField(
        help_text="Place among visible findings of its kind by impact (1 = first); null if hidden."
    )
    points = serializers.FloatField(help_text="Open estimate points at stake.")
    sentence = serializers.SerializerMethodField(help_text="Why it was raised, in words.")
    links = serializers.SerializerMethodField(help_text="The subject and the evidence records.")
    dismissal = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "code",
            "title",
            "severity",
            "subject_kind",
            "subject_id",
            "team",
            "rank",
            "impact",
            "points",
            "level",
            "days_late",
            "sentence",
            "numbers",
            "evidence",
            "links",
            "dismissal",
            "computed_at",
        ]

    def get_title(self, obj: Finding) -> str:
        return kind_title(obj.code)

    def get_rank(self, obj: Finding) -> int | None:
        return self.context["ranks"].get(obj.pk)

    def get_sentence(self, obj: Finding) -> str:
        return finding_sentence(obj, self.context["names"])

    @extend_schema_field(LINKS_SCHEMA)
    def get_links(self, obj: Finding) -> list[dict[str, Any]]:
        names: Names = self.context["names"]
        request: Request = self.context["request"]
        found = []
        for kind, node_id in [[obj.subject_kind, obj.subject_id], *obj.evidence]:
            link = names.get(str(kind), int(node_id))
            if link is None:
                continue
            found.append(
                {
                    "kind": link.kind,
                    "id": link.id,
                    "label": link.label,
                    "url": request.build_absolute_uri(link.url) if link.url else None,
                }
            )
        return found

    @extend_schema_field(FindingDismissalSerializer(allow_null=True))
    def get_dismissal(self, obj: Finding) -> dict[str, Any] | None:
        dismissal = self.context["dismissals"].get((obj.code, obj.subject_kind, obj.subject_id))
        return FindingDismissalSerializer(dismissal).data if dismissal else None


class FindingDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Why (required, at most 500 characters)."
    )


class FindingSnoozeSerializer(FindingDismissSerializer):
    until = serializers.CharField(
        required=False, allow_blank=True, help_text="The day it shows again, YYYY-MM-DD."
    )


class FindingGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField(help_text="Visible findings of this kind.")
    top_impact = serializers.FloatField(help_text="The impact of its first finding.")


LIST_PARAMETERS = [
    OpenApiParameter("code", str, enum=list(KINDS), description="Only findings of this kind."),
    choice_parameter("severity", SEVERITIES),
    id_parameter("team"),
    OpenApiParameter(
        "state",
        str,
        enum=list(STATES),
        description="visible (default): not dismissed or snoozed; dismissed: hidden ones; all.",
    ),
    choice_parameter(
        "ordering",
        ORDERINGS,
        "-impact (default): most important first; code: grouped by kind, ranked; "
        "-computed_at: the newest first.",
    ),
]


# Both hiding addresses (dismiss/, snooze/) answer DELETE the same way: the finding is shown again.
_RESTORE_SCHEMA = extend_schema(
    methods=["DELETE"],
    summary="Restore a dismissed or snoozed finding",
    request=None,
    responses={204: None, **WRITE_ERRORS},
)


class FindingViewSet(WorkspaceViewSet):
    queryset = Finding.objects.all()
    serializer_class = DriftFindingSerializer
    pagination_class = FindingPagination

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        if self.action != "list":
            return qs  # one finding by id, dismissed or not
        today = timezones.today(self.workspace)
        state = query_choice(self.request, "state", STATES) or "visible"
        if state == "visible":
            qs = read.visible(self.workspace, today=today, viewer=self.member)
        elif state == "dismissed":
            qs = read.hidden(self.workspace, today=today, viewer=self.member)
        code = query_choice(self.request, "code", KINDS)
        if code:
            qs = qs.filter(code=code)
        severity = query_choice(self.request, "severity", SEVERITIES)
        if severity:
            qs = qs.filter(severity=severity)
        team = query_id(self.request, "team")
        if team is not None:
            qs = qs.filter(team_id=team)
        return qs

    def _context(self, findings: list[Finding]) -> dict[str, Any]:
        causes = {(f.code, f.subject_kind, f.subject_id) for f in findings}
        hidden = {
            (d.code, d.subject_kind, d.subject_id): d
            for d in FindingDismissal.objects.for_workspace(self.workspace)
            .filter(subject_id__in=[f.subject_id for f in findings])
            .select_related("created_by")
            if (d.code, d.subject_kind, d.subject_id) in causes
        }
        today = timezones.today(self.workspace)
        active = {k: d for k, d in hidden.items() if d.until is None or d.until > today}
        return {
            "request": self.request,
            "names": Names.load(self.workspace, finding_keys(findings), viewer=self.member),
            "ranks": read.ranks(findings, today=today),
            "dismissals": active,
        }

    def _one(self, finding: Finding, status: int = 200) -> Response:
        return self.respond(
            DriftFindingSerializer(finding, context=self._context([finding])).data, status=status
        )

    @extend_schema(
        summary="List findings, ranked by impact, with their sentence and evidence links",
        description=(
            "What needs attention, ranked by impact: drift, stale key results, blocked chains, "
            "duplicate work. Each finding has a sentence and links to its evidence."
        ),
        parameters=LIST_PARAMETERS,
        responses={200: DriftFindingSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out: the refresh's clock goes into the page (`as_of`, `refreshing`).
        clock = freshness.ensure_fresh(self.workspace)  # embedded: drain stale marks first
        page = self.paginate_queryset(self.get_queryset())
        self.paginator.clock = clock  # type: ignore[union-attr]
        findings = list(page or [])
        data = DriftFindingSerializer(findings, many=True, context=self._context(findings)).data
        return self.get_paginated_response(data)

    @extend_schema(summary="Get one finding", responses={200: DriftFindingSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Written out: one finding answers as the writes do (`_one`: ranks and names read).
        return self._one(self.get_object())

    def _restore(self, finding: Finding) -> Response:
        dismissals.finding_restore(actor=self.member, finding=finding)
        return Response(status=204)

    @extend_schema(
        summary="Visible findings per kind: how many, and the impact of the first",
        description=(
            "For each kind of finding you can see: how many there are and the impact of the first."
        ),
        responses={200: FindingGroupSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def groups(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        grouped = read.grouped(
            self.workspace, today=timezones.today(self.workspace), per_group=1, viewer=self.member
        )
        rows = [
            {"code": g.code, "title": g.title, "count": g.count, "top_impact": g.top_impact}
            for g in grouped.groups
        ]
        return Response(rows)

    @extend_schema(
        methods=["POST"],
        summary="Dismiss a finding while its cause persists (a reason is required)",
        request=FindingDismissSerializer,
        responses={200: DriftFindingSerializer, **WRITE_ERRORS},
    )
    @_RESTORE_SCHEMA
    @action(detail=True, methods=["post", "delete"])
    def dismiss(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        finding = self.get_object()
        if request.method == "DELETE":  # either address restores: the same one hiding
            return self._restore(finding)
        body = self.validated(FindingDismissSerializer)
        dismissals.finding_dismiss(actor=self.member, finding=finding, reason=body.get("reason"))
        return self._one(finding)

    @extend_schema(
        methods=["POST"],
        summary="Snooze a finding until a day (a reason and the day are required)",
        request=FindingSnoozeSerializer,
        responses={200: DriftFindingSerializer, **WRITE_ERRORS},
    )
    @_RESTORE_SCHEMA
    @action(detail=True, methods=["post", "delete"])
    def snooze(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        finding = self.get_object()
        if request.method == "DELETE":  # either address restores: the same one hiding
            return self._restore(finding)
        body = self.validated(FindingSnoozeSerializer)
        dismissals.finding_snooze(
            actor=self.member,
            finding=finding,
            reason=body.get("reason"),
            until=body.get("until"),
            today=timezones.today(self.workspace),
        )
        return self._one(finding)
