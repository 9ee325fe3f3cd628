"""Standards API: define standards (admins), adopt and waive them per team, read compliance,
and judge a task against its team's standards. A refused move answers 409 from the tasks API
itself: `{"error": {"code": "standard_not_met", "details": {"failing": [...]}}}`."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment import timezones
from alignment.api_base import (
    RetrieveWithETagMixin,
    ScopedPrimaryKeyField,
    WorkspaceAPIMixin,
    WorkspaceViewSet,
)
from alignment.api_schema import ERRORS, WRITE_ERRORS, ErrorSerializer, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import Role, Team
from standards import compliance, services
from standards.checks import REGISTRY
from standards.evaluate import StandardResult, evaluate_task
from standards.models import GATE_CATEGORIES, Mode, Standard, Subject
from standards.templates_seed import TEMPLATES
from tasks import selectors as task_selectors


class StandardSerializer(ModelSerializer):
    team = serializers.SerializerMethodField(help_text="The team's own standard, else null.")
    adopted_by = serializers.SerializerMethodField(
        help_text="Teams that adopted it, with their waiver (a reason) if any."
    )

    class Meta:
        model = Standard
        fields = [
            "id",
            "key",
            "name",
            "description",
            "subject",
            "gate",
            "mode",
            "checks",
            "template",
            "team",
            "adopted_by",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_team(self, standard: Standard) -> str | None:
        return standard.team.key if standard.team_id and standard.team else None

    def get_adopted_by(self, standard: Standard) -> list[dict[str, Any]]:
        return [
            {
                "team": a.team.key,
                "waived": a.is_waived,
                "waiver_reason": a.waiver_reason,
                "waived_at": a.waived_at,
            }
            for a in standard.adoptions.all()
        ]


class StandardWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    subject = serializers.ChoiceField(choices=Subject.choices, default=Subject.TASK)
    gate = serializers.ChoiceField(choices=["", *GATE_CATEGORIES], default="")
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.BLOCK)
    checks = serializers.JSONField(
        help_text='[{"kind": "estimate_present"}, {"kind": "required_fields", '
        '"params": {"fields": ["assignee"]}}]; kinds: ' + ", ".join(REGISTRY)
    )
    team = ScopedPrimaryKeyField(Team, required=False, allow_null=True, default=None)


class StandardUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    gate = serializers.ChoiceField(choices=["", *GATE_CATEGORIES], required=False)
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)
    checks = serializers.JSONField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class FromTemplateSerializer(serializers.Serializer):
    template = serializers.ChoiceField(choices=list(TEMPLATES))
    team = ScopedPrimaryKeyField(Team, required=False, allow_null=True, default=None)


class TeamSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)


class WaiveSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    reason = serializers.CharField(max_length=1000)


@read_schema(
    StandardSerializer,
    list_summary="List the workspace's standards",
    list_description=(
        "Every standard of the workspace: its checks, the state category it gates (a task "
        "moving into it must pass), whether a failure blocks the move or only warns, and "
        "which teams adopted or waived it. Everyone in the workspace but guests may read "
        "them; admins define, adopt and waive."
    ),
    retrieve_summary="A standard",
)
class StandardViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    """Standards of the workspace. Viewers read; admins define, adopt and waive."""

    queryset = Standard.objects.all()
    serializer_class = StandardSerializer
    write_role = Role.ADMIN
    pagination_class = None  # a workspace holds a handful of standards

    def scoped_queryset(self, qs: Any) -> Any:
        return qs.select_related("team").prefetch_related("adoptions__team")

    def _answer(self, standard: Standard, status: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=standard.pk)
        return self.respond(StandardSerializer(fresh).data, status=status, obj=fresh)

    @extend_schema(
        summary="Define a standard (a team's own one when `team` is given: adopted at once)",
        description=(
            "Define a standard: the checks that tasks (or key results, by `subject`) must pass, "
            "the state category whose entry it gates (or none: it is only reported) and whether "
            "a failure blocks or warns. A shared standard applies to the teams that adopt it; "
            "with `team` it is that team's own and adopted at once. Admins only (403 otherwise);"
            " an unknown check kind or gate is refused naming the field."
        ),
        request=StandardWriteSerializer,
        responses={201: StandardSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = services.standard_create(
            actor=self.member, **self.validated(StandardWriteSerializer)
        )
        return self._answer(standard, status=201)

    @extend_schema(
        summary="Change a standard (mode=warn lets failing moves through, recorded)",
        request=StandardUpdateSerializer,
        responses={200: StandardSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = self.get_object()
        data = dict(self.validated(StandardUpdateSerializer))
        data.pop("version", None)
        services.standard_update(
            actor=self.member,
            standard=standard,
            expected_version=self.if_match_version(),
            **data,
        )
        return self._answer(standard)

    @extend_schema(summary="Delete a standard", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.standard_delete(actor=self.member, standard=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Add one of the seeded standards (templates)",
        description=(
            "Add a ready-made standard (such as Definition of Ready) by its template slug, "
            "shared or, with `team`, that team's own and adopted at once. Adapt its checks "
            "afterwards with PATCH. Admins only (403 otherwise); an unknown template is refused."
        ),
        request=FromTemplateSerializer,
        responses={201: StandardSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = services.standard_create_from_template(
            actor=self.member, **self.validated(FromTemplateSerializer)
        )
        return self._answer(standard, status=201)

    @extend_schema(
        summary="A team adopts the standard",
        request=TeamSerializer,
        responses={200: StandardSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def adopt(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = self.get_object()
        services.standard_adopt(
            actor=self.member, standard=standard, **self.validated(TeamSerializer)
        )
        return self._answer(standard)

    @extend_schema(
        summary="A team stops following the standard",
        request=TeamSerializer,
        responses={200: StandardSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def drop(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = self.get_object()
        services.standard_drop(
            actor=self.member, standard=standard, **self.validated(TeamSerializer)
        )
        return self._answer(standard)

    @extend_schema(
        summary="A team waives the standard, with a written reason (audited)",
        request=WaiveSerializer,
        responses={200: StandardSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def waive(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = self.get_object()
        services.standard_waive(
            actor=self.member, standard=standard, **self.validated(WaiveSerializer)
        )
        return self._answer(standard)

    @extend_schema(
        summary="End a team's waiver",
        request=TeamSerializer,
        responses={200: StandardSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unwaive(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = self.get_object()
        services.standard_unwaive(
            actor=self.member, standard=standard, **self.validated(TeamSerializer)
        )
        return self._answer(standard)


def result_json(result: StandardResult) -> dict[str, Any]:
    return {
        "standard": result.standard.key,
        "name": result.standard.name,
        "gate": result.standard.gate,
        "mode": result.standard.mode,
        "ok": result.ok,
        "waived": result.waived,
        "waiver_reason": result.waiver_reason,
        "checks": [
            {**r.as_json(result.standard.key, result.standard.name), "ok": r.ok}
            for r in result.results
        ],
    }


class TaskStandardsView(WorkspaceAPIMixin, APIView):
    """How a task stands against its team's standards, check by check."""

    guest_access = True

    @extend_schema(
        summary="Judge a task against its team's adopted standards",
        description=(
            "How the task with this key (an old key still resolves) stands against each standard"
            " its team adopted: pass or fail per check with what to fix, whether the team waived "
            "the standard, and `next_gate`, the next state category ahead of the task that a "
            "standard guards. Read-only; guests may read their teams' tasks, and a task you may "
            "not see is 404."
        ),
        responses={200: OpenApiResponse(description="Per standard: ok, waived, checks."), **ERRORS},
    )
    def get(self, request: Request, slug: str, key: str) -> Response:
        task = task_selectors.task_by_key(self.workspace, key, viewer=self.member)
        if task is None:
            raise Http404("Task not found.")
        judged = evaluate_task(task, slug=self.workspace.slug)
        return Response(
            {
                "task": task.key,
                "next_gate": judged.next_gate,
                "standards": [result_json(r) for r in judged.standards],
            }
        )


class ComplianceView(WorkspaceAPIMixin, APIView):
    """Per team and standard: met and slipped counts, the weekly share, waivers."""

    @extend_schema(
        summary="Compliance per team and standard over the last eight weeks",
        description=(
            "For every adoption you may see (a team and a standard): how many tasks met or "
            "slipped past the standard, how many were waived or blocked by automation, the share"
            " met, week by week over the last eight weeks, and the team's waiver reason if any. "
            "Everyone in the workspace but guests may read it."
        ),
        responses={
            200: OpenApiResponse(description="Rows per adoption."),
            400: ErrorSerializer,
            **ERRORS,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        rows = compliance.compliance_rows(
            self.workspace, today=timezones.today(self.workspace), viewer=self.member
        )
        return Response(
            [
                {
                    "team": row.team.key,
                    "standard": row.standard.key,
                    "met": row.met,
                    "slipped": row.slipped,
                    "waived": row.counts.get("waived", 0),
                    "blocked_automated": row.counts.get("blocked", 0),
                    "share": row.share,
                    "waiver_reason": row.adoption.waiver_reason,
                    "weeks": [
                        {"start": w.start, "met": w.met, "slipped": w.slipped, "share": w.share}
                        for w in row.weeks
                    ],
                }
                for row in rows
            ]
        )
