"""Bad input never becomes a 500, and validation errors keep the documented one-level shape."""

from __future__ import annotations

import pytest
from rest_framework import exceptions

from alignment.api_errors import exception_handler
from tests.api.conftest import probe_url

TOO_BIG = "9" * 30
pytestmark = pytest.mark.urls("tests.api.probe_urls")


def test_a_number_too_large_for_the_database_is_a_400_not_a_500(world, member_api, objective):
    response = member_api.post(
        probe_url(world, "renumber/"), {"version": int(TOO_BIG)}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "A value in the request is too large or out of range.",
        "fields": {"non_field_errors": ["A value in the request is too large or out of range."]},
        "details": {},
    }
    objective.refresh_from_db()
    assert objective.version == 1


def test_an_id_too_large_for_the_database_is_not_found(world, member_api):
    response = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/teams/{TOO_BIG}/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("detail", "fields"),
    [
        ({"title": ["Required."]}, {"title": ["Required."]}),
        (["Pick one."], {"non_field_errors": ["Pick one."]}),
        (
            {"milestones": [{}, {"name": ["Too long."]}]},
            {"milestones.1.name": ["Too long."]},
        ),
        ({"owner": {"id": ["Unknown."]}}, {"owner.id": ["Unknown."]}),
        ({"tasks": {"0": ["Not a number."]}}, {"tasks.0": ["Not a number."]}),
    ],
)
def test_validation_errors_are_one_level_of_field_to_messages(detail, fields):
    response = exception_handler(exceptions.ValidationError(detail), {})

    assert response is not None
    assert response.data["error"]["fields"] == fields
