"""Bearer tokens for the API: `Authorization: Bearer aln_…`, hashed lookup, scope, expiry."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from alignment import api_auth_cache, api_throttling
from alignment.models import ApiToken, Membership, hash_secret

# last_used_at is written at most this often per token, so reads don't all become writes.
LAST_USED_RESOLUTION_SECONDS = 60


def with_membership(tokens: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
    """Tokens with their user's membership in the token's workspace, read in the same query
    (subqueries on the (workspace, user) unique index): the API's role check then needs no
    query of its own. Between requests the result is cached (api_auth_cache), invalidated
    by every change, so a revoked token, a removed member or a changed role counts from the
    next request on."""
    member = Membership.objects.filter(
        workspace_id=OuterRef("workspace_id"), user_id=OuterRef("user_id")
    ).order_by()
    return tokens.annotate(
        member_id=Subquery(member.values("pk")[:1]),
        member_role=Subquery(member.values("role")[:1]),
        member_since=Subquery(member.values("created_at")[:1]),
    )


def attach_membership(token: ApiToken) -> None:
    """`token.membership`: the Membership read by `with_membership`, or None (not a member)."""
    values: Any = token
    membership = None
    if values.member_id is not None:
        membership = Membership(
            id=values.member_id,
            workspace=token.workspace,
            user=token.user,
            role=values.member_role,
            created_at=values.member_since,
        )
        membership._state.adding = False
        membership._state.db = token._state.db
    token.membership = membership  # type: ignore[attr-defined]


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Bearer <token>'."
            )
        token_hash = hash_secret(parts[1])
        # A token read before comes from the cache, guarded by counters that every change to
        # it, its user, workspace or membership bumps (api_auth_cache); its rate limits are
        # counted in the same round trip (api_throttling), so a warm request makes one.
        lookup = api_auth_cache.Lookup(
            token_hash,
            read=lambda token_id, keys: api_throttling.count_with_token_read(
                request, token_id, keys
            ),
        )
        try:
            return self._authenticate(token_hash, lookup)
        except exceptions.AuthenticationFailed:
            api_throttling.uncount_token(request)
            raise

    def _authenticate(self, token_hash: str, lookup: api_auth_cache.Lookup) -> tuple[Any, ApiToken]:
        token = lookup.cached()
        from_cache = token is not None
        if token is None:
            token = with_membership(
                ApiToken.objects.select_related("user", "workspace").filter(token_hash=token_hash)
            ).first()
            if token is None:
                raise exceptions.AuthenticationFailed("The API token is not valid.")
            attach_membership(token)
        if token.status != "active":
            raise exceptions.AuthenticationFailed(f"The API token is {token.status}.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is deactivated.")
        now = timezone.now()
        stale = token.last_used_at is None or (
            (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        )
        if stale:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        if stale or not from_cache:
            lookup.remember(token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "alignment.api_auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API token, created on the API tokens page.",
        }
