"""The invitations settings page (admin): invite, list by status, revoke, resend."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import Invitation, Role
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def url(world, name="invitations", **kwargs):
    return reverse(f"workspace:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def link_in(message) -> str:
    return re.search(r"http\S+/accounts/invitations/\S+/", message.body).group(0)


def test_admin_invites_by_e_mail(
    admin_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(world), {"email": "new@example.com", "role": "viewer"})

    assert response.status_code == 303
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new@example.com",
        Role.VIEWER,
        world.admin.user,
    )
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    assert "Acme Inc" in mailoutbox[0].subject
    page = admin_client.get(url(world)).content.decode()
    assert "Invitation sent to new@example.com" in page
    assert "new@example.com" in page


def test_invalid_e_mail_re_renders_the_form_with_422(admin_client, world, mailoutbox):
    response = admin_client.post(url(world), {"email": "nope", "role": "member"})

    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_inviting_an_existing_member_is_a_form_error(admin_client, world):
    response = admin_client.post(url(world), {"email": world.viewer.user.email, "role": "member"})

    assert response.status_code == 422
    assert f"{world.viewer.user.email} is already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_admins_are_not_offered_the_owner_role(admin_client, world):
    body = admin_client.get(url(world)).content.decode()
    assert '<option value="owner"' not in body

    response = admin_client.post(url(world), {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_owners_may_invite_owners(owner_client, world):
    response = owner_client.post(url(world), {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 303
    assert Invitation.objects.get().role == Role.OWNER


def test_members_cannot_see_or_send_invitations(member_client, world):
    page = member_client.get(url(world))
    post = member_client.post(url(world), {"email": "x@example.com", "role": "member"})

    assert page.status_code == 403
    assert "This needs the admin role or higher" in page.content.decode()
    assert post.status_code == 403
    assert not Invitation.objects.exists()


def test_list_shows_every_status_and_filters_by_one(admin_client, world):
    now = timezone.now()
    InvitationFactory(workspace=world.workspace, email="pending@example.com")
    InvitationFactory(workspace=world.workspace, email="accepted@example.com", accepted_at=now)
    InvitationFactory(workspace=world.workspace, email="revoked@example.com", revoked_at=now)
    InvitationFactory(
        workspace=world.workspace,
        email="expired@example.com",
        expires_at=now - timedelta(days=1),
    )

    everything = admin_client.get(url(world)).content.decode()
    expired = admin_client.get(url(world) + "?status=expired").content.decode()

    for status in ("pending", "accepted", "revoked", "expired"):
        assert f"{status}@example.com" in everything
    assert "expired@example.com" in expired
    assert "pending@example.com" not in expired


def test_empty_state_tells_what_to_do(admin_client, world):
    body = admin_client.get(url(world)).content.decode()
    assert "No invitations yet. Enter a colleague's e-mail and a role to invite them." in body


def test_revoke_makes_the_link_stop_working(admin_client, client, world):
    invitation = InvitationFactory(workspace=world.workspace, raw_token="secret-link")

    response = admin_client.post(url(world, "invitation_revoke", invitation_id=invitation.pk))

    assert response.status_code == 303
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    accept = client.get(reverse("accounts:invitation_accept", kwargs={"token": "secret-link"}))
    assert accept.status_code == 410
    assert "This invitation link is revoked" in accept.content.decode()


def test_revoking_an_accepted_invitation_is_a_conflict(admin_client, world):
    invitation = InvitationFactory(workspace=world.workspace, accepted_at=timezone.now())

    response = admin_client.post(url(world, "invitation_revoke", invitation_id=invitation.pk))

    assert response.status_code == 409
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_resend_sends_a_fresh_link_and_voids_the_old(
    admin_client, client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url(world), {"email": "late@example.com", "role": "member"})
    old = Invitation.objects.get()
    old_link = link_in(mailoutbox[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(world, "invitation_resend", invitation_id=old.pk))

    assert response.status_code == 303
    assert len(mailoutbox) == 2
    new_link = link_in(mailoutbox[1])
    assert new_link != old_link
    assert client.get(old_link).status_code == 410
    assert client.get(new_link).status_code == 200
    assert Invitation.objects.get(pk=old.pk).status == "revoked"


def test_revoking_another_workspaces_invitation_is_404(admin_client, world, world_b):
    invitation = InvitationFactory(workspace=world_b.workspace)

    response = admin_client.post(url(world, "invitation_revoke", invitation_id=invitation.pk))

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
