"""Invitations (admin): list, invite by e-mail, revoke, resend. The link itself is e-mailed."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment import services
from alignment.api_base import WorkspaceViewSet
from alignment.api_pagination import CursorPagination
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.filters import InvitationFilter
from alignment.models import Invitation, Role, Team


class InvitationSerializer(ModelSerializer):
    status = serializers.CharField(read_only=True)
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None)
    teams: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "teams",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]


@extend_schema_field({"type": "integer", "minimum": 1})
class WorkspaceTeamField(serializers.PrimaryKeyRelatedField):
    """A team id of the request's workspace; any other id is 'does not exist'."""

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.for_workspace(self.context["workspace"])


class InvitationWriteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    teams = serializers.ListField(
        child=WorkspaceTeamField(),
        required=False,
        default=list,
        max_length=200,
        help_text="Guests only, and required for them: the teams the guest may work in.",
    )


class InvitationPagination(CursorPagination):
    ordering = ("-created_at", "-id")  # type: ignore[assignment]


@extend_schema_view(
    list=extend_schema(
        summary="List invitations (admin)",
        description=(
            "Pending and past invitations to this workspace, newest first, with the role and teams"
            " each one grants. Admins only."
        ),
        responses={200: InvitationSerializer(many=True), **ERRORS},
    ),
)
class InvitationViewSet(ListModelMixin, WorkspaceViewSet):
    queryset = Invitation.objects.all()
    serializer_class = InvitationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = InvitationFilter
    pagination_class = InvitationPagination
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("invited_by").prefetch_related("teams")

    @extend_schema(
        summary="Invite someone by e-mail (admin)",
        description="E-mails a single-use link. Only owners may invite owners. A new invitation "
        "replaces a pending one for the same address. A guest invitation (role `guest`) names "
        "the teams the guest joins on accepting; other roles take no teams.",
        request=InvitationWriteSerializer,
        responses={201: InvitationSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invitation, _raw = services.invitation_create(
            actor=self.member, **self.validated(InvitationWriteSerializer)
        )
        return Response(InvitationSerializer(invitation).data, status=201)

    @extend_schema(
        summary="Revoke a pending invitation (admin)", responses={204: None, **WRITE_ERRORS}
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.invitation_revoke(actor=self.member, invitation=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Send a fresh link (admin)",
        description="Creates a new invitation for the same address and role; the old link stops "
        "working.",
        request=None,
        responses={201: InvitationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invitation, _raw = services.invitation_resend(
            actor=self.member, invitation=self.get_object()
        )
        return Response(InvitationSerializer(invitation).data, status=201)
