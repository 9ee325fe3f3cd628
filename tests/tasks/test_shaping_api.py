"""Shaping work through the API: a task named by id or key (parent, dependencies, merges),
refused references as field errors that change nothing, and the schema that says so."""

from __future__ import annotations

import json

import pytest

from tasks.models import Task
from tests.factories.work import TaskFactory
from tests.matrix_snapshot import Snapshot

API = "/api/v1/workspaces/acme-inc"


def api_post(client, path, body):
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json")


def test_the_api_takes_a_parent_by_key_or_id(member_api, world, team):
    parent = TaskFactory(team=team)

    by_key = api_post(member_api, "/tasks/", {"team": team.pk, "title": "A", "parent": parent.key})
    by_id = api_post(member_api, "/tasks/", {"team": team.pk, "title": "B", "parent": parent.pk})

    assert (by_key.status_code, by_id.status_code) == (201, 201)
    assert by_key.json()["parent"] == by_id.json()["parent"] == parent.pk
    child = Task.objects.get(title="A")
    response = member_api.patch(
        f"{API}/tasks/{parent.key}/",
        json.dumps({"parent": child.key}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["parent"] == ["A task cannot be its own ancestor."]


@pytest.mark.parametrize("ref", ["not-a-key!", True, 0, "ENG-9999", "HIDDEN"])
def test_a_bad_task_reference_is_a_field_error_and_changes_nothing(
    member_api, world, team, private_team, ref
):
    blocked = TaskFactory(team=team)
    hidden = TaskFactory(team=private_team)
    ref = hidden.key if ref == "HIDDEN" else ref
    before = Snapshot(world.workspace)

    response = api_post(member_api, "/task-dependencies/", {"blocking": ref, "blocked": blocked.pk})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["blocking"]
    assert Snapshot(world.workspace) == before


def test_dependencies_and_merges_take_ids_too(member_api, world, team):
    first, second = TaskFactory(team=team), TaskFactory(team=team)

    created = api_post(
        member_api, "/task-dependencies/", {"blocking": first.pk, "blocked": second.key}
    )
    cycle = api_post(
        member_api, "/task-dependencies/", {"blocking": second.pk, "blocked": first.pk}
    )

    assert created.status_code == 201
    assert cycle.status_code == 409
    assert cycle.json()["error"]["details"]["path"] == f"{second.key} → {first.key} → {second.key}"
    merged = api_post(member_api, f"/tasks/{first.key}/merge/", {"into": second.pk})
    assert merged.status_code == 200
    assert merged.json()["key"] == second.key


def test_the_schema_describes_task_references_as_id_or_key(member_api):
    schema = member_api.get("/api/schema/", {"format": "json"}).json()
    component = schema["components"]["schemas"]["TaskDependencyWriteRequest"]
    blocking = component["properties"]["blocking"]
    assert {option["type"] for option in blocking["oneOf"]} == {"integer", "string"}
    assert "id or key" in blocking["description"]
