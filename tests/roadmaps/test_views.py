"""Roadmap pages: the list, the timeline (bars, today line, late flags, grouping) and
rescheduling a bar inline with a version check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readmodel.selectors import rollups_for
from roadmaps.models import Roadmap, RoadmapItem
from tests.conftest import World
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemDependencyFactory,
    RoadmapItemFactory,
)
from tests.querycount import assert_flat_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def roadmap(world: World) -> Roadmap:
    return RoadmapFactory(workspace=world.workspace, name="Platform 2026")


def timeline_url(world: World, roadmap: Roadmap, query: str = "") -> str:
    url = reverse(
        "roadmaps:timeline", kwargs={"slug": world.workspace.slug, "roadmap_id": roadmap.pk}
    )
    return url + query


def reschedule_url(world: World, item: RoadmapItem) -> str:
    return reverse(
        "roadmaps:item_reschedule",
        kwargs={"slug": world.workspace.slug, "roadmap_id": item.roadmap_id, "item_id": item.pk},
    )


def test_roadmap_list_shows_item_counts(member_client, world, roadmap):
    RoadmapItemFactory.create_batch(2, roadmap=roadmap)

    response = member_client.get(reverse("roadmaps:list", kwargs={"slug": world.workspace.slug}))

    assert [(r.name, r.item_count) for r in response.context["roadmaps"]] == [("Platform 2026", 2)]


def test_timeline_draws_a_bar_per_item_with_svg_attributes_only(member_client, world, roadmap):
    next_year = timezone.localdate().year + 1
    RoadmapItemFactory(
        roadmap=roadmap,
        title="Billing",
        start_date=date(next_year, 1, 1),
        target_date=date(next_year, 3, 31),
    )

    response = member_client.get(timeline_url(world, roadmap))

    html = response.content.decode()
    assert response.status_code == 200
    # Q1 of next year is the whole grid: the bar spans it from x=0 to the full width.
    assert 'class="tl-bar status-planned" x="0.0" y="5" width="1000.0"' in html
    assert "style=" not in html


def test_a_late_item_is_flagged(member_client, world, roadmap):
    today = timezone.localdate()
    RoadmapItemFactory(
        roadmap=roadmap,
        title="Overdue",
        start_date=today - timedelta(days=60),
        target_date=today - timedelta(days=1),
    )

    html = member_client.get(timeline_url(world, roadmap)).content.decode()

    assert 'class="badge bad">Late</span>' in html
    assert "tl-bar status-planned late" in html


def test_today_line_is_drawn_when_today_is_on_the_grid(member_client, world, roadmap):
    today = timezone.localdate()
    RoadmapItemFactory(roadmap=roadmap, start_date=today, target_date=today + timedelta(days=10))

    response = member_client.get(timeline_url(world, roadmap))

    assert response.context["view"].today_x is not None
    assert 'class="tl-today"' in response.content.decode()


def test_a_dependency_is_marked_on_the_waiting_bar(member_client, world, roadmap):
    dependency = RoadmapItemDependencyFactory(
        blocking__roadmap=roadmap, blocking__title="API v2", blocked__title="Mobile app"
    )

    html = member_client.get(timeline_url(world, roadmap)).content.decode()

    assert "Waits for API v2" in html
    assert 'class="tl-dep-marker open"' in html
    assert dependency.blocked.roadmap_id == roadmap.pk


def test_timeline_groups_by_objective_on_request(member_client, world, roadmap):
    item = RoadmapItemFactory(roadmap=roadmap)
    KeyResultLinkFactory(item=item)
    RoadmapItemFactory(roadmap=roadmap)

    response = member_client.get(timeline_url(world, roadmap, "?group=objective"), **HTMX)

    labels = [label for _, label, _ in response.context["view"].groups]
    assert labels == ["Objective of Cut churn", "No objective"]
    assert [t.name for t in response.templates][0] == "roadmaps/_timeline.html"


def test_rescheduling_moves_the_dates(member_client, world, roadmap):
    item = RoadmapItemFactory(roadmap=roadmap)

    response = member_client.post(
        reschedule_url(world, item),
        {"start_date": "2026-02-01", "target_date": "2026-04-30", "version": item.version},
        **HTMX,
    )

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.start_date, item.target_date, item.version) == (
        date(2026, 2, 1),
        date(2026, 4, 30),
        2,
    )
    assert "rescheduled" in response.content.decode()


def test_rescheduling_a_stale_version_is_refused_and_changes_nothing(member_client, world, roadmap):
    item = RoadmapItemFactory(roadmap=roadmap)
    RoadmapItem.objects.filter(pk=item.pk).update(version=2)

    response = member_client.post(
        reschedule_url(world, item),
        {"start_date": "2026-02-01", "target_date": "2026-04-30", "version": 1},
        **HTMX,
    )

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    item.refresh_from_db()
    assert item.start_date == date(2026, 1, 5)


def test_rescheduling_with_the_target_before_the_start_is_422(member_client, world, roadmap):
    item = RoadmapItemFactory(roadmap=roadmap)

    response = member_client.post(
        reschedule_url(world, item),
        {"start_date": "2026-05-01", "target_date": "2026-04-30", "version": item.version},
        **HTMX,
    )

    assert response.status_code == 422
    assert "cannot be before the start date" in response.content.decode()
    item.refresh_from_db()
    assert item.version == 1


def test_a_viewer_cannot_reschedule(viewer_client, world, roadmap):
    item = RoadmapItemFactory(roadmap=roadmap)

    response = viewer_client.post(
        reschedule_url(world, item),
        {"start_date": "2026-02-01", "target_date": "2026-04-30", "version": 1},
    )

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.version == 1


def test_an_item_of_another_roadmap_is_404(member_client, world, roadmap):
    other = RoadmapItemFactory(roadmap__workspace=world.workspace)
    url = reverse(
        "roadmaps:item_reschedule",
        kwargs={"slug": world.workspace.slug, "roadmap_id": roadmap.pk, "item_id": other.pk},
    )

    response = member_client.post(url, {"start_date": "2026-02-01", "version": 1})

    assert response.status_code == 404


def test_timeline_query_count_does_not_grow(member_client, world, roadmap):
    RoadmapItemFactory(roadmap=roadmap)

    def grow() -> None:
        items = []
        for n in range(20):
            item = RoadmapItemFactory(roadmap=roadmap, start_date=date(2026, 1, 1 + n))
            KeyResultLinkFactory(item=item)
            items.append(item.pk)
        # Factories write no events: compute the new items' read-model rows, as the events of
        # services would have, so the page reads them warm.
        rollups_for(world.workspace.pk, {"roadmap_item": items})

    assert_flat_queries(member_client, timeline_url(world, roadmap), grow=grow, budget=15)
