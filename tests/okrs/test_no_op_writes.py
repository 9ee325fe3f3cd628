"""A write that changes nothing changes nothing: no new version, audit event or webhook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alignment import events
from alignment.models import AuditEvent
from okrs.events import KeyResultChanged
from okrs.models import KeyResult, Objective


def kr_url(world, key_result) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/key-results/{key_result.pk}/"


@pytest.fixture
def published() -> Iterator[list[KeyResultChanged]]:
    seen: list[KeyResultChanged] = []
    events.subscribe(KeyResultChanged, seen.append, in_transaction=True)
    yield seen
    events.unsubscribe(KeyResultChanged, seen.append)


def test_patching_a_key_result_with_its_own_values_keeps_its_version(
    world, member_api, key_result, published
):
    same = {"title": key_result.title, "target": "60", "weight": "1", "unit": key_result.unit}
    audits = AuditEvent.objects.count()

    response = member_api.patch(
        kr_url(world, key_result), same, "application/json", HTTP_IF_MATCH='"v1"'
    )

    assert response.status_code == 200
    assert response["ETag"] == '"v1"'
    assert KeyResult.objects.get(pk=key_result.pk).version == 1
    assert AuditEvent.objects.count() == audits
    assert published == []  # no KeyResultChanged, so no webhook or notification


def test_a_no_op_patch_with_a_stale_version_is_still_refused(world, member_api, key_result):
    KeyResult.objects.filter(pk=key_result.pk).update(version=3)

    response = member_api.patch(
        kr_url(world, key_result),
        {"title": key_result.title},
        "application/json",
        HTTP_IF_MATCH='"v1"',
    )

    assert response.status_code == 412
    assert KeyResult.objects.get(pk=key_result.pk).version == 3


def test_a_real_change_still_bumps_the_version_once(world, member_api, key_result, published):
    response = member_api.patch(
        kr_url(world, key_result), {"title": "Raise activation to 65%"}, "application/json"
    )

    assert response.status_code == 200
    assert KeyResult.objects.get(pk=key_result.pk).version == 2
    assert AuditEvent.objects.filter(verb="key_result.updated").count() == 1
    assert [event.verb for event in published] == ["updated"]


def test_patching_an_objective_with_its_own_title_keeps_its_version(world, member_api, objective):
    audits = AuditEvent.objects.count()

    response = member_api.patch(
        f"/api/v1/workspaces/{world.workspace.slug}/objectives/{objective.pk}/",
        {"title": objective.title},
        "application/json",
    )

    assert response.status_code == 200
    assert Objective.objects.get(pk=objective.pk).version == objective.version
    assert AuditEvent.objects.count() == audits
