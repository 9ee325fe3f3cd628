"""The teams settings pages: list for everyone, create/edit/delete and people for admins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment.models import AuditEvent, Team, TeamMember
from tests.factories import TeamFactory, UserFactory
from tests.factories.okrs import ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db


def url(world, name="teams", **kwargs):
    return reverse(f"workspace:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def test_viewer_sees_teams_without_admin_buttons(viewer_client, world):
    body = viewer_client.get(url(world)).content.decode()

    assert world.team.name in body
    assert "New team" not in body
    assert url(world, "team_edit", team_id=world.team.pk) not in body


def test_empty_state_tells_admins_how_to_start(admin_client, world):
    world.team.delete()
    body = admin_client.get(url(world)).content.decode()
    assert "Create the first team: give it a name and a short key such as ENG" in body


def test_empty_state_tells_others_whom_to_ask(member_client, world):
    world.team.delete()
    body = member_client.get(url(world)).content.decode()
    assert "An admin of Acme Inc creates teams; ask one to add yours." in body


def test_admin_creates_a_team(admin_client, world):
    response = admin_client.post(
        url(world, "team_new"), {"name": "Platform", "key": "plat", "description": "Infra"}
    )

    team = Team.objects.get(key="PLAT")
    assert response.status_code == 303
    assert response["Location"] == url(world, "team_edit", team_id=team.pk)
    assert (team.workspace, team.name, team.description) == (world.workspace, "Platform", "Infra")


def test_bad_key_format_is_explained(admin_client, world):
    response = admin_client.post(url(world, "team_new"), {"name": "Platform", "key": "9-x"})

    assert response.status_code == 422
    assert "Use 2–10 capital letters or digits, starting with a letter." in (
        response.content.decode()
    )
    assert not Team.objects.filter(name="Platform").exists()


def test_duplicate_key_and_name_are_explained(admin_client, world):
    response = admin_client.post(url(world, "team_new"), {"name": world.team.name, "key": "eng"})

    body = response.content.decode()
    assert response.status_code == 422
    assert "Another team already uses the key ENG." in body
    assert f"Another team is already called {world.team.name}." in body
    assert Team.objects.for_workspace(world.workspace).count() == 1


def test_member_cannot_create_teams(member_client, world):
    page = member_client.get(url(world, "team_new"))
    post = member_client.post(url(world, "team_new"), {"name": "Platform", "key": "PLAT"})

    assert page.status_code == 403
    assert post.status_code == 403
    assert not Team.objects.filter(key="PLAT").exists()


def test_admin_edits_a_team(admin_client, world):
    response = admin_client.post(
        url(world, "team_edit", team_id=world.team.pk),
        {"name": "Core engineering", "key": "CORE", "description": ""},
    )

    assert response.status_code == 303
    world.team.refresh_from_db()
    assert (world.team.name, world.team.key) == ("Core engineering", "CORE")


def test_an_invalid_edit_keeps_the_team_and_shows_the_form(admin_client, world):
    other = TeamFactory(workspace=world.workspace, key="OPS")

    response = admin_client.post(
        url(world, "team_edit", team_id=world.team.pk),
        {"name": "Renamed", "key": other.key, "description": ""},
    )

    assert response.status_code == 422
    assert "Another team already uses the key OPS." in response.content.decode()
    world.team.refresh_from_db()
    assert (world.team.name, world.team.key) == ("Acme Engineering", "ENG")


def test_editing_another_workspaces_team_is_404(admin_client, world, world_b):
    response = admin_client.post(
        url(world, "team_edit", team_id=world_b.team.pk), {"name": "Mine", "key": "MINE"}
    )
    assert response.status_code == 404
    world_b.team.refresh_from_db()
    assert world_b.team.key == "ENG"


def test_delete_asks_then_deletes(admin_client, world):
    confirm = admin_client.get(url(world, "team_delete", team_id=world.team.pk))
    assert f"Delete team {world.team.name}?" in confirm.content.decode()

    response = admin_client.post(url(world, "team_delete", team_id=world.team.pk))

    assert response.status_code == 303
    assert response["Location"] == url(world)
    assert not Team.objects.filter(pk=world.team.pk).exists()
    assert AuditEvent.objects.filter(verb="team.deleted").count() == 1


def test_admin_adds_and_removes_people(admin_client, world):
    add = admin_client.post(
        url(world, "team_member_add", team_id=world.team.pk), {"user": world.member.user.pk}
    )
    team_member = TeamMember.objects.get(team=world.team)
    page = admin_client.get(url(world, "team_edit", team_id=world.team.pk)).content.decode()
    remove = admin_client.post(
        url(world, "team_member_remove", team_id=world.team.pk, team_member_id=team_member.pk)
    )

    assert add.status_code == 303
    assert team_member.user == world.member.user
    assert f'id="team-member-{team_member.pk}"' in page
    assert remove.status_code == 303
    assert not TeamMember.objects.exists()


def test_people_outside_the_workspace_cannot_be_added(admin_client, world, world_b):
    stranger = UserFactory()
    for user in (stranger, world_b.member.user):
        response = admin_client.post(
            url(world, "team_member_add", team_id=world.team.pk), {"user": user.pk}
        )
        assert response.status_code == 422
        assert "Choose a member of this workspace who is not on it." in response.content.decode()
    assert not TeamMember.objects.exists()


def test_the_add_choices_are_members_not_yet_on_the_team(admin_client, world, world_b):
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=world.viewer.user)

    body = admin_client.get(url(world, "team_edit", team_id=world.team.pk)).content.decode()

    assert f'<option value="{world.member.user.pk}">' in body
    assert f'<option value="{world.viewer.user.pk}">' not in body
    assert f'<option value="{world_b.member.user.pk}">' not in body


def test_removing_a_team_member_of_another_team_is_404(admin_client, world):
    other = TeamFactory(workspace=world.workspace)
    team_member = TeamMember.objects.create(
        workspace=world.workspace, team=other, user=world.member.user
    )

    response = admin_client.post(
        url(world, "team_member_remove", team_id=world.team.pk, team_member_id=team_member.pk)
    )

    assert response.status_code == 404
    assert TeamMember.objects.filter(pk=team_member.pk).exists()


def test_a_team_with_work_attached_is_not_deleted_and_says_why(admin_client, world):
    ObjectiveFactory(period=PeriodFactory(workspace=world.workspace), team=world.team)

    response = admin_client.post(url(world, "team_delete", team_id=world.team.pk))

    assert response.status_code == 409
    assert "still has work attached" in response.content.decode()
    assert Team.objects.filter(pk=world.team.pk).exists()
    assert not AuditEvent.objects.filter(verb="team.deleted").exists()
