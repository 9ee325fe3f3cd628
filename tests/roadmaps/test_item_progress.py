"""A roadmap item's progress and health on its page, the timeline and the API: its row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from readmodel.selectors import rollups_for
from tasks.services import task_transition
from tests.factories.work import RoadmapFactory, RoadmapItemFactory, TaskFactory

pytestmark = pytest.mark.calendar


@pytest.fixture
def item(world):
    return RoadmapItemFactory(
        roadmap=RoadmapFactory(workspace=world.workspace, name="Platform"),
        title="Identity service",
        start_date=date(2026, 1, 5),
        target_date=date(2027, 6, 30),
    )


@pytest.fixture
def work(world, item, todo, done):
    finished = TaskFactory(team=world.team, roadmap_item=item, state=done, estimate=Decimal(2))
    open_task = TaskFactory(team=world.team, roadmap_item=item, state=todo, estimate=Decimal(6))
    return finished, open_task


def _row(world, item):
    return rollups_for(world.workspace.pk, {"roadmap_item": [item.pk]})[("roadmap_item", item.pk)]


def _page(client, world, item, name):
    path = {
        "item": f"/w/{world.workspace.slug}/roadmaps/{item.roadmap_id}/items/{item.pk}/",
        "timeline": f"/w/{world.workspace.slug}/roadmaps/{item.roadmap_id}/",
    }[name]
    return client.get(path).content.decode()


def test_the_item_page_and_timeline_show_the_row(member_client, world, item, work):
    row = _row(world, item)
    assert (row.percent, row.basis) == (25, "points")
    page = _page(member_client, world, item, "item")
    assert f'data-percent="25" data-status="{row.status}"' in page
    assert "1 of 2 tasks done · 2 of 8 points" in page
    timeline = _page(member_client, world, item, "timeline")
    assert f'data-percent="25" data-status="{row.status}">25% of 8 pts' in timeline


def test_the_api_shows_the_row_on_item_list_and_detail(member_api, world, item, work):
    base = f"/api/v1/workspaces/{world.workspace.slug}/roadmap-items/"
    row = _row(world, item)
    detail = member_api.get(f"{base}{item.pk}/").json()["progress"]
    [listed] = member_api.get(base).json()["results"]
    assert detail == listed["progress"]
    assert (detail["progress"], detail["health"], detail["basis"]) == (0.25, row.status, "points")
    assert (detail["done_points"], detail["total_points"], detail["total_count"]) == (2, 8, 2)
    assert all(r["sentence"] for r in detail["reasons"])


def test_moving_a_task_to_done_moves_every_item_surface(
    member_client, member_api, world, item, work, done, django_capture_on_commit_callbacks
):
    _page(member_client, world, item, "item")  # rows computed before the change
    open_task = work[1]
    with django_capture_on_commit_callbacks(execute=True):
        task_transition(actor=world.member, task=open_task, to_state=done)
    page = _page(member_client, world, item, "item")
    timeline = _page(member_client, world, item, "timeline")
    api = member_api.get(
        f"/api/v1/workspaces/{world.workspace.slug}/roadmap-items/{item.pk}/"
    ).json()
    assert 'data-percent="100"' in page
    assert 'data-percent="100"' in timeline
    assert api["progress"]["progress"] == 1.0


def test_an_item_without_work_says_so(member_client, world, item):
    page = _page(member_client, world, item, "item")
    assert "data-percent" not in page
    assert "No tasks yet" in page
