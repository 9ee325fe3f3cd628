from __future__ import annotations

from datetime import date

import pytest

from alignment.errors import CrossWorkspaceLink, FieldErrors, StaleVersion
from roadmaps import services
from roadmaps.errors import DependencyCycle, DependencyExists
from roadmaps.models import KeyResultLink, RoadmapItemDependency
from tests.factories.work import RoadmapFactory, RoadmapItemFactory, key_result_in


def test_create_item_on_a_roadmap(world, team):
    roadmap = RoadmapFactory(workspace=world.workspace)
    item = services.roadmap_item_create(
        actor=world.member,
        roadmap=roadmap,
        title="  Offline mode ",
        owner_team=team,
        start_date=date(2026, 1, 1),
        target_date=date(2026, 2, 1),
    )
    assert (item.title, item.owner_team, item.version) == ("Offline mode", team, 1)


def test_target_before_start_is_a_field_error(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    with pytest.raises(FieldErrors) as caught:
        services.roadmap_item_create(
            actor=world.member,
            roadmap=roadmap,
            title="x",
            start_date=date(2026, 2, 1),
            target_date=date(2026, 1, 1),
        )
    assert list(caught.value.fields) == ["target_date"]
    assert not roadmap.items.exists()


def test_update_with_a_stale_version_is_refused(world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, version=2)
    with pytest.raises(StaleVersion):
        services.roadmap_item_update(
            actor=world.member, item=item, expected_version=1, title="Changed"
        )
    item.refresh_from_db()
    assert (item.title, item.version) != ("Changed", 3)


def test_reschedule_bumps_the_version(world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    services.roadmap_item_update(
        actor=world.member, item=item, expected_version=1, target_date=date(2026, 6, 1)
    )
    item.refresh_from_db()
    assert (item.target_date, item.version) == (date(2026, 6, 1), 2)


def test_an_item_can_move_several_key_results(world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    for title in ("A", "B"):
        services.roadmap_item_link_key_result(
            actor=world.member, item=item, key_result=key_result_in(world.workspace, title)
        )
    assert KeyResultLink.objects.filter(item=item).count() == 2


def test_linking_again_changes_the_weight(world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    kr = key_result_in(world.workspace)
    services.roadmap_item_link_key_result(actor=world.member, item=item, key_result=kr)
    services.roadmap_item_link_key_result(actor=world.member, item=item, key_result=kr, weight=3)
    assert list(KeyResultLink.objects.values_list("weight", flat=True)) == [3]


def test_linking_another_workspaces_key_result_is_not_found(world, world_b):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    with pytest.raises(CrossWorkspaceLink):
        services.roadmap_item_link_key_result(
            actor=world.member, item=item, key_result=key_result_in(world_b.workspace)
        )
    assert not KeyResultLink.objects.exists()


def test_zero_weight_is_refused(world):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    with pytest.raises(FieldErrors):
        services.roadmap_item_link_key_result(
            actor=world.member, item=item, key_result=key_result_in(world.workspace), weight=0
        )
    assert not KeyResultLink.objects.exists()


def test_item_dependency_cycle_is_refused(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    a, b, c = (RoadmapItemFactory(roadmap=roadmap) for _ in range(3))
    services.roadmap_item_dependency_add(actor=world.member, blocking=a, blocked=b)
    services.roadmap_item_dependency_add(actor=world.member, blocking=b, blocked=c)
    with pytest.raises(DependencyCycle):
        services.roadmap_item_dependency_add(actor=world.member, blocking=c, blocked=a)
    assert RoadmapItemDependency.objects.count() == 2


def test_duplicate_item_dependency_is_refused(world):
    roadmap = RoadmapFactory(workspace=world.workspace)
    a, b = RoadmapItemFactory(roadmap=roadmap), RoadmapItemFactory(roadmap=roadmap)
    services.roadmap_item_dependency_add(actor=world.member, blocking=a, blocked=b)
    with pytest.raises(DependencyExists):
        services.roadmap_item_dependency_add(actor=world.member, blocking=a, blocked=b)
    assert RoadmapItemDependency.objects.count() == 1


def test_item_dependency_across_workspaces_is_not_found(world, world_b):
    mine = RoadmapItemFactory(roadmap__workspace=world.workspace)
    theirs = RoadmapItemFactory(roadmap__workspace=world_b.workspace)
    with pytest.raises(CrossWorkspaceLink):
        services.roadmap_item_dependency_add(actor=world.member, blocking=theirs, blocked=mine)
    assert not RoadmapItemDependency.objects.exists()
