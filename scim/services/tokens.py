"""SCIM tokens: create (shown once), revoke, and the actor a bearer token stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.api_auth import LAST_USED_RESOLUTION_SECONDS
from alignment.audit import audit_by
from alignment.errors import FieldErrors, RoleRequired
from alignment.models import (
    Membership,
    Role,
    Workspace,
    hash_secret,
)
from alignment.services.tokens import revoke_once
from scim.errors import ResourceNotFound, Unauthorized
from scim.models import ScimToken


@dataclass(frozen=True)
class ScimActor:
    """Who a SCIM request acts as: its token, and the current membership of its creator."""

    token: ScimToken
    member: Membership

    @property
    def workspace(self) -> Workspace:
        return self.member.workspace

    def audit(self, verb: str, obj: Any, **changes: Any) -> None:
        after = {**changes.pop("after", {}), "via": f"SCIM token {self.token.prefix}…"}
        audit_by(self.member, verb=verb, obj=obj, after=after, **changes)


# --- Tokens ---------------------------------------------------------------------------------


@transaction.atomic
def scim_token_create(*, actor: Membership, name: str) -> tuple[ScimToken, str]:
    """A provisioning token for the workspace (admin); the raw value is returned once."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    name = name.strip()
    if not name or len(name) > 100:
        raise FieldErrors({"name": "Name it after the identity provider, e.g. “Okta”."})
    raw, prefix, token_hash = ScimToken.generate()
    token = ScimToken.objects.create(
        workspace=actor.workspace,
        name=name,
        prefix=prefix,
        token_hash=token_hash,
        created_by=actor.user,
    )
    audit_by(actor, verb="scim_token.created", obj=token, after={"name": name, "prefix": prefix})
    return token, raw


@transaction.atomic
def scim_token_revoke(*, actor: Membership, token: ScimToken) -> ScimToken:
    """Stop a provisioning token at once (admin)."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if token.workspace_id != actor.workspace_id:
        raise ResourceNotFound("The token was not found in this workspace.")
    revoke_once(actor, token, verb="scim_token.revoked")
    return token


def scim_actor_for(*, authorization: str, slug: str) -> ScimActor:
    """Authenticate `Authorization: Bearer scim_…` for the workspace `slug`.

    401 for no or a wrong token; 404 for a token of another workspace (it says nothing about
    this one, as with API tokens); 401 once its creator is no longer an admin here.
    """
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send the SCIM token as Authorization: Bearer scim_….")
    token = (
        ScimToken.objects.select_related("workspace")
        .filter(token_hash=hash_secret(raw.strip()))
        .first()
    )
    if token is None or token.revoked_at is not None:
        raise Unauthorized("The SCIM token is not valid or was revoked.")
    if token.workspace.slug != slug:
        raise ResourceNotFound("Workspace not found.")
    member = (
        None
        if token.created_by_id is None
        else Membership.objects.select_related("workspace", "user")
        .filter(workspace=token.workspace, user_id=token.created_by_id, user__is_active=True)
        .first()
    )
    if member is None or not member.has_role(Role.ADMIN):
        raise Unauthorized(
            "The admin who created this SCIM token is no longer an admin of the workspace; "
            "create a new token."
        )
    now = timezone.now()
    if token.last_used_at is None or (
        (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return ScimActor(token=token, member=member)
