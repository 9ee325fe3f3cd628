"""Writes with rules for the workspace core. Keyword-only, actor first, one transaction each."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from alignment.audit import audit_by, audit_record, snapshot
from alignment.errors import (
    AlreadyMember,
    Conflict,
    CrossWorkspaceLink,
    FieldErrors,
    InvitationInvalid,
    LastOwner,
    RoleRequired,
)
from alignment.models import (
    RESERVED_SLUGS,
    ApiToken,
    Invitation,
    InvitationTeam,
    Membership,
    Role,
    Team,
    TeamKeyAlias,
    TeamMember,
    TokenScope,
    User,
    Workspace,
    hash_secret,
)


def _unique_slug(name: str) -> str:
    base = (slugify(name)[:40].strip("-") or "workspace").lower()
    if base in RESERVED_SLUGS:
        base = f"{base}-team"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def workspace_create(*, actor: User, name: str, slug: str = "") -> Workspace:
    """Create a workspace with `actor` as its owner."""
    name = name.strip()
    if not name:
        raise FieldErrors({"name": "Give the workspace a name."})
    if slug:
        if slug in RESERVED_SLUGS:
            raise FieldErrors({"slug": f"“{slug}” is reserved; choose another."})
        if Workspace.objects.filter(slug=slug).exists():
            raise FieldErrors({"slug": f"“{slug}” is taken; choose another."})
    workspace = Workspace(name=name, slug=slug or _unique_slug(name))
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    audit_record(workspace=workspace, actor=actor, verb="workspace.created", obj=workspace)
    return workspace


@transaction.atomic
def user_sign_up(*, email: str, password: str, full_name: str, workspace_name: str) -> User:
    """A new person with a new workspace of their own, which they own."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise FieldErrors({"email": "An account with this e-mail exists. Log in instead."})
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    workspace_create(actor=user, name=workspace_name)
    return user


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
    audit_by(
        actor,
        verb="team.created",
        obj=team,
        after=snapshot(team, TEAM_FIELDS),
    )
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
    audit_by(
        actor,
        verb="team.updated",
        obj=team,
        before=before,
        after=snapshot(team, TEAM_FIELDS),
    )
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


def _lock_owners(workspace: Workspace) -> int:
    # Lock the owner rows so two concurrent demotions cannot both pass the last-owner rule.
    return len(
        list(
            Membership.objects.select_for_update()
            .filter(workspace=workspace, role=Role.OWNER)
            .values_list("pk", flat=True)
        )
    )


def _locked_membership(actor: Membership, membership: Membership) -> Membership:
    # Re-read under lock: the caller's copy may be stale, and it must be in actor's workspace.
    locked = (
        Membership.objects.select_for_update()
        .select_related("user")
        .for_workspace(actor.workspace_id)
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise CrossWorkspaceLink(what="That member")
    return locked


@transaction.atomic
def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    """Owners change roles; the last owner cannot be demoted."""
    if role not in Role.values:
        raise FieldErrors({"role": f"Choose one of: {', '.join(Role.values)}."})
    if not actor.has_role(Role.OWNER):
        raise RoleRequired(role="owner")
    owners = _lock_owners(actor.workspace)
    membership = _locked_membership(actor, membership)
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and owners <= 1:
        raise LastOwner()
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_by(
        actor,
        verb="membership.role_changed",
        obj=membership,
        before=before,
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> None:
    """Owners remove anyone; anyone may leave. The last owner cannot go.

    Leaving also revokes the person's API tokens here and takes them off this workspace's teams.
    """
    leaving = membership.pk == actor.pk
    if not leaving and not actor.has_role(Role.OWNER):
        raise RoleRequired(role="owner")
    owners = _lock_owners(actor.workspace)
    membership = _locked_membership(actor, membership)
    if membership.role == Role.OWNER and owners <= 1:
        raise LastOwner()
    audit_by(
        actor,
        verb="membership.left" if leaving else "membership.removed",
        obj=membership,
        before={"email": membership.user.email, "role": membership.role},
    )
    membership_end(membership=membership)


def membership_end(*, membership: Membership) -> None:
    """What leaving a workspace takes away: its API tokens, its teams, the membership itself.

    No rules here: callers (`membership_remove`, SCIM deprovisioning) authorise and audit.
    Open sessions lose the workspace at once, because every request resolves the membership.
    """
    ApiToken.objects.filter(
        workspace_id=membership.workspace_id, user=membership.user, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    TeamMember.objects.for_workspace(membership.workspace_id).filter(user=membership.user).delete()
    membership.delete()


def _normalized_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise FieldErrors({"email": "Enter a valid e-mail address."}) from exc
    return email


def _guest_teams(actor: Membership, role: str, teams: Iterable[Team]) -> list[Team]:
    """The teams a guest invitation names: at least one, all of this workspace; none otherwise."""
    teams = list(teams)
    if role != Role.GUEST:
        if teams:
            raise FieldErrors({"teams": "Only guests are invited to teams; leave this empty."})
        return []
    if not teams:
        raise FieldErrors({"teams": "Choose the teams the guest may work in."})
    if any(team.workspace_id != actor.workspace_id for team in teams):
        raise CrossWorkspaceLink(what="The team")
    return sorted(set(teams), key=lambda team: team.pk)


def _invitation_issue(
    *, actor: Membership, email: str, role: str, verb: str, teams: Iterable[Team] = ()
) -> tuple[Invitation, str]:
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    email = _normalized_email(email)
    if role not in Role.values:
        raise FieldErrors({"role": f"Choose one of: {', '.join(Role.values)}."})
    if role == Role.OWNER and not actor.has_role(Role.OWNER):
        raise RoleRequired(role="owner")
    guest_teams = _guest_teams(actor, role, teams)
    if Membership.objects.filter(workspace=actor.workspace, user__email__iexact=email).exists():
        raise AlreadyMember(email=email)
    # A new invitation replaces any pending one for the same address.
    Invitation.objects.pending().filter(workspace=actor.workspace, email__iexact=email).update(
        revoked_at=timezone.now()
    )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=actor.workspace,
        email=email,
        role=role,
        token_hash=hash_secret(raw),
        invited_by=actor.user,
    )
    InvitationTeam.objects.bulk_create(
        InvitationTeam(workspace=actor.workspace, invitation=invitation, team=team)
        for team in guest_teams
    )
    after: dict[str, object] = {"email": email, "role": role}
    if guest_teams:
        after["teams"] = [team.key for team in guest_teams]
    audit_by(actor, verb=verb, obj=invitation, after=after)
    link = settings.SITE_URL + reverse("accounts:invitation_accept", kwargs={"token": raw})
    context = {"invitation": invitation, "link": link, "inviter": actor.user}
    subject = f"{actor.user.display_name} invited you to {actor.workspace.name} on Alignment"
    transaction.on_commit(
        lambda: send_mail(
            subject=subject,
            message=render_to_string("emails/invitation.txt", context),
            html_message=render_to_string("emails/invitation.html", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, raw


@transaction.atomic
def invitation_create(
    *, actor: Membership, email: str, role: str, teams: Iterable[Team] = ()
) -> tuple[Invitation, str]:
    """Invite someone by e-mail; returns the invitation and the raw link token (sent, not kept).
    A guest invitation names the teams the guest joins on accepting."""
    return _invitation_issue(
        actor=actor, email=email, role=role, verb="invitation.created", teams=teams
    )


@transaction.atomic
def invitation_resend(*, actor: Membership, invitation: Invitation) -> tuple[Invitation, str]:
    """E-mail a fresh link for the same address and role; the old link stops working."""
    if invitation.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what="The invitation")
    if invitation.status == "accepted":
        raise Conflict(f"{invitation.email} already accepted this invitation.")
    return _invitation_issue(
        actor=actor,
        email=invitation.email,
        role=invitation.role,
        verb="invitation.resent",
        teams=list(invitation.teams.all()),
    )


def invitation_by_token(raw: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_secret(raw))
        .first()
    )
    if invitation is None:
        raise InvitationInvalid(state="not valid")
    if invitation.status != "pending":
        raise InvitationInvalid(state=invitation.status)
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, raw_token: str) -> Membership:
    """Join the workspace. Single use: the row is locked and marked accepted."""
    invitation = invitation_by_token(raw_token)
    invitation = (
        Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    )
    if invitation.status != "pending":
        raise InvitationInvalid(state=invitation.status)
    if user.email.lower() != invitation.email.lower():
        raise Conflict(
            f"This invitation was sent to {invitation.email}; you are signed in as {user.email}."
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                workspace=invitation.workspace, user=user, role=invitation.role
            )
    except IntegrityError as exc:
        raise AlreadyMember(email=user.email) from exc
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    teams = list(invitation.teams.all()) if invitation.role == Role.GUEST else []
    TeamMember.objects.bulk_create(
        [TeamMember(workspace=invitation.workspace, team=team, user=user) for team in teams],
        ignore_conflicts=True,
    )
    after: dict[str, object] = {"role": invitation.role}
    if teams:
        after["teams"] = [team.key for team in teams]
    audit_record(
        workspace=invitation.workspace,
        actor=user,
        verb="invitation.accepted",
        obj=invitation,
        after=after,
    )
    return membership


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Stop a pending invitation's link from working (admin)."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if invitation.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what="The invitation")
    if invitation.status != "pending":
        raise Conflict(f"This invitation is already {invitation.status}.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_by(
        actor,
        verb="invitation.revoked",
        obj=invitation,
        before={"email": invitation.email, "role": invitation.role},
    )
    return invitation


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
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_by(
            actor,
            verb="api_token.revoked",
            obj=token,
            before={"name": token.name, "prefix": token.prefix},
        )
    return token
