"""Your API tokens: list, create (the raw value is in that one response only), revoke."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment import services
from alignment.api_base import WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.errors import DomainError
from alignment.models import ApiToken, Role, TokenScope
from alignment.services import MAX_TOKEN_DAYS


class SessionRequired(DomainError):
    status, code = 403, "session_required"
    message = (
        "API tokens are created from a signed-in session (the API tokens page), not with a token."
    )


class ApiTokenSerializer(ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "status",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The raw token. Shown only here.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ApiTokenWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=TokenScope.choices, default=TokenScope.READ)
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        allow_null=True,
        default=90,
        help_text="null for a token that never expires.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List your API tokens",
        description=(
            "Your API tokens in this workspace: name, scope, expiry and last use. The secret "
            "itself is shown only once, when a token is created."
        ),
        responses={200: ApiTokenSerializer(many=True), **ERRORS},
    ),
)
class ApiTokenViewSet(ListModelMixin, WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = ApiToken.objects.all()
    serializer_class = ApiTokenSerializer
    filter_backends: list[Any] = []
    read_role = Role.VIEWER
    write_role = Role.VIEWER

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        # Listing shows your own tokens; revoking finds any token here, and the service lets
        # only its owner or an admin do it.
        if self.action == "list":
            return qs.filter(user=self.member.user)
        return qs

    @extend_schema(
        summary="Create an API token",
        description="The response's `token` is the only time the raw value is shown. Viewers "
        "may only create read-scope tokens. Needs a signed-in session: a token cannot create "
        "tokens, so a leaked token cannot outlive its revocation.",
        request=ApiTokenWriteSerializer,
        responses={201: ApiTokenCreatedSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.auth, ApiToken):
            # A token that could mint tokens would let a leaked token outlive its revocation.
            raise SessionRequired()
        token, raw = services.api_token_create(
            actor=self.member, **self.validated(ApiTokenWriteSerializer)
        )
        token.token = raw  # type: ignore[attr-defined]
        return Response(ApiTokenCreatedSerializer(token).data, status=201)

    @extend_schema(
        summary="Revoke an API token",
        description="Your own, or anyone's in the workspace if you are an admin.",
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.api_token_revoke(actor=self.member, token=self.get_object())
        return Response(status=204)
