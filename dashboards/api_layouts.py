"""Dashboard layouts over the API: a person's own and the saved defaults, with ETags.

    GET    dashboard-layouts/leader/                 my leader layout (or the default I see)
    PUT    dashboard-layouts/leader/                 {"widgets": [...]}; If-Match "v<n>" (412)
    DELETE dashboard-layouts/leader/                 back to the default
    ...    dashboard-layouts/leader/default/         the workspace default (writes: admins)
    ...    dashboard-layouts/teams/<team_id>/        my view of a team's dashboard
    ...    dashboard-layouts/teams/<team_id>/default/  the team's default (writes: admins)

`version` is 0 while no layout is saved; PUT with If-Match "v0" creates it only if nobody did.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Role, Team
from dashboards import layouts
from dashboards import widgets as registry

WidgetSerializer = inline_serializer(
    name="DashboardWidget",
    fields={
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "description": serializers.CharField(),
    },
)


# The answer's shape, for the schema ("source" cannot be a Serializer class attribute).
LayoutSerializer = inline_serializer(
    name="DashboardLayout",
    fields={
        "dashboard": serializers.CharField(help_text="leader or team"),
        "team": serializers.IntegerField(allow_null=True),
        "scope": serializers.CharField(help_text="mine (a person's own) or default"),
        "widgets": serializers.ListField(
            child=serializers.CharField(), help_text="Widget keys, in order."
        ),
        "source": serializers.CharField(
            help_text="Where they come from: personal, team_default, workspace_default, built_in."
        ),
        "version": serializers.IntegerField(
            help_text="0 while nothing is saved; the ETag is v<version>."
        ),
        "available": serializers.ListField(child=WidgetSerializer, help_text="Widgets not shown."),
    },
)


class LayoutWriteSerializer(serializers.Serializer):
    # Keys are checked against the widget registry by the service (422 names the bad ones).
    widgets = serializers.ListField(child=serializers.CharField(max_length=40), max_length=50)
    version = serializers.IntegerField(required=False, min_value=0)


def _widget(widget: registry.Widget) -> dict[str, str]:
    return {"key": widget.key, "title": widget.title, "description": widget.description}


class LayoutView(WorkspaceAPIMixin, APIView):
    """Base of the four layout endpoints; subclasses say which dashboard and whose layout."""

    dashboard: ClassVar[str] = registry.LEADER
    is_default: ClassVar[bool] = False
    read_role = Role.VIEWER
    write_role = Role.VIEWER  # a person's own layout changes nothing but their view

    def team(self) -> Team | None:
        if self.dashboard != registry.TEAM:
            return None
        return get_object_or_404(Team.objects.visible_to(self.member), pk=self.kwargs["team_id"])

    def body(self, team: Team | None) -> dict[str, Any]:
        layout = layouts.layout_for(
            workspace=self.workspace,
            user_id=self.member.user_id,
            dashboard=self.dashboard,
            team=team,
        )
        if self.is_default:
            keys, source, version = (
                layout.default_keys,
                layout.default_source,
                layout.default_version,
            )
        else:
            keys, source, version = layout.keys, layout.source, layout.version
        return {
            "dashboard": self.dashboard,
            "team": team.pk if team is not None else None,
            "scope": "default" if self.is_default else "mine",
            "widgets": keys,
            "source": source,
            "version": version,
            "available": [_widget(w) for w in registry.missing(self.dashboard, keys)],
        }

    @extend_schema(summary="A dashboard layout", responses={200: LayoutSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.body(self.team()))

    @extend_schema(
        summary="Save a dashboard layout (If-Match: the ETag of the layout you changed)",
        request=LayoutWriteSerializer,
        responses={200: LayoutSerializer, **WRITE_ERRORS},
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team = self.team()  # first: another workspace's team is 404 whatever the body says
        data = self.validated(LayoutWriteSerializer)
        save = layouts.layout_default_save if self.is_default else layouts.layout_save
        save(
            actor=self.member,
            dashboard=self.dashboard,
            team=team,
            widgets=data["widgets"],
            expected_version=self.if_match_version(),
        )
        return Response(self.body(team))

    @extend_schema(
        summary="Forget a saved layout: back to the default (or, for a default, the built-in)",
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team = self.team()
        reset = layouts.layout_default_reset if self.is_default else layouts.layout_reset
        reset(actor=self.member, dashboard=self.dashboard, team=team)
        return Response(status=204)


# What each layout endpoint says to API users: the four share their methods, not their meaning.
_WRITE_RULES = (
    " Send the widget keys in the order to show them; an unknown or repeated key is refused "
    "with 422. Send If-Match with the ETag you read (`v0` while nothing is saved) to be refused "
    "with 412 rather than overwrite someone else's change."
)


def _described(who_may: str, get: str, put: str, delete: str) -> Any:
    return extend_schema_view(
        get=extend_schema(description=f"{get} {who_may}"),
        put=extend_schema(description=f"{put}{_WRITE_RULES} {who_may}"),
        delete=extend_schema(description=f"{delete} {who_may}"),
    )


@_described(
    "Everyone in the workspace but guests may read and change their own layout; nobody else "
    "sees it.",
    get="Your layout of the leader dashboard: its widgets in order, where they come from (yours, "
    "the workspace default or the built-in one) and the widgets you could add.",
    put="Save your own layout of the leader dashboard.",
    delete="Forget your own layout of the leader dashboard: you see the default again.",
)
class LeaderLayoutView(LayoutView):
    dashboard = registry.LEADER


@_described(
    "Everyone in the workspace but guests may read it; only admins change it (403 otherwise).",
    get="The workspace's default layout of the leader dashboard, which everyone without a "
    "layout of their own sees, and the widgets it could add.",
    put="Save the workspace's default layout of the leader dashboard.",
    delete="Forget the workspace's default layout of the leader dashboard: the built-in one "
    "applies again.",
)
class LeaderDefaultLayoutView(LayoutView):
    dashboard = registry.LEADER
    is_default = True
    write_role = Role.ADMIN


@_described(
    "Everyone in the workspace but guests may read and change their own layout of a team they "
    "may see (404 otherwise); nobody else sees it.",
    get="Your layout of this team's dashboard: its widgets in order, where they come from (yours, "
    "the team's default or the built-in one) and the widgets you could add.",
    put="Save your own layout of this team's dashboard.",
    delete="Forget your own layout of this team's dashboard: you see its default again.",
)
class TeamLayoutView(LayoutView):
    dashboard = registry.TEAM


@_described(
    "Everyone in the workspace but guests who may see the team may read it (404 otherwise); only "
    "admins change it (403).",
    get="This team's default dashboard layout, which everyone without a layout of their own sees "
    "on it, and the widgets it could add.",
    put="Save this team's default dashboard layout.",
    delete="Forget this team's default dashboard layout: the built-in one applies again.",
)
class TeamDefaultLayoutView(LayoutView):
    dashboard = registry.TEAM
    is_default = True
    write_role = Role.ADMIN
