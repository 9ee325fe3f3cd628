"""ETag on every answer, If-None-Match -> 304, If-Match -> 412 (alignment.api_base)."""

from __future__ import annotations

import pytest

from okrs.models import Objective
from tasks.models import Label
from tests.api.conftest import probe_url
from tests.factories.work import LabelFactory

pytestmark = pytest.mark.urls("tests.api.probe_urls")


def test_get_of_a_versioned_object_carries_its_version_as_etag(world, member_api, objective):
    response = member_api.get(probe_url(world, f"{objective.pk}/"))

    assert response.status_code == 200
    assert response["ETag"] == f'"v{objective.version}"'


def test_if_none_match_with_the_current_etag_answers_304_without_a_body(
    world, member_api, objective
):
    response = member_api.get(
        probe_url(world, f"{objective.pk}/"), HTTP_IF_NONE_MATCH=f'"v{objective.version}"'
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"v{objective.version}"'


def test_if_none_match_with_an_old_etag_answers_200_with_the_object(world, member_api, objective):
    Objective.objects.filter(pk=objective.pk).update(version=2)

    response = member_api.get(probe_url(world, f"{objective.pk}/"), HTTP_IF_NONE_MATCH='"v1"')

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] == '"v2"'


def test_a_body_without_version_gets_a_weak_etag_that_if_none_match_honours(world, member_api):
    first = member_api.get(probe_url(world, "plain/"))
    etag = first["ETag"]

    again = member_api.get(probe_url(world, "plain/"), HTTP_IF_NONE_MATCH=etag)

    assert etag.startswith('W/"')
    assert again.status_code == 304


def test_the_weak_etag_changes_when_the_body_changes(world, member_api, objective):
    before = member_api.get(probe_url(world, "plain/"))["ETag"]
    Objective.objects.create(
        workspace=world.workspace, period=objective.period, team=world.team, title="Another"
    )

    after = member_api.get(probe_url(world, "plain/"), HTTP_IF_NONE_MATCH=before)

    assert after.status_code == 200
    assert after["ETag"] != before


def test_list_responses_get_a_weak_etag(world, member_api):
    response = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/teams/")

    assert response.status_code == 200
    assert response["ETag"].startswith('W/"')


def test_patch_with_a_stale_if_match_is_refused_with_412_before_the_view_runs(
    world, member_api, objective, probe_calls
):
    Objective.objects.filter(pk=objective.pk).update(version=3)

    response = member_api.patch(
        probe_url(world, f"{objective.pk}/"),
        {"title": "Overwritten"},
        content_type="application/json",
        HTTP_IF_MATCH='"v2"',
    )

    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    assert '"v3"' in response.json()["error"]["message"]
    assert probe_calls == []
    objective.refresh_from_db()
    assert (objective.title, objective.version) == ("Ship the public API", 3)


def test_patch_with_the_current_if_match_updates_and_returns_the_new_etag(
    world, member_api, objective
):
    response = member_api.patch(
        probe_url(world, f"{objective.pk}/"),
        {"title": "Ship the API v1"},
        content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )

    assert response.status_code == 200
    assert response["ETag"] == '"v2"'
    objective.refresh_from_db()
    assert (objective.title, objective.version) == ("Ship the API v1", 2)


def test_delete_with_a_stale_if_match_is_refused_and_keeps_the_object(
    world, member_api, objective, probe_calls
):
    response = member_api.delete(probe_url(world, f"{objective.pk}/"), HTTP_IF_MATCH='"v9"')

    assert response.status_code == 412
    assert probe_calls == []
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_a_weak_etag_never_satisfies_if_match(world, member_api, objective, probe_calls):
    response = member_api.delete(probe_url(world, f"{objective.pk}/"), HTTP_IF_MATCH='W/"v1"')

    assert response.status_code == 412
    assert probe_calls == []
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_stale_version_from_the_service_under_if_match_becomes_412(
    world, member_api, objective, monkeypatch
):
    # The pre-check passes, then someone else writes before the service's conditional UPDATE.
    from alignment import api_base

    monkeypatch.setattr(api_base.ConditionalRequestMixin, "_check_if_match", lambda self, h: None)
    Objective.objects.filter(pk=objective.pk).update(version=5)

    response = member_api.patch(
        probe_url(world, f"{objective.pk}/"),
        {"title": "Lost write"},
        content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )

    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    objective.refresh_from_db()
    assert objective.title == "Ship the public API"


def test_stale_version_from_a_body_version_stays_409(world, member_api, objective):
    response = member_api.patch(
        probe_url(world, f"{objective.pk}/"),
        {"title": "Lost write", "version": 7},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"


def test_if_match_on_another_workspaces_object_is_404_not_412(
    world, world_b, member_api, probe_calls
):
    period_b = world_b.workspace.periods.create(name="Q", start="2026-01-01", end="2026-03-31")
    foreign = Objective.objects.create(
        workspace=world_b.workspace, period=period_b, team=world_b.team, title="Theirs"
    )

    response = member_api.delete(probe_url(world, f"{foreign.pk}/"), HTTP_IF_MATCH='"v9"')

    assert response.status_code == 404
    assert Objective.objects.filter(pk=foreign.pk).exists()


# --- objects without a version, and If-Match: * ---------------------------------------------


def label_url(world, label) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/labels/{label.pk}/"


def test_a_stale_etag_on_an_object_without_a_version_is_refused_not_ignored(world, member_api):
    label = LabelFactory(workspace=world.workspace, name="bug")
    etag = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/labels/")["ETag"]
    Label.objects.filter(pk=label.pk).update(name="defect")  # someone else renames it

    response = member_api.patch(
        label_url(world, label), {"name": "blocker"}, "application/json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    assert "has no version" in response.json()["error"]["message"]
    assert Label.objects.get(pk=label.pk).name == "defect"


def test_if_match_star_writes_an_object_without_a_version(world, member_api):
    label = LabelFactory(workspace=world.workspace, name="bug")

    response = member_api.patch(
        label_url(world, label), {"name": "blocker"}, "application/json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 200
    assert Label.objects.get(pk=label.pk).name == "blocker"


def test_if_match_star_matches_any_version_of_a_versioned_object(world, member_api, objective):
    Objective.objects.filter(pk=objective.pk).update(version=5)

    response = member_api.patch(
        probe_url(world, f"{objective.pk}/"),
        {"title": "Whatever its version"},
        "application/json",
        HTTP_IF_MATCH="*",
    )

    assert response.status_code == 200
    assert Objective.objects.get(pk=objective.pk).title == "Whatever its version"


def test_if_match_star_on_a_missing_object_is_404(world, member_api):
    response = member_api.patch(
        f"/api/v1/workspaces/{world.workspace.slug}/labels/999999/",
        {"name": "x"},
        "application/json",
        HTTP_IF_MATCH="*",
    )

    assert response.status_code == 404
