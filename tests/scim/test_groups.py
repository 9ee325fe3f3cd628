"""SCIM Groups are teams: Okta's and Entra's group requests, member changes, rename, delete."""

from __future__ import annotations

import pytest

from alignment.models import AuditEvent, Team, TeamMember, User
from scim.models import ScimGroup
from tests.scim.conftest import fixture

pytestmark = pytest.mark.django_db


def provisioned_user(scim, email="test.user@okta.local") -> str:
    body = fixture("okta_create_user")
    body["userName"] = body["emails"][0]["value"] = email
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def team_emails(team: Team) -> set[str]:
    return {tm.user.email for tm in TeamMember.objects.filter(team=team).select_related("user")}


def test_okta_creates_a_group_as_a_team_with_a_free_key(scim, world):
    response = scim.post("Groups", fixture("okta_create_group"))

    body = response.json()
    assert response.status_code == 201
    team = Team.objects.get(workspace=world.workspace, name="Test SCIMv2")
    assert team.key == "TS"  # the initials of "Test SCIMv2"
    assert body["displayName"] == "Test SCIMv2"
    assert body["members"] == []
    assert body["meta"]["location"] == f"http://testserver/scim/v2/acme-inc/Groups/{body['id']}"
    assert AuditEvent.objects.filter(verb="team.created", object_id=str(team.pk)).exists()


def test_entra_creates_a_group_with_its_external_id(scim, world):
    body = scim.post("Groups", fixture("entra_create_group")).json()

    assert body["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    assert Team.objects.get(workspace=world.workspace, name="displayName").key == "DISPLA"


def test_a_group_named_like_an_unmanaged_team_takes_that_team_over(scim, world):
    body = fixture("okta_create_group")
    body["displayName"] = world.team.name.upper()

    response = scim.post("Groups", body)

    assert response.status_code == 201
    assert ScimGroup.objects.get(pk=response.json()["id"]).team == world.team
    assert Team.objects.for_workspace(world.workspace).count() == 1


def test_the_same_group_twice_is_409_uniqueness(scim):
    scim.post("Groups", fixture("okta_create_group"))

    response = scim.post("Groups", fixture("okta_create_group"))

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_create_with_members_puts_them_on_the_team(scim, world):
    user_id = provisioned_user(scim)
    body = fixture("okta_create_group")
    body["members"] = [{"value": user_id, "display": "test.user@okta.local"}]

    created = scim.post("Groups", body).json()

    team = ScimGroup.objects.get(pk=created["id"]).team
    assert team_emails(team) == {"test.user@okta.local"}
    assert created["members"] == [
        {
            "value": user_id,
            "display": "Test User",
            "$ref": f"http://testserver/scim/v2/acme-inc/Users/{user_id}",
        }
    ]


def test_okta_renames_a_group_with_a_pathless_replace(scim):
    group = scim.post("Groups", fixture("okta_create_group")).json()

    response = scim.patch(
        f"Groups/{group['id']}", fixture("okta_rename_group", group_id=group["id"])
    )

    assert response.status_code == 200
    assert ScimGroup.objects.get(pk=group["id"]).team.name == "Test SCIMv2 Renamed"
    assert AuditEvent.objects.filter(verb="team.updated").exists()


def test_entra_renames_a_group_by_path(scim):
    group = scim.post("Groups", fixture("entra_create_group")).json()

    scim.patch(f"Groups/{group['id']}", fixture("entra_update_group_non_member"))

    assert (
        ScimGroup.objects.get(pk=group["id"]).team.name
        == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    )


def test_renaming_onto_another_teams_name_is_409(scim, world):
    group = scim.post("Groups", fixture("okta_create_group")).json()
    body = fixture("entra_update_group_non_member")
    body["Operations"][0]["value"] = world.team.name

    response = scim.patch(f"Groups/{group['id']}", body)

    assert response.status_code == 409
    assert ScimGroup.objects.get(pk=group["id"]).team.name == "Test SCIMv2"


@pytest.mark.parametrize(
    ("add", "remove"),
    [
        ("okta_add_members", "okta_remove_member"),
        ("entra_add_members", "entra_remove_members"),
        ("entra_add_members", "entra_remove_member_filter"),
    ],
)
def test_members_are_added_and_removed(scim, add, remove):
    user_id = provisioned_user(scim)
    group = scim.post("Groups", fixture("okta_create_group")).json()
    team = ScimGroup.objects.get(pk=group["id"]).team

    added = scim.patch(f"Groups/{group['id']}", fixture(add, user_id=user_id))
    assert added.status_code == 200
    assert team_emails(team) == {"test.user@okta.local"}
    assert scim.get(f"Users/{user_id}").json()["groups"] == [
        {"value": group["id"], "display": "Test SCIMv2", "type": "direct"}
    ]

    removed = scim.patch(f"Groups/{group['id']}", fixture(remove, user_id=user_id))
    assert removed.status_code == 200
    assert team_emails(team) == set()


def test_okta_replaces_the_member_list_but_keeps_people_added_in_the_app(scim, world):
    first = provisioned_user(scim, "first@okta.local")
    second = provisioned_user(scim, "second@okta.local")
    body = fixture("okta_create_group")
    body["members"] = [{"value": first}]
    group = scim.post("Groups", body).json()
    team = ScimGroup.objects.get(pk=group["id"]).team
    TeamMember.objects.create(workspace=world.workspace, team=team, user=world.member.user)

    scim.patch(f"Groups/{group['id']}", fixture("okta_replace_members", user_id=second))

    assert team_emails(team) == {"second@okta.local", world.member.user.email}


def test_adding_the_same_member_twice_changes_nothing(scim):
    user_id = provisioned_user(scim)
    group = scim.post("Groups", fixture("okta_create_group")).json()
    scim.patch(f"Groups/{group['id']}", fixture("entra_add_members", user_id=user_id))

    response = scim.patch(f"Groups/{group['id']}", fixture("entra_add_members", user_id=user_id))

    assert response.status_code == 200
    assert (
        TeamMember.objects.filter(team_id=ScimGroup.objects.get(pk=group["id"]).team_id).count()
        == 1
    )


def test_an_unknown_or_foreign_member_is_400_and_changes_nothing(scim, world_b):
    group = scim.post("Groups", fixture("okta_create_group")).json()
    from scim.services import scim_token_create

    _token, raw_b = scim_token_create(actor=world_b.owner, name="B")
    from tests.scim.conftest import ScimClient

    scim_b = ScimClient(world_b.workspace.slug, raw_b)
    foreign = provisioned_user(scim_b, "foreign@okta.local")

    response = scim.patch(f"Groups/{group['id']}", fixture("okta_add_members", user_id=foreign))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert not TeamMember.objects.filter(user__email="foreign@okta.local").exists()


def test_deactivated_users_are_not_put_on_teams(scim):
    user_id = provisioned_user(scim)
    scim.patch(f"Users/{user_id}", fixture("okta_deactivate_user"))
    group = scim.post("Groups", fixture("okta_create_group")).json()

    response = scim.patch(f"Groups/{group['id']}", fixture("okta_add_members", user_id=user_id))

    assert response.status_code == 200
    assert not TeamMember.objects.filter(user__email="test.user@okta.local").exists()


def test_entra_looks_a_group_up_by_name_without_members(scim):
    user_id = provisioned_user(scim)
    body = fixture("entra_create_group")
    body["members"] = [{"value": user_id}]
    group = scim.post("Groups", body).json()

    found = scim.get("Groups", excludedAttributes="members", filter='displayName eq "displayName"')
    single = scim.get(f"Groups/{group['id']}", excludedAttributes="members").json()

    assert [r["id"] for r in found.json()["Resources"]] == [group["id"]]
    assert "members" not in found.json()["Resources"][0]
    assert "members" not in single
    assert scim.get(f"Groups/{group['id']}").json()["members"][0]["value"] == user_id


def test_put_replaces_name_and_members(scim):
    user_id = provisioned_user(scim)
    group = scim.post("Groups", fixture("okta_create_group")).json()
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Platform",
        "members": [{"value": user_id}],
    }

    response = scim.put(f"Groups/{group['id']}", body)

    assert response.json()["displayName"] == "Platform"
    assert [m["value"] for m in response.json()["members"]] == [user_id]


def test_delete_removes_an_empty_team(scim, world):
    group = scim.post("Groups", fixture("okta_create_group")).json()

    response = scim.delete(f"Groups/{group['id']}")

    assert response.status_code == 204
    assert not Team.objects.filter(workspace=world.workspace, name="Test SCIMv2").exists()
    assert scim.get(f"Groups/{group['id']}").status_code == 404


def test_delete_of_a_team_with_work_only_unlinks_it(scim, world):
    from tests.factories.work import TaskFactory

    body = fixture("okta_create_group")
    body["displayName"] = world.team.name
    group = scim.post("Groups", body).json()
    TaskFactory(team=world.team)

    response = scim.delete(f"Groups/{group['id']}")

    assert response.status_code == 204
    assert Team.objects.filter(pk=world.team.pk).exists()
    assert not ScimGroup.objects.exists()
    assert AuditEvent.objects.filter(verb="scim.group_unlinked").exists()


def test_groups_list_paginates(scim):
    for n in range(3):
        body = fixture("okta_create_group")
        body["displayName"] = f"Group {n}"
        scim.post("Groups", body)

    page = scim.get("Groups", startIndex=3, count=5).json()

    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 3, 1)
    assert page["Resources"][0]["displayName"] == "Group 2"


def test_a_member_user_keeps_existing_identity(scim, world):
    # Putting someone on a team never changes who they are.
    user_id = provisioned_user(scim, world.member.user.email)
    group = scim.post("Groups", fixture("okta_create_group")).json()

    scim.patch(f"Groups/{group['id']}", fixture("okta_add_members", user_id=user_id))

    assert User.objects.get(pk=world.member.user.pk).email == world.member.user.email
