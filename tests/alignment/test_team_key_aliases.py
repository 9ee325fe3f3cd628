"""Changing a team's key keeps every old task key resolving (links, bookmarks, commits)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import services
from alignment.models import TeamKeyAlias
from integrations.models import ExternalLink
from integrations.selectors import links_for_task
from tasks import services as task_services
from tasks.selectors import task_by_key
from tests.factories import TeamFactory
from tests.factories.work import TaskFactory

pytestmark = pytest.mark.django_db


def rekey(world, team, key):
    return services.team_update(actor=world.admin, team=team, name=team.name, key=key)


def test_old_key_still_finds_the_task_after_the_team_key_changes(world):
    task = TaskFactory(team=world.team)
    old_key = task.key
    rekey(world, world.team, "PLAT")
    task.refresh_from_db()
    assert task.key.startswith("PLAT-")
    assert task_by_key(world.workspace, old_key) == task
    assert task_by_key(world.workspace, old_key.lower()) == task


def test_task_page_of_an_old_key_opens_the_task(world, member_client):
    task = TaskFactory(team=world.team)
    old_key = task.key
    rekey(world, world.team, "PLAT")
    response = member_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": old_key}), follow=True
    )
    assert response.status_code == 200
    assert response.context["task"] == task
    assert f"PLAT-{task.number}" in response.content.decode()


def test_keys_from_several_renames_and_moves_resolve(world):
    other = TeamFactory(workspace=world.workspace, key="OPS")
    task = TaskFactory(team=world.team)
    first_key = task.key
    rekey(world, world.team, "PLAT")
    rekey(world, world.team, "CORE")
    task_services.task_move_to_team(actor=world.member, task=task, team=other)
    task.refresh_from_db()
    assert task.key.startswith("OPS-")
    assert task_by_key(world.workspace, first_key) == task
    assert task_by_key(world.workspace, first_key.replace(world.team.key, "PLAT")) == task


def test_a_team_taking_a_former_key_wins_over_the_alias(world):
    task = TaskFactory(team=world.team)
    old_team_key = world.team.key
    rekey(world, world.team, "PLAT")
    newcomer = TeamFactory(workspace=world.workspace, key="TMP")
    rekey(world, newcomer, old_team_key)
    theirs = TaskFactory(team=newcomer)
    assert not TeamKeyAlias.objects.filter(workspace=world.workspace, key=old_team_key).exists()
    assert task_by_key(world.workspace, theirs.key) == theirs
    assert task_by_key(world.workspace, f"PLAT-{task.number}") == task


def test_renaming_back_drops_the_alias_of_the_current_key(world):
    old_team_key = world.team.key
    rekey(world, world.team, "PLAT")
    rekey(world, world.team, old_team_key)
    assert list(
        TeamKeyAlias.objects.filter(workspace=world.workspace).values_list("key", flat=True)
    ) == ["PLAT"]


def test_aliases_never_cross_workspaces(world, world_b):
    task = TaskFactory(team=world.team)
    old_key = task.key
    rekey(world, world.team, "PLAT")
    assert task_by_key(world_b.workspace, old_key) is None


def test_links_naming_the_old_key_still_show_on_the_task(world):
    task = TaskFactory(team=world.team)
    old_key = task.key
    ExternalLink.objects.create(
        workspace=world.workspace,
        task_key=old_key,
        kind="pull_request",
        provider="github",
        external_id="gh-1",
        url="https://github.example/pr/1",
        title="Old PR",
    )
    rekey(world, world.team, "PLAT")
    task.refresh_from_db()
    assert [link.title for link in links_for_task(task)] == ["Old PR"]
