"""Invitations: issue, resend, find by token, accept, revoke; a guest's teams."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alignment.audit import audit_by, audit_record
from alignment.errors import (
    AlreadyMember,
    Conflict,
    CrossWorkspaceLink,
    FieldErrors,
    InvitationInvalid,
    RoleRequired,
)
from alignment.models import (
    Invitation,
    InvitationTeam,
    Membership,
    Role,
    Team,
    TeamMember,
    User,
    hash_secret,
)


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
