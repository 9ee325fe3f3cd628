"""API tokens: create (shown once) and revoke."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import (
    CrossWorkspaceLink,
    FieldErrors,
    RoleRequired,
)
from alignment.models import (
    ApiToken,
    Membership,
    Role,
    TokenScope,
)

MAX_TOKEN_DAYS = 366


@transaction.atomic
def api_token_create(
    *, actor: Membership, name: str, scope: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """A token for `actor` in its workspace. The raw value is returned once and never stored."""
    name = name.strip()
    errors: dict[str, list[str] | str] = {}
    if not name:
        errors["name"] = "Name the token after where it will be used, e.g. “CI deploys”."
    elif len(name) > 100:
        errors["name"] = "Use at most 100 characters."
    if scope not in TokenScope.values:
        errors["scope"] = "Choose read or write."
    elif scope == TokenScope.WRITE and not actor.has_role(Role.MEMBER):
        errors["scope"] = "Viewers can only create read-only tokens."
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        errors["expires_in_days"] = f"Choose between 1 and {MAX_TOKEN_DAYS} days, or no expiry."
    if errors:
        raise FieldErrors(errors)
    raw, prefix, token_hash = ApiToken.generate()
    token = ApiToken.objects.create(
        workspace=actor.workspace,
        user=actor.user,
        name=name,
        prefix=prefix,
        token_hash=token_hash,
        scope=scope,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_by(
        actor,
        verb="api_token.created",
        obj=token,
        after={"name": name, "scope": scope, "prefix": prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Membership, token: ApiToken) -> ApiToken:
    """Revoke at once. Your own tokens, or anyone's if you are an admin."""
    if token.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what="The token")
    if token.user_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    revoke_once(actor, token, verb="api_token.revoked")
    return token


def revoke_once(actor: Membership, token: Any, *, verb: str) -> None:
    """Revoke a token (API or SCIM: `revoked_at`, `name`, `prefix`) now, audited with its name
    and prefix; a token already revoked stays as it was, unaudited."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_by(actor, verb=verb, obj=token, before={"name": token.name, "prefix": token.prefix})
