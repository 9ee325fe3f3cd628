"""Provisioning writes: SCIM tokens, users (membership while active) and groups (teams).

Every write runs in one transaction as the token's creator (`ScimActor.member`), through the
workspace core's services where one exists (teams, team members, the end of a membership), so
SCIM cannot do what that admin could not do in the app, and the audit log says who set it up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment import services as core
from alignment.api_auth import LAST_USED_RESOLUTION_SECONDS
from alignment.audit import audit_by
from alignment.errors import Conflict, DomainError, FieldErrors, RoleRequired
from alignment.models import (
    ApiToken,
    Membership,
    Role,
    Team,
    TeamMember,
    User,
    Workspace,
    hash_secret,
)
from alignment.sessions import user_sessions_end
from scim.errors import Forbidden, InvalidValue, ResourceNotFound, Unauthorized, Uniqueness
from scim.models import ScimGroup, ScimToken, ScimUser


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
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_by(
            actor,
            verb="scim_token.revoked",
            obj=token,
            before={"name": token.name, "prefix": token.prefix},
        )
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


# --- Users ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFields:
    """A SCIM User's attributes that we keep, parsed and checked."""

    user_name: str
    external_id: str
    given_name: str
    family_name: str
    full_name: str
    email: str
    active: bool | None


def _text(value: Any, name: str, *, max_length: int = 255) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string.")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidValue(f"{name} is longer than {max_length} characters.")
    return value


def _boolean(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"  # Entra sends "False" as a string
    raise InvalidValue(f"{name} must be true or false.")


def _valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _pick_email(emails: Any, user_name: str) -> str:
    """The primary e-mail, else the work one, else the first; else userName if it is one."""
    if emails is not None and not isinstance(emails, list):
        raise InvalidValue("emails must be a list.")
    candidates = [e for e in emails or [] if isinstance(e, dict) and e.get("value")]
    ranked = sorted(
        candidates,
        key=lambda e: (_boolean(e.get("primary"), "primary") is not True, e.get("type") != "work"),
    )
    for email in ranked:
        value = _text(email.get("value"), "emails.value", max_length=254).lower()
        if _valid_email(value):
            return value
    if _valid_email(user_name):
        return user_name.lower()
    raise InvalidValue("Give the user an e-mail address (emails, or a userName that is one).")


def parse_user(document: Any) -> UserFields:
    """Read a SCIM User document (a POST or PUT body, or a patched document)."""
    if not isinstance(document, dict):
        raise InvalidValue("A user is a JSON object.")
    user_name = _text(document.get("userName"), "userName")
    if not user_name:
        raise InvalidValue("userName is required.")
    name = document.get("name") or {}
    if not isinstance(name, dict):
        raise InvalidValue("name must be an object.")
    given = _text(name.get("givenName"), "name.givenName", max_length=150)
    family = _text(name.get("familyName"), "name.familyName", max_length=150)
    full_name = (
        _text(document.get("displayName"), "displayName", max_length=150)
        or _text(name.get("formatted"), "name.formatted", max_length=150)
        or f"{given} {family}".strip()
    )
    return UserFields(
        user_name=user_name,
        external_id=_text(document.get("externalId"), "externalId"),
        given_name=given,
        family_name=family,
        full_name=full_name[:150],
        email=_pick_email(document.get("emails"), user_name),
        active=_boolean(document.get("active"), "active"),
    )


def user_document(scim_user: ScimUser) -> dict[str, Any]:
    """The attributes a PATCH may change, as the document `apply_patch` works on."""
    return {
        "userName": scim_user.user_name,
        "externalId": scim_user.external_id,
        "displayName": scim_user.user.full_name,
        "name": {
            "givenName": scim_user.given_name,
            "familyName": scim_user.family_name,
            "formatted": None,
        },
        "emails": [{"value": scim_user.user.email, "type": "work", "primary": True}],
        "active": scim_user.active,
    }


def _owns_identity(workspace: Workspace, scim_user: ScimUser) -> bool:
    """May this workspace's provider change the person's name and log-in e-mail?

    Only for an account it created, and only while the person belongs to no other workspace:
    a provider of workspace A must never change how someone signs in to (or appears in)
    workspace B, nor take over an account that existed before it (by changing its e-mail).
    """
    return (
        scim_user.created_account
        and not Membership.objects.filter(user_id=scim_user.user_id)
        .exclude(workspace=workspace)
        .exists()
    )


def _check_user_name_free(workspace: Workspace, user_name: str, scim_user: ScimUser | None) -> None:
    taken = ScimUser.objects.for_workspace(workspace).filter(user_name__iexact=user_name)
    if scim_user is not None:
        taken = taken.exclude(pk=scim_user.pk)
    if taken.exists():
        raise Uniqueness(f"A user with userName {user_name!r} already exists.")


def _update_identity(actor: ScimActor, scim_user: ScimUser, fields: UserFields) -> None:
    if not _owns_identity(actor.workspace, scim_user):
        return
    user = scim_user.user
    changed = []
    if fields.full_name and user.full_name != fields.full_name:
        user.full_name = fields.full_name
        changed.append("full_name")
    if user.email.lower() != fields.email:
        if User.objects.filter(email__iexact=fields.email).exclude(pk=user.pk).exists():
            raise Uniqueness(f"Another account already uses {fields.email}.")
        user.email = fields.email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)


def _provision(actor: ScimActor, scim_user: ScimUser) -> None:
    """Make the person a member (role member), or adopt the membership they already have."""
    _membership, created = Membership.objects.get_or_create(
        workspace=actor.workspace, user=scim_user.user, defaults={"role": Role.MEMBER}
    )
    actor.audit(
        "scim.user_provisioned" if created else "scim.user_linked",
        scim_user,
        after={"email": scim_user.user.email, "role": _membership.role},
    )


def _deprovision(actor: ScimActor, scim_user: ScimUser, *, verb: str) -> None:
    """End the person's membership here, their tokens here, and if this was their last
    workspace, their sessions and every token they have anywhere."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "workspace")
        .filter(workspace=actor.workspace, user=scim_user.user)
        .first()
    )
    if membership is not None:
        if membership.role == Role.OWNER:
            if not actor.member.has_role(Role.OWNER):
                raise Forbidden(
                    "Only a SCIM token created by an owner can deprovision an owner; an admin's "
                    "token cannot remove someone it could not remove in the app."
                )
            owners = Membership.objects.select_for_update().filter(
                workspace=actor.workspace, role=Role.OWNER
            )
            if len(list(owners.values_list("pk", flat=True))) <= 1:
                raise Forbidden("The last owner cannot be deprovisioned; make someone else owner.")
        actor.audit(
            verb, scim_user, before={"email": scim_user.user.email, "role": membership.role}
        )
        core.membership_end(membership=membership)
    else:
        actor.audit(verb, scim_user, before={"email": scim_user.user.email, "role": None})
    if not Membership.objects.filter(user=scim_user.user).exists():
        ApiToken.objects.filter(user=scim_user.user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        user_sessions_end(scim_user.user)


def _save_scim_user(scim_user: ScimUser) -> None:
    scim_user.updated_at = timezone.now()
    try:
        with transaction.atomic():
            scim_user.save()
    except IntegrityError as exc:  # a concurrent create with the same userName or person
        raise Uniqueness("That user already exists.") from exc


@transaction.atomic
def scim_user_create(*, actor: ScimActor, fields: UserFields) -> ScimUser:
    """Provision a person: find their account by e-mail or create it, and make them a member."""
    _check_user_name_free(actor.workspace, fields.user_name, None)
    user = User.objects.filter(email__iexact=fields.email).first()
    created_account = user is None
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=fields.email, full_name=fields.full_name)
        except IntegrityError as exc:  # created concurrently by another request
            raise Uniqueness(f"An account for {fields.email} was just created; retry.") from exc
    elif ScimUser.objects.for_workspace(actor.workspace).filter(user=user).exists():
        raise Uniqueness(f"{fields.email} is already provisioned in this workspace.")
    scim_user = ScimUser(
        workspace=actor.workspace,
        user=user,
        created_account=created_account,
        user_name=fields.user_name,
        external_id=fields.external_id,
        given_name=fields.given_name,
        family_name=fields.family_name,
        active=fields.active is not False,
    )
    _save_scim_user(scim_user)
    if scim_user.active:
        _provision(actor, scim_user)
    else:
        actor.audit("scim.user_created_inactive", scim_user, after={"email": user.email})
    return scim_user


@transaction.atomic
def scim_user_replace(*, actor: ScimActor, scim_user: ScimUser, fields: UserFields) -> ScimUser:
    """PUT (and, through the patched document, PATCH): the attributes, then the activity."""
    scim_user = ScimUser.objects.select_for_update().select_related("user").get(pk=scim_user.pk)
    _check_user_name_free(actor.workspace, fields.user_name, scim_user)
    _update_identity(actor, scim_user, fields)
    scim_user.user_name = fields.user_name
    scim_user.external_id = fields.external_id
    scim_user.given_name, scim_user.family_name = fields.given_name, fields.family_name
    was_active = scim_user.active
    if fields.active is not None:
        scim_user.active = fields.active
    if was_active and not scim_user.active:
        _deprovision(actor, scim_user, verb="scim.user_deprovisioned")
    elif scim_user.active and not was_active:
        _provision(actor, scim_user)
    _save_scim_user(scim_user)
    return scim_user


@transaction.atomic
def scim_user_delete(*, actor: ScimActor, scim_user: ScimUser) -> None:
    """DELETE: deprovision as active:false does, then forget the SCIM record."""
    scim_user = ScimUser.objects.select_for_update().select_related("user").get(pk=scim_user.pk)
    _deprovision(actor, scim_user, verb="scim.user_deleted")
    scim_user.delete()


# --- Groups (teams) -------------------------------------------------------------------------


def _team_key(workspace: Workspace, name: str) -> str:
    """A free team key from a group name: initials of several words, else its first letters."""
    words = re.findall(r"[A-Za-z0-9]+", name.upper())
    base = "".join(w[0] for w in words) if len(words) > 1 else "".join(words)[:6]
    base = re.sub(r"^[0-9]+", "", base)[:6]
    if len(base) < 2:
        base = (base + "GRP")[:3] if base else "GRP"
    taken = set(Team.objects.for_workspace(workspace).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}{n}"[:10], n + 1
    return key


def _domain_to_scim(exc: DomainError) -> InvalidValue | Uniqueness | Forbidden:
    if isinstance(exc, Conflict) or (isinstance(exc, FieldErrors) and "name" in exc.fields):
        return Uniqueness(exc.text if not exc.fields else "; ".join(sum(exc.fields.values(), [])))
    if isinstance(exc, RoleRequired):
        return Forbidden(exc.text)
    detail = "; ".join(sum(exc.fields.values(), [])) if exc.fields else exc.text
    return InvalidValue(detail)


def _members_of(actor: ScimActor, values: list[Any] | None) -> list[ScimUser] | None:
    if values is None:
        return None
    ids = []
    for member in values:
        value = member.get("value") if isinstance(member, dict) else None
        if not isinstance(value, str | int) or not str(value).isdecimal() or len(str(value)) > 18:
            raise InvalidValue("Each member needs the value (id) of a provisioned user.")
        ids.append(int(value))
    found = {
        u.pk: u
        for u in ScimUser.objects.for_workspace(actor.workspace)
        .select_related("user")
        .filter(pk__in=ids)
    }
    missing = sorted(set(ids) - set(found))
    if missing:
        raise InvalidValue(f"No provisioned user has the id {missing[0]} in this workspace.")
    return list(found.values())


def _sync_members(actor: ScimActor, team: Team, wanted: list[ScimUser]) -> None:
    """Make the team's provisioned members exactly `wanted` (the active ones among them).

    People put on the team in the app, who are no SCIM users, stay; inactive SCIM users are
    no members of the workspace, so they cannot be on a team until reactivated.
    """
    provisioned = ScimUser.objects.for_workspace(actor.workspace).values("user_id")
    current = {
        tm.user_id: tm
        for tm in TeamMember.objects.for_workspace(actor.workspace)
        .select_related("user", "team")
        .filter(team=team, user_id__in=provisioned)
    }
    wanted_ids = {u.user_id: u for u in wanted if u.active}
    for user_id, team_member in current.items():
        if user_id not in wanted_ids:
            core.team_member_remove(actor=actor.member, team_member=team_member)
    for user_id, scim_user in wanted_ids.items():
        if user_id not in current:
            core.team_member_add(actor=actor.member, team=team, user=scim_user.user)


@dataclass(frozen=True)
class GroupFields:
    display_name: str
    external_id: str
    members: list[Any] | None  # None: leave members as they are


def parse_group(document: Any) -> GroupFields:
    if not isinstance(document, dict):
        raise InvalidValue("A group is a JSON object.")
    display_name = _text(document.get("displayName"), "displayName", max_length=100)
    if not display_name:
        raise InvalidValue("displayName is required.")
    members = document.get("members")
    if members is not None and not isinstance(members, list):
        raise InvalidValue("members must be a list.")
    return GroupFields(
        display_name=display_name,
        external_id=_text(document.get("externalId"), "externalId"),
        members=members,
    )


def group_document(group: ScimGroup, member_ids: list[int]) -> dict[str, Any]:
    return {
        "displayName": group.team.name,
        "externalId": group.external_id,
        "members": [{"value": str(pk)} for pk in member_ids],
    }


@transaction.atomic
def scim_group_create(*, actor: ScimActor, fields: GroupFields) -> ScimGroup:
    """A team for the group, or the existing team of that name if no group manages it yet."""
    team = Team.objects.for_workspace(actor.workspace).filter(name__iexact=fields.display_name)
    existing = team.select_for_update().first()
    try:
        if existing is not None:
            if ScimGroup.objects.filter(team=existing).exists():
                raise Uniqueness(f"A group named {fields.display_name!r} already exists.")
            team_obj = existing
        else:
            team_obj = core.team_create(
                actor=actor.member,
                name=fields.display_name,
                key=_team_key(actor.workspace, fields.display_name),
            )
        group = ScimGroup.objects.create(
            workspace=actor.workspace, team=team_obj, external_id=fields.external_id
        )
        actor.audit("scim.group_linked", team_obj, after={"group": group.pk})
        members = _members_of(actor, fields.members)
        if members is not None:
            _sync_members(actor, team_obj, members)
    except DomainError as exc:
        raise _domain_to_scim(exc) from exc
    return group


@transaction.atomic
def scim_group_replace(*, actor: ScimActor, group: ScimGroup, fields: GroupFields) -> ScimGroup:
    """PUT (and patched PATCH documents): rename the team, then set its provisioned members."""
    group = ScimGroup.objects.select_for_update().select_related("team").get(pk=group.pk)
    team = group.team
    try:
        if team.name != fields.display_name:
            core.team_update(
                actor=actor.member,
                team=team,
                name=fields.display_name,
                key=team.key,
                description=team.description,
            )
        members = _members_of(actor, fields.members)
        if members is not None:
            _sync_members(actor, team, members)
    except DomainError as exc:
        raise _domain_to_scim(exc) from exc
    group.external_id = fields.external_id
    group.updated_at = timezone.now()
    group.save(update_fields=["external_id", "updated_at"])
    return group


@transaction.atomic
def scim_group_delete(*, actor: ScimActor, group: ScimGroup) -> None:
    """Delete the team; a team that still has work is only unlinked (its work is kept)."""
    group = ScimGroup.objects.select_for_update().select_related("team").get(pk=group.pk)
    team = group.team
    group.delete()
    try:
        with transaction.atomic():
            core.team_delete(actor=actor.member, team=team)
    except Conflict:
        actor.audit("scim.group_unlinked", team, after={"reason": "the team has work attached"})
