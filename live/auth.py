"""Who is on the other end of a socket: the session cookie (pages) or a bearer API token.

Browsers send the session cookie with a websocket handshake to any site that opens one, so a
cookie is trusted only when the handshake's Origin is this site (ALLOWED_HOSTS or
CSRF_TRUSTED_ORIGINS): another site's page cannot ride a person's session (cross-site
websocket hijacking). Scripts and the CLI send `Authorization: Bearer aln_…` instead; a token
is bound to one workspace and a read-scope token may not write.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host
from django.utils import timezone

from alignment.api_auth import LAST_USED_RESOLUTION_SECONDS
from alignment.models import ApiToken, hash_secret

Scope = dict[str, Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def origin_allowed(origin: str | None) -> bool:
    """True for this site's own pages; a handshake without Origin is not a browser's."""
    if not origin:
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return validate_host(parts.hostname, hosts) or validate_host(host, hosts)


@database_sync_to_async
def token_for(raw: str) -> tuple[ApiToken | None, str]:
    """The active token with this value and an empty reason, or None and why not."""
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(token_hash=hash_secret(raw))
        .first()
    )
    if token is None:
        return None, "the API token is not valid"
    if token.status != "active":
        return None, f"the API token is {token.status}"
    if not token.user.is_active:
        return None, "the token's user is deactivated"
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, ""


class TokenOrSessionMiddleware:
    """Sets scope["user"] (and scope["api_token"] for a token) before the consumer runs;
    scope["auth_error"] says why a presented credential was refused."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.with_session = AuthMiddlewareStack(inner)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        scope = dict(scope)
        authorization = _header(scope, b"authorization")
        if authorization:
            parts = authorization.split()
            scope["user"] = AnonymousUser()
            if len(parts) != 2 or parts[0].lower() != "bearer":
                scope["auth_error"] = "malformed Authorization header: use 'Bearer <token>'"
            else:
                token, reason = await token_for(parts[1])
                if token is None:
                    scope["auth_error"] = reason
                else:
                    scope["user"], scope["api_token"] = token.user, token
            return await self.inner(scope, receive, send)
        if origin_allowed(_header(scope, b"origin")):
            return await self.with_session(scope, receive, send)
        scope["user"] = AnonymousUser()
        scope["auth_error"] = "a browser socket must come from this site's own pages"
        return await self.inner(scope, receive, send)
