from __future__ import annotations

import json

import pytest

from tasks.models import Task, TaskComment, TaskDependency
from tests.factories.work import SprintFactory, TaskFactory, state_of
from tests.querycount import count_queries

BASE = "/api/v1/workspaces/acme-inc"


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def patch(client, url, body, **extra):
    return client.patch(url, json.dumps(body), content_type="application/json", **extra)


def test_create_task_returns_its_key(member_api, world):
    response = post(member_api, f"{BASE}/tasks/", {"team": world.team.pk, "title": "Fix login"})
    assert response.status_code == 201
    assert (response.json()["key"], response["ETag"]) == ("ENG-1", '"v1"')


def test_create_with_another_workspaces_team_is_a_field_error(member_api, world_b):
    response = post(member_api, f"{BASE}/tasks/", {"team": world_b.team.pk, "title": "x"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["team"]
    assert not Task.objects.exists()


def test_estimate_as_text_is_a_field_error(member_api, world):
    body = {"team": world.team.pk, "title": "x", "estimate": "lots"}
    response = post(member_api, f"{BASE}/tasks/", body)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["estimate"]


def test_get_task_by_key(member_api, world):
    task = TaskFactory(team=world.team, title="Hello")
    response = member_api.get(f"{BASE}/tasks/ENG-{task.number}/")
    assert (response.status_code, response.json()["title"]) == (200, "Hello")


def test_another_workspaces_task_key_is_404(member_api, world_b):
    TaskFactory(team=world_b.team)
    assert member_api.get(f"{BASE}/tasks/ENG-1/").status_code == 404


def test_patch_with_a_stale_if_match_is_412(member_api, world):
    task = TaskFactory(team=world.team, version=4)
    response = patch(
        member_api, f"{BASE}/tasks/{task.key}/", {"title": "New"}, HTTP_IF_MATCH='"v3"'
    )
    task.refresh_from_db()
    assert response.status_code == 412
    assert (task.title, task.version) != ("New", 5)


def test_patch_with_a_stale_body_version_is_409(member_api, world):
    task = TaskFactory(team=world.team, version=4)
    response = patch(member_api, f"{BASE}/tasks/{task.key}/", {"title": "New", "version": 3})
    task.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    assert task.title != "New"


def test_patch_with_the_current_version_succeeds(member_api, world):
    task = TaskFactory(team=world.team)
    response = patch(member_api, f"{BASE}/tasks/{task.key}/", {"title": "New", "version": 1})
    assert (response.status_code, response.json()["version"]) == (200, 2)


def test_move_with_a_stale_version_is_409_and_nothing_moves(member_api, world):
    a, b = TaskFactory(team=world.team), TaskFactory(team=world.team)
    mover = TaskFactory(team=world.team, version=2)
    done = state_of(world.team, "done")
    body = {"after": a.key, "before": b.key, "state": done.pk, "version": 1}
    response = post(member_api, f"{BASE}/tasks/{mover.key}/move/", body)
    mover.refresh_from_db()
    assert response.status_code == 409
    assert mover.state_category == "backlog"


def test_move_drops_the_card_between_neighbours(member_api, world):
    a, b = TaskFactory(team=world.team), TaskFactory(team=world.team)
    mover = TaskFactory(team=world.team)
    body = {"after": a.key, "before": b.key, "version": 1}
    response = post(member_api, f"{BASE}/tasks/{mover.key}/move/", body)
    assert response.status_code == 200
    assert list(Task.objects.values_list("pk", flat=True)) == [a.pk, mover.pk, b.pk]


def test_transition_to_another_teams_state_is_409(member_api, world):
    from tests.factories import TeamFactory

    task = TaskFactory(team=world.team)
    foreign = state_of(TeamFactory(workspace=world.workspace, key="OPS"), "started")
    response = post(member_api, f"{BASE}/tasks/{task.key}/transition/", {"state": foreign.pk})
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "transition_not_allowed",
    )


def test_viewers_cannot_create_tasks(viewer_api, world):
    response = post(viewer_api, f"{BASE}/tasks/", {"team": world.team.pk, "title": "x"})
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_list_filters_backlog(member_api, world):
    sprint = SprintFactory(team=world.team)
    in_backlog = TaskFactory(team=world.team)
    TaskFactory(team=world.team, sprint=sprint)
    response = member_api.get(f"{BASE}/tasks/?backlog=true")
    assert [t["key"] for t in response.json()["results"]] == [in_backlog.key]


def test_list_filters_state_category(member_api, world):
    TaskFactory(team=world.team)
    started = TaskFactory(team=world.team, state=state_of(world.team, "started"))
    response = member_api.get(f"{BASE}/tasks/?state_category=started")
    assert [t["key"] for t in response.json()["results"]] == [started.key]


def test_list_query_count_does_not_grow(member_api, world):
    TaskFactory(team=world.team)
    url = f"{BASE}/tasks/"
    for _ in range(2):  # warm: a process caches a token from its second request on
        member_api.get(url)
    small, _ = count_queries(member_api, url)
    TaskFactory.create_batch(20, team=world.team, assignee=world.member.user)
    large, _ = count_queries(member_api, url)
    assert large == small


def test_similar_endpoint_ranks_the_closest_title_first(member_api, world):
    TaskFactory(team=world.team, title="Fix the login page redirect")
    TaskFactory(team=world.team, title="Write quarterly report")
    response = member_api.get(f"{BASE}/tasks/similar/?title=Fix login page redirect")
    assert [t["title"] for t in response.json()] == ["Fix the login page redirect"]


def test_similar_without_a_title_is_400(member_api):
    assert member_api.get(f"{BASE}/tasks/similar/").status_code == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"title": "   "}, "Give a title to compare."),
        ({"title": "x" * 256}, "Use at most 255 characters."),
    ],
)
def test_similar_with_a_blank_or_long_title_is_400_naming_it(member_api, params, message):
    response = member_api.get(f"{BASE}/tasks/similar/", params)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"title": [message]}


@pytest.mark.parametrize("exclude", ["nonsense", "ENG-999", "E" * 30])
def test_similar_excluding_no_task_you_see_is_400_naming_it(member_api, world, exclude):
    response = member_api.get(f"{BASE}/tasks/similar/", {"title": "Fix", "exclude": exclude})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["exclude"]


def test_similar_leaves_out_the_excluded_task(member_api, world):
    edited = TaskFactory(team=world.team, title="Fix the login page redirect")
    other = TaskFactory(team=world.team, title="Fix the login page redirect again")
    params = {"title": "Fix the login page redirect", "exclude": edited.key}
    found = member_api.get(f"{BASE}/tasks/similar/", params).json()
    assert [t["key"] for t in found] == [other.key]


def test_bulk_with_a_foreign_id_is_404_and_changes_nothing(member_api, world, world_b):
    mine, theirs = TaskFactory(team=world.team), TaskFactory(team=world_b.team)
    body = {"tasks": [mine.pk, theirs.pk], "assignee": world.member.user_id}
    response = post(member_api, f"{BASE}/tasks/bulk/", body)
    assert response.status_code == 404
    assert set(Task.objects.values_list("assignee_id", flat=True)) == {None}


def test_bulk_with_a_private_teams_task_is_404_and_changes_nothing(member_api, world):
    """A member outside a private team cannot reach its tasks by id either."""
    from tests.factories import TeamFactory

    hidden = TaskFactory(team=TeamFactory(workspace=world.workspace, is_private=True))
    mine = TaskFactory(team=world.team)
    body = {"tasks": [mine.pk, hidden.pk], "assignee": world.member.user_id}
    response = post(member_api, f"{BASE}/tasks/bulk/", body)
    assert response.status_code == 404
    never = post(member_api, f"{BASE}/tasks/bulk/", {**body, "tasks": [mine.pk, 10**9]})
    # The same answer as an id that never existed: the hidden task's existence does not show.
    assert response.json()["error"]["code"] == never.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == never.json()["error"]["message"]
    assert set(Task.objects.values_list("assignee_id", flat=True)) == {None}


def test_comment_is_created_with_mentions(member_api, world):
    task = TaskFactory(team=world.team)
    response = post(member_api, f"{BASE}/tasks/{task.key}/comments/", {"body": "cc @owner"})
    assert response.status_code == 201
    assert response.json()["mentions"] == [world.owner.user_id]
    assert TaskComment.objects.count() == 1


def test_dependency_cycle_is_409(member_api, world):
    a, b = TaskFactory(team=world.team), TaskFactory(team=world.team)
    assert (
        post(
            member_api, f"{BASE}/task-dependencies/", {"blocking": a.key, "blocked": b.key}
        ).status_code
        == 201
    )
    response = post(member_api, f"{BASE}/task-dependencies/", {"blocking": b.key, "blocked": a.key})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "dependency_cycle")
    assert TaskDependency.objects.count() == 1


def test_sprint_close_reports_the_carry_over(member_api, world):
    sprint = SprintFactory(team=world.team, status="active")
    task = TaskFactory(team=world.team, sprint=sprint)
    response = post(member_api, f"{BASE}/sprints/{sprint.pk}/close/", {"carry_to": None})
    assert response.status_code == 200
    assert response.json()["carried_over"] == [
        {"task": task.key, "to_sprint": None, "estimate": None, "custom_fields": {}}
    ]


def test_search_finds_a_task_by_key(member_api, world):
    task = TaskFactory(team=world.team, title="Unrelated words")
    response = member_api.get(f"{BASE}/search/?q={task.key}")
    assert response.json()["results"][0] == {
        "kind": "task",
        "id": task.pk,
        "key": task.key,
        "title": task.title,
        "snippet": "",
        "custom_fields": {},
    }


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_search_is_400(member_api, q):
    assert member_api.get(f"{BASE}/search/?q={q}").status_code == 400
