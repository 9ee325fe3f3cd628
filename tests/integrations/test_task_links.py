"""Pull/merge requests moving the tasks they name, by the integration's per-team rules."""

from __future__ import annotations

from django.urls import reverse

from alignment.services import team_update
from integrations.models import ExternalLink
from integrations.selectors import links_for_task
from tasks.models import StateCategory, TaskEvent
from tests.factories.work import TaskFactory, state_of
from tests.integrations.conftest import body_of, load_fixture, post_github


def send_pr(fixtures_dir, github, capture, variant: str, title: str, delivery: str, **changes):
    payload = load_fixture(fixtures_dir, f"github/pull_request__{variant}.json")
    payload["pull_request"].update(title=title, **changes)
    with capture(execute=True):
        response = post_github(github, "pull_request", body_of(payload), delivery=delivery)
    assert response.status_code == 202


def task_in(world, category=StateCategory.UNSTARTED):
    return TaskFactory(team=world.team, state=state_of(world.team, category))


def test_opened_pr_moves_the_named_task_to_in_progress(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    task = task_in(world)
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", task.key, "d1")
    task.refresh_from_db()
    assert (task.state.name, task.state_category) == ("In Progress", StateCategory.STARTED)
    assert TaskEvent.objects.filter(task=task, kind="state").count() == 1


def test_merged_pr_moves_the_named_task_to_done(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    task = task_in(world, StateCategory.STARTED)
    send_pr(
        fixtures_dir,
        github,
        django_capture_on_commit_callbacks,
        "closed",
        f"{task.key} fix",
        "d1",
        merged=True,
    )
    task.refresh_from_db()
    assert task.state_category == StateCategory.DONE


def test_closed_without_merge_moves_back_to_todo_by_default(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    # The review rules' default (integrations.review_rules); test_review_rules.py covers
    # "stay" and "cancel".
    task = task_in(world, StateCategory.STARTED)
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "closed", task.key, "d1")
    task.refresh_from_db()
    assert task.state_category == StateCategory.UNSTARTED
    assert ExternalLink.objects.get().state == "closed"


def test_reopened_pr_never_moves_a_done_task_backwards(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    task = task_in(world, StateCategory.DONE)
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "reopened", task.key, "d1")
    task.refresh_from_db()
    assert task.state_category == StateCategory.DONE


def test_a_rule_turned_off_moves_nothing(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    github.config = {"state_rules": {"pr_opened": ""}}
    github.save()
    task = task_in(world)
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", task.key, "d1")
    task.refresh_from_db()
    assert task.state_category == StateCategory.UNSTARTED


def test_a_team_rule_overrides_the_workspace_rule(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    github.config = {"state_rules": {"teams": {"ENG": {"pr_opened": ""}}}}
    github.save()
    task = task_in(world)
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", task.key, "d1")
    task.refresh_from_db()
    assert task.state_category == StateCategory.UNSTARTED


def test_a_team_rule_saved_under_the_old_key_still_applies_after_a_rename(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    github.config = {"state_rules": {"teams": {"ENG": {"pr_opened": ""}}}}
    github.save()
    task = task_in(world)
    team_update(actor=world.admin, team=world.team, name=world.team.name, key="PLAT")
    task.refresh_from_db()
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", task.key, "d1")
    task.refresh_from_db()
    assert task.key.startswith("PLAT-")
    assert task.state_category == StateCategory.UNSTARTED  # ENG's "do not move" still holds


def test_another_workspaces_task_with_the_same_key_is_untouched(
    world, world_b, github, fixtures_dir, django_capture_on_commit_callbacks
):
    theirs = task_in(world_b)
    ours = task_in(world)
    assert theirs.key == ours.key  # both teams are ENG
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", ours.key, "d1")
    theirs.refresh_from_db()
    assert theirs.state_category == StateCategory.UNSTARTED


def test_key_without_a_task_is_kept_as_a_link(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", "ENG-999", "d1")
    assert list(ExternalLink.objects.values_list("task_key", flat=True)) == ["ENG-999"]


def test_task_page_selector_finds_the_links_of_a_task(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    task = task_in(world)
    send_pr(fixtures_dir, github, django_capture_on_commit_callbacks, "opened", task.key, "d1")
    assert [link.kind for link in links_for_task(task)] == ["pull_request"]


def test_a_move_by_a_pull_request_says_so_in_the_task_history(
    world, github, fixtures_dir, django_capture_on_commit_callbacks, member_client
):
    task = task_in(world, StateCategory.STARTED)
    send_pr(
        fixtures_dir,
        github,
        django_capture_on_commit_callbacks,
        "closed",
        f"{task.key} fix",
        "d1",
        merged=True,
    )
    [event] = TaskEvent.objects.filter(task=task, kind="state")
    assert event.after["via"] == "GitHub pull_request closed"
    page = member_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})
    ).content.decode()
    assert "(via GitHub pull_request closed)" in page
