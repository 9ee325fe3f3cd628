"""Who am I, my workspaces, and teams: the first serializers and viewsets of the core."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment import services
from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import ApiToken, Membership, Role, Team, User
from alignment.timezones import workspace_zone_name


class UserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]


class MeSerializer(UserSerializer):
    """You: with your own settings, which other members' answers never show."""

    time_zone = serializers.CharField(
        read_only=True,
        help_text="Your own zone for showing times (IANA name); empty follows each workspace's "
        "zone. Instants in the API are always UTC.",
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "time_zone"]


class WorkspaceMembershipSerializer(serializers.Serializer):
    slug = serializers.CharField(source="workspace.slug")
    name = serializers.CharField(source="workspace.name")
    role = serializers.CharField()
    time_zone = serializers.SerializerMethodField(
        help_text="The workspace's zone: which calendar day its dates belong to."
    )

    def get_time_zone(self, membership: Membership) -> str:
        return workspace_zone_name(membership.workspace)


class MeView(generics.GenericAPIView):
    serializer_class = MeSerializer

    @extend_schema(
        summary="The authenticated user",
        description=(
            "Your own account: name, e-mail, and your personal time zone for showing times (empty "
            "follows each workspace's zone)."
        ),
        responses={200: MeSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        data = MeSerializer(request.user).data
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data["token"] = (
            {"workspace": token.workspace.slug, "scope": token.scope, "name": token.name}
            if token
            else None
        )
        return Response(data)


class WorkspaceListView(generics.ListAPIView):
    serializer_class = WorkspaceMembershipSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Membership]:
        qs = Membership.objects.filter(user_id=self.request.user.pk or 0).select_related(
            "workspace"
        )
        token = self.request.auth if isinstance(self.request.auth, ApiToken) else None
        if token is not None:
            qs = qs.filter(workspace_id=token.workspace_id)
        return qs.order_by("workspace__name")

    @extend_schema(
        summary="Workspaces you can reach",
        description=(
            "Every workspace you are a member of, with your role and the workspace's time zone. A "
            "token bound to one workspace lists that one."
        ),
        responses={200: WorkspaceMembershipSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TeamSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "key", "name", "description", "is_private", "created_at"]


class TeamWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    key = serializers.CharField(max_length=10)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_private = serializers.BooleanField(
        required=False,
        help_text="Private: only its members and admins see its work. Omit to keep as is.",
    )


@read_schema(
    TeamSerializer,
    list_summary="List teams",
    list_description=(
        "The workspace's teams by name. Private teams appear only to their members and to "
        "admins; guests see only their own teams."
    ),
    retrieve_summary="Get a team",
)
class TeamViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    write_role = Role.ADMIN
    ordering_fields = ["name", "key", "id"]
    ordering = ["name"]
    pagination_class = None

    @extend_schema(
        summary="Create a team (admin)",
        description=(
            "Create a team with a unique key (the prefix of its task keys, e.g. ENG). It starts "
            "with the default workflow. Admins only."
        ),
        request=TeamWriteSerializer,
        responses={201: TeamSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TeamWriteSerializer)
        is_private = data.pop("is_private", None)
        with transaction.atomic():
            team = services.team_create(actor=self.member, **data)
            if is_private is not None:
                team = services.team_set_private(
                    actor=self.member, team=team, is_private=is_private
                )
        return Response(TeamSerializer(team).data, status=201)

    @extend_schema(
        summary="Update a team (admin)",
        request=TeamWriteSerializer,
        responses={200: TeamSerializer, **WRITE_ERRORS},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TeamWriteSerializer)
        is_private = data.pop("is_private", None)
        with transaction.atomic():
            team = services.team_update(actor=self.member, team=self.get_object(), **data)
            if is_private is not None:
                team = services.team_set_private(
                    actor=self.member, team=team, is_private=is_private
                )
        return Response(TeamSerializer(team).data)

    @extend_schema(summary="Delete a team (admin)", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.team_delete(actor=self.member, team=self.get_object())
        return Response(status=204)
