"""Keys from another tracker: a kept number, a key kept as an alias, comments with their
author and date. The services imports use (integrations/importers/jira_write.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired
from tasks import selectors, services
from tasks.models import TaskComment, TaskKeyAlias
from tests.factories.work import TaskFactory


def test_a_free_number_is_kept_and_later_tasks_come_after_it(world):
    kept = services.task_create(actor=world.admin, team=world.team, title="From Jira", number=40)
    after = services.task_create(actor=world.admin, team=world.team, title="New here")
    assert (kept.key, after.key) == ("ENG-40", "ENG-41")


def test_a_taken_number_is_refused(world):
    TaskFactory(team=world.team)  # ENG-1
    with pytest.raises(FieldErrors) as refused:
        services.task_create(actor=world.admin, team=world.team, title="Clash", number=1)
    assert refused.value.fields == {"number": ["ENG-1 is taken."]}


def test_reserved_numbers_are_never_handed_out(world):
    services.reserve_numbers(world.team, through=10)
    services.reserve_numbers(world.team, through=3)  # never moves the counter back
    assert services.task_create(actor=world.admin, team=world.team, title="x").key == "ENG-11"


def test_a_key_alias_leads_to_the_task_on_pages_search_and_lookups(world, member_client):
    task = TaskFactory(team=world.team)
    services.task_key_alias_add(actor=world.admin, task=task, key="web-02", source="jira")
    assert TaskKeyAlias.objects.get().key == "WEB-2"
    assert selectors.task_by_key(world.workspace, "WEB-2") == task
    old_url = reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": "WEB-2"})
    response = member_client.get(old_url)
    assert response["Location"] == reverse(
        "tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key}
    )
    assert "formerly WEB-2" in member_client.get(response["Location"]).content.decode()


def test_a_teams_own_key_wins_over_an_alias(world, other_team):
    theirs = TaskFactory(team=other_team)  # DES-1
    mine = TaskFactory(team=world.team)
    services.task_key_alias_add(actor=world.admin, task=mine, key="DES-1", source="jira")
    assert selectors.task_by_key(world.workspace, "DES-1") == theirs


def test_an_alias_of_another_workspace_leads_nowhere(world, world_b):
    theirs = TaskFactory(team=world_b.team)
    services.task_key_alias_add(actor=world_b.admin, task=theirs, key="WEB-2", source="jira")
    assert selectors.task_by_key(world.workspace, "WEB-2") is None


def test_one_alias_leads_to_one_task(world):
    first, second = TaskFactory(team=world.team), TaskFactory(team=world.team)
    services.task_key_alias_add(actor=world.admin, task=first, key="WEB-2", source="jira")
    with pytest.raises(FieldErrors) as refused:
        services.task_key_alias_add(actor=world.admin, task=second, key="WEB-2", source="jira")
    assert refused.value.fields == {"key": ["WEB-2 already leads to another task."]}
    assert TaskKeyAlias.objects.get().task == first


def test_members_cannot_add_aliases(world):
    task = TaskFactory(team=world.team)
    with pytest.raises(RoleRequired):
        services.task_key_alias_add(actor=world.member, task=task, key="WEB-2", source="jira")
    assert not TaskKeyAlias.objects.exists()


def test_an_imported_comment_keeps_its_author_and_date_and_notifies_nobody(world):
    task = TaskFactory(team=world.team)
    written = datetime(2021, 1, 17, 12, 34, tzinfo=UTC)
    comment = services.task_comment_import(
        actor=world.admin,
        task=task,
        body="Looked into it, @acme-member",
        author=world.member.user,
        created_at=written,
    )
    assert (comment.author, comment.created_at) == (world.member.user, written)
    assert list(comment.mentions.all()) == []


def test_an_imported_comment_by_someone_outside_the_workspace_is_refused(world, world_b):
    task = TaskFactory(team=world.team)
    with pytest.raises(CrossWorkspaceLink):
        services.task_comment_import(
            actor=world.admin,
            task=task,
            body="Hi",
            author=world_b.member.user,
            created_at=datetime(2021, 1, 17, tzinfo=UTC),
        )
    assert not TaskComment.objects.exists()
