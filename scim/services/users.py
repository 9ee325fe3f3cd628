"""SCIM users: parse and render the document, provision (membership while active) and
deprovision, create, replace, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment import services as core
from alignment.models import (
    ApiToken,
    Membership,
    Role,
    User,
    Workspace,
)
from alignment.sessions import user_sessions_end
from scim.errors import Forbidden, InvalidValue, Uniqueness
from scim.models import ScimUser
from scim.services.fields import text_field
from scim.services.tokens import ScimActor


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
        value = text_field(email.get("value"), "emails.value", max_length=254).lower()
        if _valid_email(value):
            return value
    if _valid_email(user_name):
        return user_name.lower()
    raise InvalidValue("Give the user an e-mail address (emails, or a userName that is one).")


def parse_user(document: Any) -> UserFields:
    """Read a SCIM User document (a POST or PUT body, or a patched document)."""
    if not isinstance(document, dict):
        raise InvalidValue("A user is a JSON object.")
    user_name = text_field(document.get("userName"), "userName")
    if not user_name:
        raise InvalidValue("userName is required.")
    name = document.get("name") or {}
    if not isinstance(name, dict):
        raise InvalidValue("name must be an object.")
    given = text_field(name.get("givenName"), "name.givenName", max_length=150)
    family = text_field(name.get("familyName"), "name.familyName", max_length=150)
    full_name = (
        text_field(document.get("displayName"), "displayName", max_length=150)
        or text_field(name.get("formatted"), "name.formatted", max_length=150)
        or f"{given} {family}".strip()
    )
    return UserFields(
        user_name=user_name,
        external_id=text_field(document.get("externalId"), "externalId"),
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
