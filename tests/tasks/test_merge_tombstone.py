"""Merging keeps the source as a tombstone: history (and so past sprint numbers) survives, the
task vanishes from every list, and its key leads to the task it was merged into."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from dashboards import metrics
from integrations.models import Provider
from integrations.selectors import links_for_task
from tasks import services
from tasks.models import (
    SprintCarryOver,
    SprintStatus,
    StateCategory,
    Task,
    TaskAlias,
    TaskEvent,
)
from tests.conftest import World
from tests.factories.work import SprintFactory, TaskFactory, state_of
from tests.factories.work import sprint_day as at  # short: histories read as a table
from tests.factories.work import state_history as history
from tests.integrations.conftest import (
    GITHUB_SECRET,
    body_of,
    integration_for,
    load_fixture,
    post_github,
    shared_fixtures_dir,
)

C = StateCategory


@pytest.fixture
def past_sprint(world: World):
    """A closed two-week sprint: A (3 points) done in it, B (5 points) carried over."""
    sprint = SprintFactory(
        team=world.team,
        name="Past",
        start_date=at(0).date(),
        end_date=at(13).date(),
        status=SprintStatus.CLOSED,
        started_at=at(0, 9),
        closed_at=at(13, 17),
    )
    done = TaskFactory(team=world.team, state=state_of(world.team, C.DONE), estimate=3)
    carried = TaskFactory(team=world.team, state=state_of(world.team, C.UNSTARTED), estimate=5)
    history(done, (at(-1), sprint.pk, "3", C.UNSTARTED), (at(4), sprint.pk, "3", C.DONE))
    history(
        carried,
        (at(-1), sprint.pk, "5", C.UNSTARTED),
        (at(13, 17), None, "5", C.UNSTARTED),
    )
    SprintCarryOver.objects.create(
        workspace=world.workspace,
        from_sprint=sprint,
        task=carried,
        estimate=5,
        state_category=C.UNSTARTED,
    )
    return sprint, done, carried


def past_numbers(sprint) -> dict[str, Any]:
    """What the team dashboard shows of the past sprint, through dashboards' own functions."""
    data = metrics.team_metrics(sprint.team, now=at(30), benchmarks=[])
    task_ids = TaskEvent.objects.filter(sprint=sprint).values_list("task_id", flat=True)
    histories = metrics._histories(task_ids.distinct())
    return {
        "flow": [f for f in data["sprints"] if f["sprint_id"] == sprint.pk],
        "velocity": data["velocity"],
        "burndown": metrics.burn_series(sprint, histories, today=at(30).date()),
        "carry_overs": SprintCarryOver.objects.filter(from_sprint=sprint).count(),
    }


@pytest.mark.parametrize("merged", ["done", "carried"])
def test_merging_keeps_the_past_sprints_burndown_and_velocity(world, past_sprint, merged):
    sprint, done, carried = past_sprint
    source = done if merged == "done" else carried
    into = TaskFactory(team=world.team, state=state_of(world.team, C.UNSTARTED), estimate=1)
    before = past_numbers(sprint)
    assert before["velocity"]["points"] == [3.0]  # the scenario means something
    assert before["flow"][0]["committed_points"] == 8.0

    services.task_merge(actor=world.member, source=source, into=into)

    assert past_numbers(sprint) == before
    assert TaskEvent.objects.filter(task_id=source.pk, kind="state").count() == 2


def test_the_source_becomes_a_closed_tombstone_and_its_key_an_alias(world):
    source = TaskFactory(team=world.team, state=state_of(world.team, C.STARTED), estimate=2)
    into = TaskFactory(team=world.team)
    services.task_merge(actor=world.member, source=source, into=into)
    tombstone = Task.all_objects.get(pk=source.pk)
    assert tombstone.merged_into_id == into.pk
    assert (tombstone.state.name, tombstone.state_category) == ("Canceled", C.CANCELED)
    assert not Task.objects.filter(pk=source.pk).exists()
    assert TaskAlias.objects.get(team=world.team, number=source.number).task_id == into.pk
    merged = TaskEvent.objects.get(task_id=source.pk, kind="merged")
    assert (merged.state_category, merged.after) == (C.CANCELED, {"merged_into": into.key})


def test_a_done_source_stays_done(world):
    source = TaskFactory(team=world.team, state=state_of(world.team, C.DONE))
    services.task_merge(actor=world.member, source=source, into=TaskFactory(team=world.team))
    assert Task.all_objects.get(pk=source.pk).state_category == C.DONE


def test_tombstones_of_earlier_merges_follow_to_the_new_survivor(world):
    first, middle, last = TaskFactory.create_batch(3, team=world.team)
    services.task_merge(actor=world.member, source=first, into=middle)
    services.task_merge(actor=world.member, source=middle, into=last)
    assert Task.all_objects.get(pk=first.pk).merged_into_id == last.pk
    assert set(TaskAlias.objects.filter(task=last).values_list("number", flat=True)) == {
        first.number,
        middle.number,
    }


def test_merging_drops_the_source_from_todays_burndown_only(world):
    today = timezone.localdate()
    sprint = SprintFactory(
        team=world.team,
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=10),
        status=SprintStatus.ACTIVE,
        started_at=timezone.now() - timedelta(days=3),
    )
    todo = state_of(world.team, C.UNSTARTED)
    source = TaskFactory(team=world.team, sprint=sprint, state=todo, estimate=5)
    into = TaskFactory(team=world.team, sprint=sprint, state=todo, estimate=2)
    for task, points in ((source, "5"), (into, "2")):
        history(task, (timezone.now() - timedelta(days=4), sprint.pk, points, C.UNSTARTED))
    services.task_merge(actor=world.member, source=source, into=into)
    histories = metrics._histories([source.pk, into.pk])
    scopes = [day["scope"] for day in metrics.burn_series(sprint, histories, today=today)]
    assert scopes == [7.0, 7.0, 7.0, 2.0]  # three earlier days keep it; from the merge on, not


# ---- invisible everywhere, the key leads to the survivor ---------------------------------


@pytest.fixture
def merged_pair(world: World):
    sprint = SprintFactory(team=world.team, status=SprintStatus.ACTIVE)
    source = TaskFactory(team=world.team, sprint=sprint, title="Duplicate login bug", estimate=3)
    into = TaskFactory(team=world.team, sprint=sprint, title="Login bug")
    backlog_source = TaskFactory(team=world.team, title="Duplicate backlog item")
    services.task_merge(actor=world.member, source=source, into=into)
    services.task_merge(actor=world.member, source=backlog_source, into=into)
    return source, backlog_source, into


def test_the_merged_key_redirects_to_the_survivor_with_a_message(member_client, world, merged_pair):
    source, _, into = merged_pair
    response = member_client.get(f"/w/{world.workspace.slug}/tasks/{source.key}/")
    assert response.status_code == 302
    assert response["Location"] == f"/w/{world.workspace.slug}/tasks/{into.key}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{source.key} was merged into {into.key}."
    ]


def test_merged_tasks_vanish_from_board_and_backlog(member_client, world, merged_pair):
    source, backlog_source, into = merged_pair
    base = f"/w/{world.workspace.slug}/teams/{world.team.pk}"
    board = member_client.get(f"{base}/board/").content.decode()
    backlog = member_client.get(f"{base}/backlog/").content.decode()
    assert f'id="task-{into.key}"' in board
    assert f'id="task-{source.key}"' not in board
    assert source.title not in board
    assert backlog_source.title not in backlog


def test_merged_tasks_vanish_from_the_api_list_and_search(member_api, world, merged_pair):
    source, backlog_source, into = merged_pair
    listed = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/tasks/").json()
    keys = {row["key"] for row in listed["results"]}
    assert into.key in keys
    assert not {source.key, backlog_source.key} & keys
    found = member_api.get(
        f"/api/v1/workspaces/{world.workspace.slug}/search/", {"q": "Duplicate"}
    ).json()
    assert "Duplicate" not in str(found)


def test_the_api_reads_a_merged_key_as_the_survivor(member_api, world, merged_pair):
    source, _, into = merged_pair
    response = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/tasks/{source.key}/")
    assert response.status_code == 200
    assert response.json()["key"] == into.key


def test_a_pull_request_naming_the_merged_key_links_to_and_moves_the_survivor(
    world, django_capture_on_commit_callbacks
):
    github = integration_for(world, Provider.GITHUB, GITHUB_SECRET)
    todo = state_of(world.team, C.UNSTARTED)
    source = TaskFactory(team=world.team, state=todo)
    into = TaskFactory(team=world.team, state=todo)
    services.task_merge(actor=world.member, source=source, into=into)
    payload = load_fixture(shared_fixtures_dir(), "github/pull_request__opened.json")
    payload["pull_request"]["title"] = f"{source.key}: fix the login redirect"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(github, "pull_request", body_of(payload), delivery="merged-1")
    assert response.status_code == 202
    assert [link.task_key for link in links_for_task(into)] == [source.key]
    into.refresh_from_db()
    assert into.state_category == C.STARTED  # the rule moved the survivor
    assert Task.all_objects.get(pk=source.pk).state_category == C.CANCELED


def test_a_column_holding_only_tombstones_can_be_deleted(world):
    canceled = state_of(world.team, C.CANCELED)
    source = TaskFactory(team=world.team, state=state_of(world.team, C.UNSTARTED))
    services.task_merge(actor=world.member, source=source, into=TaskFactory(team=world.team))
    assert Task.all_objects.get(pk=source.pk).state_id == canceled.pk
    services.workflow_state_delete(actor=world.admin, state=canceled)
    tombstone = Task.all_objects.get(pk=source.pk)
    assert tombstone.state.category == tombstone.state_category == C.DONE
    assert TaskEvent.objects.filter(task_id=source.pk).exists()
