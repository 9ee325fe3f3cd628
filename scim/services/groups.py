"""SCIM groups (teams): parse and render the document, create, replace (members synced),
delete; through the workspace core's team services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment import services as core
from alignment.errors import Conflict, DomainError, FieldErrors, RoleRequired
from alignment.models import (
    Team,
    TeamMember,
    Workspace,
)
from scim.errors import Forbidden, InvalidValue, Uniqueness
from scim.models import ScimGroup, ScimUser
from scim.services.fields import text_field
from scim.services.tokens import ScimActor


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
    display_name = text_field(document.get("displayName"), "displayName", max_length=100)
    if not display_name:
        raise InvalidValue("displayName is required.")
    members = document.get("members")
    if members is not None and not isinstance(members, list):
        raise InvalidValue("members must be a list.")
    return GroupFields(
        display_name=display_name,
        external_id=text_field(document.get("externalId"), "externalId"),
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
