"""Rules of the workspace core's services, against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alignment import services
from alignment.errors import (
    AlreadyMember,
    Conflict,
    CrossWorkspaceLink,
    FieldErrors,
    InvitationInvalid,
    LastOwner,
    RoleRequired,
)
from alignment.models import ApiToken, AuditEvent, Invitation, Membership, Role, Team, TeamMember
from tests.factories import ApiTokenFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_owner_changes_a_role_and_the_audit_log_records_both_values(world):
    services.membership_change_role(actor=world.owner, membership=world.member, role=Role.ADMIN)

    world.member.refresh_from_db()
    assert world.member.role == Role.ADMIN
    event = AuditEvent.objects.get(verb="membership.role_changed")
    assert (event.before, event.after) == ({"role": "member"}, {"role": "admin"})


def test_admin_cannot_change_roles(world):
    with pytest.raises(RoleRequired):
        services.membership_change_role(
            actor=world.admin, membership=world.member, role=Role.VIEWER
        )
    world.member.refresh_from_db()
    assert world.member.role == Role.MEMBER


def test_last_owner_cannot_be_demoted(world):
    with pytest.raises(LastOwner):
        services.membership_change_role(actor=world.owner, membership=world.owner, role=Role.ADMIN)
    world.owner.refresh_from_db()
    assert world.owner.role == Role.OWNER


def test_an_owner_can_step_down_when_another_owner_exists(world):
    services.membership_change_role(actor=world.owner, membership=world.admin, role=Role.OWNER)

    services.membership_change_role(actor=world.owner, membership=world.owner, role=Role.MEMBER)

    assert Membership.objects.get(pk=world.owner.pk).role == Role.MEMBER


def test_changing_to_the_same_role_records_nothing(world):
    services.membership_change_role(actor=world.owner, membership=world.member, role=Role.MEMBER)

    assert not AuditEvent.objects.filter(verb="membership.role_changed").exists()


def test_unknown_role_is_a_field_error(world):
    with pytest.raises(FieldErrors) as caught:
        services.membership_change_role(actor=world.owner, membership=world.member, role="boss")
    assert list(caught.value.fields) == ["role"]


def test_changing_a_role_in_another_workspace_is_not_found(world, world_b):
    with pytest.raises(CrossWorkspaceLink):
        services.membership_change_role(
            actor=world.owner, membership=world_b.member, role=Role.VIEWER
        )
    world_b.member.refresh_from_db()
    assert world_b.member.role == Role.MEMBER


def test_removing_a_member_revokes_their_tokens_and_team_places(world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.member.user)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=world.member.user)

    services.membership_remove(actor=world.owner, membership=world.member)

    assert not Membership.objects.filter(pk=world.member.pk).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not TeamMember.objects.filter(user=world.member.user).exists()
    assert AuditEvent.objects.get(verb="membership.removed").before == {
        "email": world.member.user.email,
        "role": "member",
    }


def test_removing_keeps_the_persons_tokens_in_other_workspaces(world, world_b):
    MembershipFactory(workspace=world_b.workspace, user=world.member.user)
    elsewhere = ApiTokenFactory(workspace=world_b.workspace, user=world.member.user)

    services.membership_remove(actor=world.owner, membership=world.member)

    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_admin_cannot_remove_someone_else(world):
    with pytest.raises(RoleRequired):
        services.membership_remove(actor=world.admin, membership=world.member)
    assert Membership.objects.filter(pk=world.member.pk).exists()


def test_anyone_may_leave(world):
    services.membership_remove(actor=world.viewer, membership=world.viewer)

    assert not Membership.objects.filter(pk=world.viewer.pk).exists()
    assert AuditEvent.objects.filter(verb="membership.left").count() == 1


def test_last_owner_cannot_leave(world):
    with pytest.raises(LastOwner):
        services.membership_remove(actor=world.owner, membership=world.owner)
    assert Membership.objects.filter(pk=world.owner.pk).exists()


def test_invitation_is_e_mailed_after_commit(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, raw = services.invitation_create(
            actor=world.admin, email=" New.Person@Example.com ", role=Role.MEMBER
        )

    assert invitation.email == "new.person@example.com"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.com"]
    assert f"/accounts/invitations/{raw}/" in mailoutbox[0].body
    assert invitation.token_hash != raw


def test_invitation_mail_waits_for_the_commit(world, mailoutbox):
    # Without executing on-commit callbacks nothing may be sent from inside the transaction.
    services.invitation_create(actor=world.admin, email="x@example.com", role=Role.MEMBER)
    assert mailoutbox == []


def test_admin_cannot_invite_an_owner(world):
    with pytest.raises(RoleRequired):
        services.invitation_create(actor=world.admin, email="x@example.com", role=Role.OWNER)
    assert not Invitation.objects.exists()


def test_member_cannot_invite(world):
    with pytest.raises(RoleRequired):
        services.invitation_create(actor=world.member, email="x@example.com", role=Role.VIEWER)
    assert not Invitation.objects.exists()


def test_inviting_a_member_is_refused(world):
    with pytest.raises(AlreadyMember):
        services.invitation_create(
            actor=world.admin, email=world.viewer.user.email.upper(), role=Role.MEMBER
        )
    assert not Invitation.objects.exists()


def test_invalid_e_mail_is_a_field_error(world):
    with pytest.raises(FieldErrors) as caught:
        services.invitation_create(actor=world.admin, email="not-an-address", role=Role.MEMBER)
    assert caught.value.fields == {"email": ["Enter a valid e-mail address."]}


def test_a_new_invitation_replaces_the_pending_one(world):
    first, first_raw = services.invitation_create(
        actor=world.admin, email="x@example.com", role=Role.MEMBER
    )
    services.invitation_create(actor=world.admin, email="x@example.com", role=Role.VIEWER)

    first.refresh_from_db()
    assert first.status == "revoked"
    with pytest.raises(InvitationInvalid):
        services.invitation_by_token(first_raw)


def test_resend_makes_a_fresh_link_and_voids_the_old_one(world):
    old, old_raw = services.invitation_create(
        actor=world.admin, email="x@example.com", role=Role.VIEWER
    )

    new, new_raw = services.invitation_resend(actor=world.admin, invitation=old)

    assert new.pk != old.pk
    assert new_raw != old_raw
    assert (new.email, new.role, new.status) == ("x@example.com", Role.VIEWER, "pending")
    assert services.invitation_by_token(new_raw) == new
    with pytest.raises(InvitationInvalid):
        services.invitation_by_token(old_raw)
    assert AuditEvent.objects.filter(verb="invitation.resent").count() == 1


def test_resending_an_accepted_invitation_is_refused(world):
    invitation, raw = services.invitation_create(
        actor=world.admin, email="x@example.com", role=Role.MEMBER
    )
    services.invitation_accept(user=UserFactory(email="x@example.com"), raw_token=raw)
    invitation.refresh_from_db()

    with pytest.raises(Conflict):
        services.invitation_resend(actor=world.admin, invitation=invitation)
    assert Invitation.objects.count() == 1


def test_revoking_twice_is_a_conflict(world):
    invitation, _ = services.invitation_create(
        actor=world.admin, email="x@example.com", role=Role.MEMBER
    )
    services.invitation_revoke(actor=world.admin, invitation=invitation)

    with pytest.raises(Conflict, match="already revoked"):
        services.invitation_revoke(actor=world.admin, invitation=invitation)


def test_team_key_is_upper_cased_and_validated(world):
    team = services.team_create(actor=world.admin, name=" Platform ", key="plat")
    assert (team.name, team.key) == ("Platform", "PLAT")

    with pytest.raises(FieldErrors) as caught:
        services.team_create(actor=world.admin, name="Other", key="1X")
    assert list(caught.value.fields) == ["key"]


def test_duplicate_team_key_and_name_are_refused_with_both_messages(world):
    with pytest.raises(FieldErrors) as caught:
        services.team_create(actor=world.admin, name=world.team.name.upper(), key="ENG")
    assert caught.value.fields == {
        "key": ["Another team already uses the key ENG."],
        "name": [f"Another team is already called {world.team.name.upper()}."],
    }
    assert Team.objects.for_workspace(world.workspace).count() == 1


def test_the_same_team_key_is_fine_in_another_workspace(world, world_b):
    services.team_create(actor=world.admin, name="Second engineering", key="ENG2")
    team = services.team_create(actor=world_b.admin, name="Second engineering", key="ENG2")
    assert team.workspace == world_b.workspace


def test_member_cannot_create_teams(world):
    with pytest.raises(RoleRequired):
        services.team_create(actor=world.member, name="Platform", key="PLAT")
    assert not Team.objects.filter(key="PLAT").exists()


def test_team_update_records_before_and_after(world):
    services.team_update(actor=world.admin, team=world.team, name="Core", key="CORE")

    event = AuditEvent.objects.get(verb="team.updated")
    assert event.before["key"] == "ENG"
    assert event.after == {"name": "Core", "key": "CORE", "description": ""}


def test_team_member_add_and_remove(world):
    team_member = services.team_member_add(
        actor=world.admin, team=world.team, user=world.viewer.user
    )
    assert list(world.team.members.all()) == [world.viewer.user]

    services.team_member_remove(actor=world.admin, team_member=team_member)
    assert list(world.team.members.all()) == []


def test_adding_someone_from_outside_the_workspace_is_refused(world, world_b):
    with pytest.raises(CrossWorkspaceLink):
        services.team_member_add(actor=world.admin, team=world.team, user=world_b.member.user)
    assert not TeamMember.objects.exists()


def test_adding_someone_twice_is_a_conflict(world):
    services.team_member_add(actor=world.admin, team=world.team, user=world.member.user)
    with pytest.raises(Conflict):
        services.team_member_add(actor=world.admin, team=world.team, user=world.member.user)
    assert TeamMember.objects.count() == 1


def test_team_delete_is_audited(world):
    team = TeamFactory(workspace=world.workspace)

    services.team_delete(actor=world.admin, team=team)

    assert not Team.objects.filter(pk=team.pk).exists()
    assert AuditEvent.objects.get(verb="team.deleted").before["key"] == team.key


def test_token_is_stored_hashed_with_a_recognisable_prefix(world):
    token, raw = services.api_token_create(
        actor=world.member, name="CI", scope="write", expires_in_days=30
    )
    assert raw.startswith("aln_")
    assert raw.startswith(token.prefix)
    assert raw not in (token.token_hash, token.prefix)
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)


@pytest.mark.parametrize(
    ("name", "scope", "days", "field"),
    [
        ("", "read", 30, "name"),
        ("x" * 101, "read", 30, "name"),
        ("CI", "admin", 30, "scope"),
        ("CI", "read", 0, "expires_in_days"),
        ("CI", "read", 367, "expires_in_days"),
    ],
)
def test_token_input_is_validated(world, name, scope, days, field):
    with pytest.raises(FieldErrors) as caught:
        services.api_token_create(actor=world.member, name=name, scope=scope, expires_in_days=days)
    assert list(caught.value.fields) == [field]
    assert not ApiToken.objects.exists()


def test_viewer_cannot_create_a_write_token(world):
    with pytest.raises(FieldErrors) as caught:
        services.api_token_create(actor=world.viewer, name="CI", scope="write")
    assert caught.value.fields == {"scope": ["Viewers can only create read-only tokens."]}


def test_member_cannot_revoke_someone_elses_token(world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.admin.user)
    with pytest.raises(RoleRequired):
        services.api_token_revoke(actor=world.member, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_revokes_anyones_token(world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.member.user)

    services.api_token_revoke(actor=world.admin, token=token)

    token.refresh_from_db()
    assert token.status == "revoked"
