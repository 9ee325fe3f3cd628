"""Memberships: a member's role, removal, and the end of a membership (never the last owner)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import (
    CrossWorkspaceLink,
    FieldErrors,
    LastOwner,
    RoleRequired,
)
from alignment.models import (
    ApiToken,
    Membership,
    Role,
    TeamMember,
    Workspace,
)


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
