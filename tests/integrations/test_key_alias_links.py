"""Pull requests and commits naming a task by its team's old key (ENG-1 after ENG became PLAT)
link to and move that task, through the real webhook endpoints."""

from __future__ import annotations

from django.urls import reverse

from alignment import services
from integrations.models import ExternalLink
from integrations.selectors import links_for_task
from tasks.models import StateCategory, Task
from tests.factories.work import TaskFactory, state_of
from tests.integrations.conftest import body_of, load_fixture, post_github
from tests.integrations.test_task_links import send_pr


def renamed_task(world, category=StateCategory.UNSTARTED) -> Task:
    """ENG-1, then the team's key changes to PLAT: the task is PLAT-1 and ENG is an alias."""
    task = TaskFactory(team=world.team, state=state_of(world.team, category))
    assert task.key == "ENG-1"
    services.team_update(actor=world.admin, team=world.team, name=world.team.name, key="PLAT")
    task.refresh_from_db()
    assert task.key == "PLAT-1"
    return task


def test_a_pr_naming_the_old_key_links_and_moves_the_task(
    world, github, fixtures_dir, django_capture_on_commit_callbacks, member_client
):
    task = renamed_task(world)
    send_pr(
        fixtures_dir, github, django_capture_on_commit_callbacks, "opened", "ENG-1: fix login", "d1"
    )
    [link] = ExternalLink.objects.for_workspace(world.workspace)
    assert link.task_key == "PLAT-1"  # stored under the key the task has now
    task.refresh_from_db()
    assert task.state_category == StateCategory.STARTED
    assert list(links_for_task(task)) == [link]
    page = member_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})
    ).content.decode()
    assert "ENG-1: fix login" in page


def test_a_merged_pr_naming_the_old_key_in_its_branch_moves_the_task_to_done(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    task = renamed_task(world, StateCategory.STARTED)
    payload_changes = {"merged": True, "head": {"ref": "eng-1-login", "sha": "abc"}}
    send_pr(
        fixtures_dir,
        github,
        django_capture_on_commit_callbacks,
        "closed",
        "Fix login",
        "d1",
        **payload_changes,
    )
    task.refresh_from_db()
    assert task.state_category == StateCategory.DONE
    assert list(ExternalLink.objects.values_list("task_key", flat=True)) == ["PLAT-1"]


def test_old_and_new_key_in_one_pr_make_one_link(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    renamed_task(world)
    send_pr(
        fixtures_dir,
        github,
        django_capture_on_commit_callbacks,
        "opened",
        "ENG-1 and PLAT-1 are one task",
        "d1",
    )
    assert list(ExternalLink.objects.values_list("task_key", flat=True)) == ["PLAT-1"]


def test_a_commit_naming_the_old_key_links_to_the_task(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    task = renamed_task(world)
    payload = load_fixture(fixtures_dir, "github/push__with-new-branch.json")
    payload["commits"] = [{**payload["commits"][0], "message": "ENG-1 fix the login form"}]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(github, "push", body_of(payload), delivery="p1")
    assert response.status_code == 202
    assert [link.title for link in links_for_task(task)] == ["ENG-1 fix the login form"]
    assert list(ExternalLink.objects.values_list("task_key", flat=True)) == ["PLAT-1"]


def test_an_old_key_of_another_workspace_links_nothing_here(
    world, world_b, github, fixtures_dir, django_capture_on_commit_callbacks
):
    services.team_update(actor=world_b.admin, team=world_b.team, name=world_b.team.name, key="GLX")
    TaskFactory(team=world.team)
    services.team_update(actor=world.admin, team=world.team, name=world.team.name, key="PLAT")
    send_pr(
        fixtures_dir, github, django_capture_on_commit_callbacks, "opened", "GLX-1 and ENG-1", "d1"
    )
    # GLX is world_b's current key, never ours; ENG is our alias.
    assert list(ExternalLink.objects.values_list("task_key", flat=True)) == ["PLAT-1"]
