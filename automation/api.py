"""Automation rules API, under /api/v1/workspaces/<slug>/ (everyone reads, admins write).

GET    /automation/rules/                    the rules
POST   /automation/rules/                    a new rule (disabled), or {"template": slug}
GET    /automation/rules/<id>/               one rule
PATCH  /automation/rules/<id>/               change it; {"enabled": true|false} turns it on/off
DELETE /automation/rules/<id>/               delete it
POST   /automation/rules/<id>/dry-run/       what it would have done over past events
GET    /automation/rules/<id>/runs/          its run history (last 50) with errors
GET    /automation/catalog/                  triggers, condition and action kinds, templates
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import Role, Team
from automation import catalog, replay, services
from automation.models import Rule, RuleRun, RunStatus, Trigger

CONDITIONS_HELP = (
    "A list of {kind, ...}: field {field, op, value}, label {op: has|lacks, value}, team "
    "{value: key}, kr {value: id}, custom_field {value: 'Customer=Acme'}, kr_status {value}."
)
ACTIONS_HELP = (
    "A list of {kind, ...}: set_state {state}, set_assignee {user}, add_label/remove_label "
    "{label}, set_field {field, value}, remove_from_sprint {}, comment {text}, create_task "
    "{title, team?}, notify {who, text}, slack {channel, text}, webhook {subscription}."
)


class RuleSerializer(ModelSerializer):
    team = serializers.SerializerMethodField(help_text="A team's key, or null: the workspace.")

    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "team",
            "trigger",
            "conditions",
            "actions",
            "every_minutes",
            "enabled",
            "template",
            "version",
            "last_dry_run_at",
            "created_at",
            "updated_at",
        ]

    def get_team(self, rule: Rule) -> str | None:
        return rule.team.key if rule.team_id else None  # type: ignore[union-attr]


class RuleWriteSerializer(serializers.Serializer):
    template = serializers.ChoiceField(
        choices=list(catalog.TEMPLATES), required=False, help_text="Start from a template."
    )
    name = serializers.CharField(max_length=120, required=False)
    team = serializers.CharField(required=False, allow_null=True, help_text="A team's key.")
    trigger = serializers.ChoiceField(choices=Trigger.choices, required=False)
    conditions = serializers.JSONField(required=False, help_text=CONDITIONS_HELP)
    actions = serializers.JSONField(required=False, help_text=ACTIONS_HELP)
    every_minutes = serializers.IntegerField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, help_text="PATCH only: turn on or off.")
    version = serializers.IntegerField(required=False, min_value=1)


class RunSerializer(ModelSerializer):
    class Meta:
        model = RuleRun
        fields = [
            "id",
            "event_key",
            "status",
            "depth",
            "task_ids",
            "outcome",
            "error",
            "created_at",
        ]


class DryRunSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=90, required=False, default=14)


class CatalogSerializer(serializers.Serializer):
    triggers = serializers.DictField(child=serializers.CharField(), help_text="slug → label")
    conditions = serializers.DictField(child=serializers.CharField(), help_text="kind → help")
    actions = serializers.DictField(child=serializers.CharField(), help_text="kind → help")
    templates = serializers.DictField(child=serializers.CharField(), help_text="slug → name")


class DryRunAnswerSerializer(serializers.Serializer):
    run = RunSerializer()
    would_apply = serializers.IntegerField()


@read_schema(
    RuleSerializer,
    list_summary="List automation rules",
    list_description=(
        "Every automation rule of the workspace, by name: its trigger, conditions, actions, "
        "the team it is limited to (or null for the whole workspace) and whether it is "
        "enabled. Everyone in the workspace but guests may read them; only admins change them."
    ),
    retrieve_summary="One automation rule",
)
class RuleViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = Rule.objects.all()
    serializer_class = RuleSerializer
    pagination_class = None
    read_role = Role.VIEWER
    write_role = Role.ADMIN
    action_roles = {"dry_run": Role.ADMIN}

    def scoped_queryset(self, qs: Any) -> Any:
        return qs.select_related("team").order_by("name", "pk")

    def _team(self, key: str | None) -> Team | None:
        if not key:
            return None
        team = Team.objects.visible_to(self.member).filter(key__iexact=key).first()
        if team is None:
            raise serializers.ValidationError({"team": [f"No team “{key}”."]})
        return team

    @extend_schema(
        summary="Create a rule, disabled (admins); from a template or spelled out",
        description=(
            "Add an automation rule, either from a `template` (see the catalog) or spelled out "
            "with a trigger, conditions and actions; `team` (a team's key) limits it to that "
            "team. A new rule starts disabled: dry-run it, then enable it with PATCH. Admins "
            "only (403 otherwise); a missing name, an unknown trigger, team, template, condition"
            " or action is refused with its field named."
        ),
        request=RuleWriteSerializer,
        responses={201: RuleSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(self.validated(RuleWriteSerializer))
        team = self._team(data.pop("team", None))
        data.pop("enabled", None)
        data.pop("version", None)
        template = data.pop("template", None)
        if template:
            rule = services.rule_from_template(actor=self.member, template=template, team=team)
        else:
            rule = services.rule_create(actor=self.member, team=team, **data)
        return self.respond(self.get_serializer(rule).data, status=201, obj=rule)

    @extend_schema(
        summary="Change a rule, or enable/disable it (admins)",
        request=RuleWriteSerializer,
        responses={200: RuleSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        data = dict(self.validated(RuleWriteSerializer))
        data.pop("template", None)
        data.pop("version", None)
        enabled = data.pop("enabled", None)
        if "team" in data:
            data["team"] = self._team(data["team"])
        if data:
            rule = services.rule_update(
                actor=self.member, rule=rule, expected_version=self.if_match_version(), **data
            )
        if enabled is not None:
            rule = services.rule_set_enabled(actor=self.member, rule=rule, enabled=enabled)
        fresh = self.get_queryset().get(pk=rule.pk)
        return self.respond(self.get_serializer(fresh).data, obj=fresh)

    @extend_schema(summary="Delete a rule (admins)", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.rule_delete(actor=self.member, rule=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Dry-run a rule over past events (admins): what it would have done",
        request=DryRunSerializer,
        responses={200: DryRunAnswerSerializer, **WRITE_ERRORS},
    )
    def dry_run(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        days = self.validated(DryRunSerializer)["days"]
        run, hits = replay.dry_run(actor=self.member, rule=rule, days=days)
        return Response({"run": RunSerializer(run).data, "would_apply": len(hits)})

    @extend_schema(
        summary="A rule's run history, newest first (last 50)",
        responses={200: RunSerializer(many=True), **ERRORS},
    )
    def runs(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        runs = (
            RuleRun.objects.for_workspace(self.workspace)
            .filter(rule=rule)
            .exclude(status=RunStatus.NOT_MATCHED)[:50]
        )
        return Response(RunSerializer(runs, many=True).data)

    @extend_schema(
        summary="What rules may say",
        description=(
            "The vocabulary a rule is written in: the triggers, condition kinds and action kinds "
            "(each with its help text) and the templates a rule can start from. Use it to build "
            "a rule editor or to check a rule before creating it. Everyone but guests may read it."
        ),
        responses={200: CatalogSerializer, **ERRORS},
    )
    def catalog(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(
            {
                "triggers": dict(Trigger.choices),
                "conditions": catalog.CONDITION_KINDS,
                "actions": catalog.ACTION_KINDS,
                "templates": {slug: t["name"] for slug, t in catalog.TEMPLATES.items()},
            }
        )
