"""The OKR API shows the read model's rows: progress, health, basis, reasons and `as_of`."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from okrs.models import KeyResult
from readmodel.models import Rollup

pytestmark = pytest.mark.django_db


def url(world, path):
    return f"/api/v1/workspaces/{world.workspace.slug}/{path}"


def _as_of(body) -> datetime:
    return datetime.fromisoformat(body["progress"]["as_of"].replace("Z", "+00:00"))


def test_a_key_result_carries_its_rows_numbers_and_as_of(member_api, world, key_result):
    body = member_api.get(url(world, f"key-results/{key_result.pk}/")).json()
    row = Rollup.objects.get(kind="key_result", node_id=key_result.pk)
    assert body["progress"]["progress"] == float(row.progress) == 0.0
    assert (body["progress"]["basis"], body["progress"]["health"]) == ("check_ins", row.status)
    assert _as_of(body) == row.computed_at


def test_an_objective_list_carries_basis_and_as_of(member_api, world, objective, key_result):
    body = member_api.get(url(world, "objectives/")).json()
    [item] = [o for o in body["results"] if o["id"] == objective.pk]
    row = Rollup.objects.get(kind="objective", node_id=objective.pk)
    assert (item["progress"]["basis"], _as_of(item)) == ("key_results", row.computed_at)


def test_the_api_shows_the_row_until_the_node_is_queued(member_api, world, key_result):
    path = url(world, f"key-results/{key_result.pk}/")
    assert member_api.get(path).json()["progress"]["progress"] == 0.0
    KeyResult.objects.filter(pk=key_result.pk).update(current=Decimal("50"))  # no event
    assert member_api.get(path).json()["progress"]["progress"] == 0.0


def test_a_check_in_shows_in_the_next_read(
    member_api, world, key_result, django_capture_on_commit_callbacks
):
    path = url(world, f"key-results/{key_result.pk}/")
    before = member_api.get(path).json()["progress"]
    with django_capture_on_commit_callbacks(execute=True):
        response = member_api.post(
            url(world, f"key-results/{key_result.pk}/check-ins/"),
            json.dumps({"value": "55", "confidence": 7}),
            content_type="application/json",
        )
    assert response.status_code == 201
    after = member_api.get(path).json()["progress"]
    assert (before["progress"], after["progress"]) == (0.0, 0.75)
    assert after["as_of"] >= before["as_of"]


def test_the_schema_documents_as_of(member_api):
    schema = member_api.get("/api/schema/?format=json").json()
    progress = schema["components"]["schemas"]["Progress"]["properties"]
    assert progress["as_of"]["nullable"] is True
    assert "basis" in progress
