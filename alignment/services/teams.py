"""Teams: create, rename (old keys keep resolving), make private, delete, members."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from alignment.audit import audit_by, audit_change, audit_created, snapshot
from alignment.errors import (
    Conflict,
    CrossWorkspaceLink,
    FieldErrors,
    RoleRequired,
)
from alignment.models import (
    Membership,
    Role,
    Team,
    TeamKeyAlias,
    TeamMember,
    User,
)

TEAM_FIELDS = ["name", "key", "description"]


@transaction.atomic
def team_create(*, actor: Membership, name: str, key: str, description: str = "") -> Team:
    """Create a team (admin); keys and names are unique in the workspace."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    team = Team(
        workspace=actor.workspace,
        name=name.strip(),
        key=key.strip().upper(),
        description=description,
    )
    _validate_team(team)
    _save_team(team)
    audit_created(actor, verb="team.created", obj=team, fields=TEAM_FIELDS)
    return team


@transaction.atomic
def team_update(
    *, actor: Membership, team: Team, name: str, key: str, description: str = ""
) -> Team:
    """Rename a team or change its key (admin)."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    before = snapshot(team, TEAM_FIELDS)
    old_key = team.key
    team.name, team.key, team.description = name.strip(), key.strip().upper(), description
    _validate_team(team)
    _save_team(team)
    if team.key != old_key:
        _keep_old_key_resolving(team, old_key)
    audit_change(actor, verb="team.updated", obj=team, before=before, fields=TEAM_FIELDS)
    return team


def _keep_old_key_resolving(team: Team, old_key: str) -> None:
    """Links, commits and bookmarks naming `OLD-12` must still find the task now `NEW-12`."""
    aliases = TeamKeyAlias.objects.for_workspace(team.workspace_id)
    aliases.filter(key=team.key).delete()  # the new current key wins over anyone's alias
    aliases.update_or_create(workspace_id=team.workspace_id, key=old_key, defaults={"team": team})


def _save_team(team: Team) -> None:
    # Two people creating the same key at once both pass _validate_team; the constraint decides.
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise FieldErrors({"key": "Another team already uses this key or name."}) from exc


def _validate_team(team: Team) -> None:
    try:
        team.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise FieldErrors(exc.message_dict) from exc
    others = Team.objects.for_workspace(team.workspace_id).exclude(pk=team.pk)
    errors: dict[str, list[str] | str] = {}
    if others.filter(key=team.key).exists():
        errors["key"] = f"Another team already uses the key {team.key}."
    if others.filter(name__iexact=team.name).exists():
        errors["name"] = f"Another team is already called {team.name}."
    if errors:
        raise FieldErrors(errors)


@transaction.atomic
def team_set_private(*, actor: Membership, team: Team, is_private: bool) -> Team:
    """Make a team private or public again (admin). Private: only its members and the
    workspace's admins and owners see its work; company rollups still count it, untitled."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if team.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what="The team")
    if team.is_private == is_private:
        return team  # no change, no audit event
    Team.objects.filter(pk=team.pk).update(is_private=is_private)
    team.is_private = is_private
    audit_by(
        actor,
        verb="team.made_private" if is_private else "team.made_public",
        obj=team,
        before={"is_private": not is_private},
        after={"is_private": is_private},
    )
    return team


@transaction.atomic
def team_delete(*, actor: Membership, team: Team) -> None:
    """Delete a team (admin). Refused while other rows (sprints, tasks…) still point at it."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    audit_by(
        actor,
        verb="team.deleted",
        obj=team,
        before=snapshot(team, TEAM_FIELDS),
    )
    try:
        with transaction.atomic():
            team.delete()
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        # IntegrityError: rows that must keep a team (e.g. team-level objectives) would lose it.
        raise Conflict(
            f"{team.name} still has work attached; move or delete its objectives, sprints and "
            "tasks first."
        ) from exc


@transaction.atomic
def team_member_add(*, actor: Membership, team: Team, user: User) -> TeamMember:
    """Put a workspace member on a team (admin). People outside the workspace are not found."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if team.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what="The team")
    if not Membership.objects.for_workspace(actor.workspace).filter(user=user).exists():
        raise CrossWorkspaceLink(what="That person")
    team_member, created = TeamMember.objects.get_or_create(
        team=team, user=user, defaults={"workspace": actor.workspace}
    )
    if not created:
        raise Conflict(f"{user.display_name} is already on {team.name}.")
    audit_by(
        actor,
        verb="team.member_added",
        obj=team,
        after={"user": user.email},
    )
    return team_member


@transaction.atomic
def team_member_remove(*, actor: Membership, team_member: TeamMember) -> None:
    """Take someone off a team (admin). Their workspace membership stays."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if team_member.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what="The team member")
    audit_by(
        actor,
        verb="team.member_removed",
        obj=team_member.team,
        before={"user": team_member.user.email},
    )
    team_member.delete()
