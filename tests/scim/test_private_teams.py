"""SCIM and private teams and guests: provisioning never makes a guest, and a group mapped to
a private team keeps it private through every change SCIM makes (docs/teams.md)."""

from __future__ import annotations

import pytest

from alignment.models import Membership, Role, Team, TeamMember
from scim.models import ScimGroup
from tests.factories.core import InvitationFactory, TeamFactory
from tests.scim.conftest import fixture
from tests.scim.test_groups import provisioned_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_team(world) -> Team:
    return TeamFactory(workspace=world.workspace, name="Test SCIMv2", key="PAY", is_private=True)


def test_a_provisioned_person_is_a_member_not_a_guest(scim, world):
    provisioned_user(scim, "new.person@okta.local")

    membership = Membership.objects.get(
        workspace=world.workspace, user__email="new.person@okta.local"
    )
    assert membership.role == Role.MEMBER


def test_a_pending_guest_invitation_does_not_make_a_provisioned_person_a_guest(scim, world):
    InvitationFactory(workspace=world.workspace, email="new.person@okta.local", role=Role.GUEST)

    provisioned_user(scim, "new.person@okta.local")

    membership = Membership.objects.get(
        workspace=world.workspace, user__email="new.person@okta.local"
    )
    assert membership.role == Role.MEMBER


def test_a_group_taking_over_a_private_team_keeps_it_private(scim, world, private_team):
    response = scim.post("Groups", fixture("okta_create_group"))  # displayName "Test SCIMv2"

    assert response.status_code == 201
    assert ScimGroup.objects.get(pk=response.json()["id"]).team == private_team
    private_team.refresh_from_db()
    assert private_team.is_private


def test_renaming_and_changing_members_of_a_private_teams_group_keeps_it_private(
    scim, world, private_team
):
    user_id = provisioned_user(scim)
    group = scim.post("Groups", fixture("okta_create_group")).json()

    scim.patch(f"Groups/{group['id']}", fixture("okta_rename_group", group_id=group["id"]))
    scim.patch(f"Groups/{group['id']}", fixture("okta_add_members", user_id=user_id))
    replace = fixture("okta_replace_members", user_id=user_id)
    assert scim.patch(f"Groups/{group['id']}", replace).status_code == 200

    private_team.refresh_from_db()
    assert (private_team.name, private_team.is_private) == ("Test SCIMv2 Renamed", True)
    member = TeamMember.objects.select_related("user").get(team=private_team)
    # The person SCIM put on the team sees it; a member who is not on it does not.
    person = Membership.objects.get(workspace=world.workspace, user=member.user)
    assert Team.objects.visible_to(person).filter(pk=private_team.pk).exists()
    assert not Team.objects.visible_to(world.member).filter(pk=private_team.pk).exists()


def test_a_guest_put_on_a_group_stays_a_guest_and_sees_only_that_team(scim, world, private_team):
    user_id = provisioned_user(scim, "contractor@okta.local")
    guest = Membership.objects.get(workspace=world.workspace, user__email="contractor@okta.local")
    Membership.objects.filter(pk=guest.pk).update(role=Role.GUEST)  # an owner made them a guest
    group = scim.post("Groups", fixture("okta_create_group")).json()

    scim.patch(f"Groups/{group['id']}", fixture("okta_add_members", user_id=user_id))

    guest.refresh_from_db()
    assert guest.role == Role.GUEST
    assert list(Team.objects.visible_to(guest)) == [private_team]
