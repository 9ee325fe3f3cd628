"""Lists page with cursors; a page size outside 1..cap is refused, never silently ignored."""

from __future__ import annotations

import pytest

from tests.factories.work import TaskCommentFactory, TaskFactory

BASE = "/api/v1/workspaces/acme-inc"


@pytest.mark.parametrize("size", ["abc", "0", "-5", "201", "1.5", ""])
def test_a_page_size_outside_the_allowed_range_is_a_400(member_api, world, size):
    response = member_api.get(f"{BASE}/tasks/", {"page_size": size})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["page_size"] == [
        "Must be a whole number from 1 to 200."
    ]


def test_a_task_s_comments_come_in_pages_oldest_first(member_api, world):
    task = TaskFactory(team=world.team)
    comments = [TaskCommentFactory(task=task, body=f"Comment {n}") for n in range(5)]

    first = member_api.get(f"{BASE}/tasks/{task.key}/comments/", {"page_size": 2}).json()
    second = member_api.get(first["next"]).json()

    assert [c["body"] for c in first["results"]] == ["Comment 0", "Comment 1"]
    assert [c["body"] for c in second["results"]] == ["Comment 2", "Comment 3"]
    assert len(comments) == 5


def test_the_schema_states_the_page_size_bounds(member_api):
    schema = member_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/workspaces/{slug}/tasks/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")

    assert page_size["schema"]["minimum"] == 1
    assert page_size["schema"]["maximum"] == 200
