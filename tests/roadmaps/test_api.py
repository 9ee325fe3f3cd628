from __future__ import annotations

import json

import pytest

from roadmaps.models import KeyResultLink, RoadmapItem
from tests.factories.work import RoadmapFactory, RoadmapItemFactory, key_result_in

BASE = "/api/v1/workspaces/acme-inc"


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_create_item(member_api, world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    body = {"roadmap": roadmap.pk, "title": "Offline", "owner_team": team.pk}
    response = post(member_api, f"{BASE}/roadmap-items/", body)
    assert response.status_code == 201
    assert response.json()["title"] == "Offline"


def test_stale_if_match_on_an_item_is_412(member_api, world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, version=2)
    response = member_api.patch(
        f"{BASE}/roadmap-items/{item.pk}/",
        json.dumps({"title": "New"}),
        content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )
    item.refresh_from_db()
    assert response.status_code == 412
    assert item.title != "New"


def test_stale_body_version_on_an_item_is_409(member_api, world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, version=2)
    response = member_api.patch(
        f"{BASE}/roadmap-items/{item.pk}/",
        json.dumps({"title": "New", "version": 1}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert RoadmapItem.objects.get().title != "New"


def test_link_and_unlink_a_key_result(member_api, world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    kr = key_result_in(world.workspace)
    linked = post(member_api, f"{BASE}/roadmap-items/{item.pk}/key-results/", {"key_result": kr.pk})
    assert linked.json()["key_results"][0]["key_result"] == kr.pk
    unlinked = member_api.delete(f"{BASE}/roadmap-items/{item.pk}/key-results/{kr.pk}/")
    assert unlinked.status_code == 204
    assert not KeyResultLink.objects.exists()


def test_dependency_cycle_is_409(member_api, world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    a, b = RoadmapItemFactory(roadmap=roadmap), RoadmapItemFactory(roadmap=roadmap)
    url = f"{BASE}/roadmap-item-dependencies/"
    assert post(member_api, url, {"blocking": a.pk, "blocked": b.pk}).status_code == 201
    response = post(member_api, url, {"blocking": b.pk, "blocked": a.pk})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "dependency_cycle")


def test_timeline_endpoint_returns_groups(member_api, world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    RoadmapItemFactory(roadmap=roadmap, owner_team=team)
    response = member_api.get(f"{BASE}/roadmaps/{roadmap.pk}/timeline/?group_by=team")
    assert response.status_code == 200
    assert [g["label"] for g in response.json()["groups"]] == [team.name]


def test_timeline_with_a_bad_grouping_is_400(member_api, world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    response = member_api.get(f"{BASE}/roadmaps/{roadmap.pk}/timeline/?group_by=mood")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"group_by": ["Use one of: team, objective."]}


def test_timeline_groups_by_objective_on_request(member_api, world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    RoadmapItemFactory(roadmap=roadmap, owner_team=team)
    url = f"{BASE}/roadmaps/{roadmap.pk}/timeline/"
    by_objective = member_api.get(url, {"group_by": "objective"}).json()
    by_default = member_api.get(url).json()
    assert (by_objective["group_by"], by_default["group_by"]) == ("objective", "team")


def test_dependencies_of_one_item_in_both_directions(member_api, world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    a, b, c, d = RoadmapItemFactory.create_batch(4, roadmap=roadmap)
    url = f"{BASE}/roadmap-item-dependencies/"
    made = [
        post(member_api, url, {"blocking": x.pk, "blocked": y.pk})
        for x, y in [(a, b), (b, c), (c, d)]
    ]
    first, second, _ = (response.json()["id"] for response in made)
    listed = member_api.get(url, {"item": b.pk})
    assert [row["id"] for row in listed.json()] == [first, second]


@pytest.mark.parametrize("bad", ["x", "0", "1.5", "²"])
def test_dependencies_of_an_item_that_is_not_an_id_is_400(member_api, world, bad):
    response = member_api.get(f"{BASE}/roadmap-item-dependencies/", {"item": bad})
    assert response.status_code == 400
    assert "item" in response.json()["error"]["fields"]


def test_another_workspaces_roadmap_is_404(member_api, world_b):
    roadmap = RoadmapFactory(workspace=world_b.workspace)
    assert member_api.get(f"{BASE}/roadmaps/{roadmap.pk}/").status_code == 404
