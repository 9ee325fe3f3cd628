"""Accepting invitations end to end, and resetting a forgotten password by e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import services
from alignment.models import Invitation, Membership, Role, User
from tests.conftest import client_for
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db


def accept_url(raw: str) -> str:
    return reverse("accounts:invitation_accept", kwargs={"token": raw})


@pytest.fixture
def invited(world):
    """An invitation of a person who has an account but is not in the workspace yet."""
    user = UserFactory(email="newcomer@example.com")
    invitation, raw = services.invitation_create(
        actor=world.admin, email=user.email, role=Role.MEMBER
    )
    return user, invitation, raw


def test_invited_person_joins_with_the_invited_role(world, invited):
    user, invitation, raw = invited
    client = client_for(user)

    page = client.get(accept_url(raw))
    response = client.post(accept_url(raw))

    assert f"Join {world.workspace.name}" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == world.workspace.get_absolute_url()
    membership = Membership.objects.get(workspace=world.workspace, user=user)
    assert membership.role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_an_invitation_works_only_once(world, invited):
    user, _invitation, raw = invited
    client = client_for(user)
    client.post(accept_url(raw))

    again = client.post(accept_url(raw))

    assert again.status_code == 410
    assert "This invitation link is accepted" in again.content.decode()
    assert Membership.objects.filter(workspace=world.workspace, user=user).count() == 1


def test_an_expired_invitation_is_refused(world, invited):
    user, invitation, raw = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))

    response = client_for(user).post(accept_url(raw))

    assert response.status_code == 410
    assert "This invitation link is expired" in response.content.decode()
    assert not Membership.objects.filter(workspace=world.workspace, user=user).exists()


def test_an_unknown_link_is_refused(client):
    response = client.get(accept_url("made-up"))
    assert response.status_code == 410
    assert "This invitation link is not valid" in response.content.decode()


def test_someone_else_cannot_use_the_link(world, invited):
    _user, invitation, raw = invited
    stranger = UserFactory(email="stranger@example.com")

    response = client_for(stranger).post(accept_url(raw))

    assert response.status_code == 409
    assert "This invitation was sent to newcomer@example.com" in response.content.decode()
    assert not Membership.objects.filter(workspace=world.workspace, user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_someone_who_joined_meanwhile_is_told_they_are_a_member(world):
    user = UserFactory(email="twice@example.com")
    InvitationFactory(workspace=world.workspace, email=user.email, raw_token="twice-link")
    MembershipFactory(workspace=world.workspace, user=user, role=Role.VIEWER)

    response = client_for(user).post(accept_url("twice-link"))

    assert response.status_code == 409
    assert "twice@example.com is already a member" in response.content.decode()
    assert Membership.objects.get(workspace=world.workspace, user=user).role == Role.VIEWER


def test_signed_out_visitor_is_asked_to_log_in_first(client, world, invited):
    _user, _invitation, raw = invited

    page = client.get(accept_url(raw))
    post = client.post(accept_url(raw))

    assert page.status_code == 200
    assert "Log in or create an account with newcomer@example.com first" in page.content.decode()
    assert post.status_code == 200
    assert not Membership.objects.filter(user__email="newcomer@example.com").exists()


def test_password_reset_by_e_mail(client, world, mailoutbox):
    user = world.member.user

    sent = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert sent.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    link = re.search(r"/accounts/password/reset/[^/\s]+/[^/\s]+/", mailoutbox[0].body).group(0)

    form = client.get(link, follow=True)
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase")
    assert not user.check_password(PASSWORD)


def test_password_reset_link_works_once(client, world, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": world.member.user.email})
    link = re.search(r"/accounts/password/reset/[^/\s]+/[^/\s]+/", mailoutbox[0].body).group(0)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "first-new-passphrase", "new_password2": "first-new-passphrase"}
    )

    again = client.get(link, follow=True)

    assert "new_password1" not in again.content.decode()
    user = User.objects.get(pk=world.member.user.pk)
    assert user.check_password("first-new-passphrase")


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []
