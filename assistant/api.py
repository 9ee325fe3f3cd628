"""The assistant over the API, under /api/v1/workspaces/<slug>/assistant/.

POST  drafts/                      {sentence} -> a draft (members)
POST  drafts/accept/               {period, title, key_results, [team, parent, description]}
GET   summaries/weekly/            the weekly leader summary
GET   summaries/objectives/<id>/   what changed on an objective this week
GET   summaries/sprints/<id>/      a sprint's retro summary
GET   settings/  PATCH settings/   the workspace's model switch (admins change it)
GET   logs/                        prompts and answers sent to the model (admins)
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin
from alignment.api_pagination import CursorPagination
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.errors import FieldErrors
from alignment.models import Role, Team
from assistant import client, generator, runner, services, summaries
from assistant.models import AssistantLog
from okrs.models import Objective, Period
from tasks.models import Sprint


class DraftRequestSerializer(serializers.Serializer):
    sentence = serializers.CharField(max_length=generator.MAX_SENTENCE)


class DraftKeyResultSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=generator.KINDS)
    baseline = serializers.FloatField()
    target = serializers.FloatField()
    unit = serializers.CharField(max_length=20, allow_blank=True, required=False, default="")


class DraftSerializer(serializers.Serializer):
    sentence = serializers.CharField()
    title = serializers.CharField()
    key_results = DraftKeyResultSerializer(many=True)
    source = serializers.CharField(help_text="offline or model")  # type: ignore[assignment]
    note = serializers.CharField(allow_blank=True)
    set_aside = serializers.ListField(child=serializers.DictField())


class AcceptSerializer(serializers.Serializer):
    period = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, allow_null=True)
    parent = serializers.IntegerField(required=False, allow_null=True)  # type: ignore[assignment]
    key_results = DraftKeyResultSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    feature = serializers.CharField()
    title = serializers.CharField()
    source = serializers.CharField(help_text="offline or model")  # type: ignore[assignment]
    note = serializers.CharField(allow_blank=True)
    sentences = serializers.ListField(child=serializers.DictField())
    dropped = serializers.ListField(child=serializers.DictField())


class SettingsSerializer(serializers.Serializer):
    model_enabled = serializers.BooleanField()
    model_configured = serializers.BooleanField(read_only=True)
    mode = serializers.CharField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=0)


class LogSerializer(ModelSerializer):
    actor = serializers.EmailField(source="actor.email", default=None, read_only=True)

    class Meta:
        model = AssistantLog
        fields = [
            "id",
            "created_at",
            "actor",
            "feature",
            "endpoint",
            "model_name",
            "prompt",
            "output",
            "outcome",
            "note",
        ]


class DraftView(WorkspaceAPIMixin, APIView):
    read_role = Role.MEMBER
    write_role = Role.MEMBER

    @extend_schema(
        summary="Draft an objective with 3–5 key results from one sentence",
        description=(
            "Turn one sentence into a draft objective with three to five measurable key results. "
            "Nothing is saved until the draft is accepted."
        ),
        request=DraftRequestSerializer,
        responses={200: DraftSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(DraftRequestSerializer)
        try:
            draft = generator.draft(self.member, data["sentence"])
        except generator.DraftError as exc:
            raise FieldErrors({"sentence": str(exc)}) from exc
        return Response(draft.as_dict())


def _pick(model: Any, member: Any, pk: int | None, name: str) -> Any:
    if pk is None:
        return None
    found = model.objects.visible_to(member).filter(pk=pk).first()
    if found is None:
        raise FieldErrors({name: f"No such {name} in this workspace."})
    return found


class AcceptView(WorkspaceAPIMixin, APIView):
    read_role = Role.MEMBER
    write_role = Role.MEMBER

    @extend_schema(
        summary="Create the objective and key results of an edited draft",
        description="Create the objective and key results of a draft, as edited.",
        request=AcceptSerializer,
        responses={201: OpenApiResponse(description="{id, url}"), **WRITE_ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(AcceptSerializer)
        objective = services.accept_draft(
            actor=self.member,
            period=_pick(Period, self.member, data["period"], "period"),
            title=data["title"],
            description=data.get("description", ""),
            team=_pick(Team, self.member, data.get("team"), "team"),
            parent=_pick(Objective, self.member, data.get("parent"), "parent"),
            key_results=data["key_results"],
        )
        return Response(
            {
                "id": objective.pk,
                "key_results": list(objective.key_results.values_list("pk", flat=True)),
            },
            status=201,
        )


class WeeklySummaryView(WorkspaceAPIMixin, APIView):
    @extend_schema(
        summary="The weekly leader summary",
        description=(
            "This week's summary of the active objectives you can see: how each is "
            "moving, grouped by status, with the reasons."
        ),
        responses={200: SummarySerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(summaries.weekly_summary(self.member).as_dict())


class ObjectiveSummaryView(WorkspaceAPIMixin, APIView):
    @extend_schema(
        summary="What changed on an objective this week",
        description=(
            "A short summary of what changed on an objective this week: progress, check-ins and "
            "work done."
        ),
        responses={200: SummarySerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, objective_id: int, **kwargs: Any) -> Response:
        objective = get_object_or_404(Objective.objects.visible_to(self.member), pk=objective_id)
        return Response(summaries.objective_changes(self.member, objective).as_dict())


class SprintSummaryView(WorkspaceAPIMixin, APIView):
    @extend_schema(
        summary="A sprint's retro summary",
        description=(
            "A retrospective summary of a sprint: how long it ran and how much of its work "
            "was finished."
        ),
        responses={200: SummarySerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, sprint_id: int, **kwargs: Any) -> Response:
        sprint = get_object_or_404(Sprint.objects.visible_to(self.member), pk=sprint_id)
        return Response(summaries.retro_summary(self.member, sprint).as_dict())


def _settings_body(workspace_id: int, workspace: Any) -> dict[str, Any]:
    row = services.settings_of(workspace_id)
    return {
        "model_enabled": row.model_enabled,
        "model_configured": client.configured_endpoint() is not None,
        "mode": runner.mode(workspace),
        "version": row.version if row.pk else 0,
    }


class SettingsView(WorkspaceAPIMixin, APIView):
    read_role = Role.VIEWER
    write_role = Role.ADMIN

    @extend_schema(
        summary="The assistant's mode and model switch",
        description=(
            "Whether the assistant uses a language model in this workspace or its built-in rules."
        ),
        responses={200: SettingsSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_settings_body(self.workspace.pk, self.workspace))

    @extend_schema(
        summary="Turn the model on or off for this workspace (admin)",
        description="Turn the language model on or off for this workspace. Admins only.",
        request=SettingsSerializer,
        responses={200: SettingsSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(SettingsSerializer)
        services.set_model_enabled(actor=self.member, enabled=data["model_enabled"])
        return Response(_settings_body(self.workspace.pk, self.workspace))


class LogView(WorkspaceAPIMixin, APIView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    @extend_schema(
        summary="Prompts and answers of the model (admin)",
        description=(
            "The prompts sent to the language model and its answers, newest first. Admins only."
        ),
        responses={200: LogSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        paginator = CursorPagination()
        paginator.ordering = "-id"
        rows = AssistantLog.objects.visible_to(self.member).select_related("actor")
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(LogSerializer(page, many=True).data)
