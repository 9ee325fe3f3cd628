"""The task page's "Linked work": pull requests and commits naming the task under any key it
or its team ever had, read through integrations' `links_for_task` (the
`tasks.page_selectors.task_links` slot)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import services
from integrations.models import ExternalLink
from tasks import page_selectors
from tasks.models import TaskKeyAlias
from tests.conftest import World
from tests.factories.work import TaskFactory

pytestmark = pytest.mark.django_db


def link(world: World, key: str, title: str, external_id: str) -> ExternalLink:
    return ExternalLink.objects.create(
        workspace=world.workspace,
        task_key=key,
        kind="pull_request",
        provider="github",
        external_id=external_id,
        url=f"https://github.example/pr/{external_id}",
        title=title,
    )


def linked_work(member_client, world: World, key: str) -> list[str]:
    response = member_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": key})
    )
    assert response.status_code == 200
    return [str(item.title) for item in response.context["links"]]


def test_a_pull_request_naming_the_old_team_key_shows_on_the_task_page(world, member_client):
    task = TaskFactory(team=world.team)
    link(world, task.key, "Fix before the rename", "1")
    services.team_update(actor=world.admin, team=world.team, name=world.team.name, key="PLAT")
    task.refresh_from_db()
    link(world, task.key, "Fix after the rename", "2")

    titles = linked_work(member_client, world, task.key)

    assert sorted(titles) == ["Fix after the rename", "Fix before the rename"]
    response = member_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})
    )
    assert "Fix before the rename" in response.content.decode()


def test_a_pull_request_naming_the_key_from_another_tracker_still_shows(world, member_client):
    task = TaskFactory(team=world.team)
    TaskKeyAlias.objects.create(workspace=world.workspace, task=task, key="WEB-2")
    link(world, "WEB-2", "Imported from Jira", "3")
    link(world, "OTHER-9", "Someone else's", "4")

    assert linked_work(member_client, world, task.key) == ["Imported from Jira"]


def test_links_of_another_workspace_never_show(world, world_b, member_client):
    task = TaskFactory(team=world.team)
    ExternalLink.objects.create(
        workspace=world_b.workspace,
        task_key=task.key,
        kind="pull_request",
        provider="github",
        external_id="b-1",
        title="Theirs",
    )

    assert linked_work(member_client, world, task.key) == []


def test_without_a_provider_the_task_page_has_no_links(world):
    task = TaskFactory(team=world.team)
    link(world, task.key, "Fix", "5")
    provider = page_selectors.task_links.provider
    page_selectors.task_links.fill(None)
    try:
        assert page_selectors.external_links(task) == []
    finally:
        page_selectors.task_links.fill(provider)
