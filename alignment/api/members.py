"""Members of a workspace: list, look up, change a role (owner), remove (owner), leave."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment import services
from alignment.api.core import UserSerializer
from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_schema import WRITE_ERRORS, read_schema
from alignment.api_serializers import ModelSerializer
from alignment.models import Membership, Role


class MemberSerializer(ModelSerializer):
    user = UserSerializer(read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "joined_at"]


class RoleWriteSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


@read_schema(
    MemberSerializer,
    list_summary="List the workspace's members",
    list_description="The people in this workspace with their roles, by name.",
    retrieve_summary="Get a member",
)
class MembershipViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    queryset = Membership.objects.all()
    serializer_class = MemberSerializer
    filter_backends: list[Any] = []
    read_role = Role.VIEWER
    write_role = Role.OWNER
    action_roles = {"partial_update": Role.OWNER, "destroy": Role.OWNER, "leave": Role.VIEWER}

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("user")

    @extend_schema(
        summary="Change a member's role (owner)",
        description="The last owner cannot be demoted (409 `last_owner`).",
        request=RoleWriteSerializer,
        responses={200: MemberSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A PATCH names what changes: without `role` nothing does (the schema says the same).
        data = self.validated(RoleWriteSerializer, partial=True)
        membership = self.get_object()
        if "role" in data:
            membership = services.membership_change_role(
                actor=self.member, membership=membership, role=data["role"]
            )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        summary="Remove a member (owner)",
        description="Revokes their API tokens here. The last owner cannot be removed (409).",
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.membership_remove(actor=self.member, membership=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Leave the workspace",
        description="Anyone may leave, except the last owner (409 `last_owner`).",
        request=None,
        responses={204: None, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def leave(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.membership_remove(actor=self.member, membership=self.member)
        return Response(status=204)
