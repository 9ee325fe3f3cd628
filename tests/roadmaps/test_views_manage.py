"""Managing roadmaps in the browser: create, edit (versioned), delete, items, key result links."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import AuditEvent
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem
from tests.conftest import World
from tests.factories import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemDependencyFactory,
    RoadmapItemFactory,
    TaskFactory,
    state_of,
)
from tests.querycount import assert_flat_queries

pytestmark = pytest.mark.django_db


def url(world: World, name: str, **kwargs: object) -> str:
    return reverse(f"roadmaps:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


@pytest.fixture
def roadmap(world: World) -> Roadmap:
    return RoadmapFactory(workspace=world.workspace, name="Platform 2026")


@pytest.fixture
def item(world: World, roadmap: Roadmap) -> RoadmapItem:
    return RoadmapItemFactory(roadmap=roadmap, title="Self-serve onboarding", owner_team=world.team)


@pytest.fixture
def key_result(world: World):
    objective = ObjectiveFactory(
        period=PeriodFactory(workspace=world.workspace), title="Grow activation"
    )
    return KeyResultFactory(objective=objective, title="Activation from 30% to 45%")


def item_kwargs(item: RoadmapItem) -> dict[str, int]:
    return {"roadmap_id": item.roadmap_id, "item_id": item.pk}


# ---- roadmaps -----------------------------------------------------------------------------


def test_empty_list_invites_members_to_create_the_first_roadmap(
    world, member_client, viewer_client
):
    page = member_client.get(url(world, "list")).content.decode()
    assert "Create the first roadmap" in page
    assert url(world, "roadmap_new") in page
    viewer_page = viewer_client.get(url(world, "list")).content.decode()
    assert "Create the first roadmap" not in viewer_page
    assert "Ask a member" in viewer_page


def test_member_creates_a_roadmap_and_lands_on_its_timeline(world, member_client):
    response = member_client.post(
        url(world, "roadmap_new"), {"name": "Growth 2027", "description": "Bets for next year"}
    )
    roadmap = Roadmap.objects.get(workspace=world.workspace, name="Growth 2027")
    assert response.status_code == 303
    assert response["Location"] == url(world, "timeline", roadmap_id=roadmap.pk)
    assert AuditEvent.objects.filter(verb="roadmap.created", object_id=str(roadmap.pk)).exists()


def test_duplicate_roadmap_name_is_explained_on_the_form(world, member_client, roadmap):
    response = member_client.post(url(world, "roadmap_new"), {"name": "platform 2026"})
    assert response.status_code == 422
    assert "A roadmap called platform 2026 already exists." in response.content.decode()
    assert Roadmap.objects.filter(workspace=world.workspace).count() == 1


def test_viewer_cannot_open_the_new_roadmap_form(world, viewer_client):
    assert viewer_client.get(url(world, "roadmap_new")).status_code == 403


def test_stale_roadmap_edit_is_refused_and_keeps_the_newer_name(world, member_client, roadmap):
    edit = url(world, "roadmap_edit", roadmap_id=roadmap.pk)
    seen_version = roadmap.version
    member_client.post(edit, {"name": "First rename", "version": seen_version})
    response = member_client.post(edit, {"name": "Second rename", "version": seen_version})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    roadmap.refresh_from_db()
    assert roadmap.name == "First rename"


def test_only_admins_delete_roadmaps_and_tasks_survive(world, member_client, admin_client, item):
    task = TaskFactory(team=world.team, roadmap_item=item)
    delete = url(world, "roadmap_delete", roadmap_id=item.roadmap_id)
    assert member_client.post(delete).status_code == 403
    assert Roadmap.objects.filter(pk=item.roadmap_id).exists()
    response = admin_client.post(delete)
    assert response.status_code == 303
    assert not Roadmap.objects.filter(pk=item.roadmap_id).exists()
    task.refresh_from_db()
    assert task.roadmap_item_id is None


# ---- items --------------------------------------------------------------------------------


def test_member_adds_an_item_with_a_team_and_dates(world, member_client, roadmap):
    response = member_client.post(
        url(world, "item_new", roadmap_id=roadmap.pk),
        {
            "title": "Usage-based billing",
            "kind": "initiative",
            "status": "planned",
            "owner_team": world.team.pk,
            "start_date": "2026-12-01",
            "target_date": "2027-02-28",
        },
    )
    item = RoadmapItem.objects.get(roadmap=roadmap, title="Usage-based billing")
    assert response.status_code == 303
    assert response["Location"] == url(world, "item", **item_kwargs(item))
    assert (item.kind, item.owner_team, str(item.target_date)) == (
        "initiative",
        world.team,
        "2027-02-28",
    )


def test_target_before_start_is_explained(world, member_client, roadmap):
    response = member_client.post(
        url(world, "item_new", roadmap_id=roadmap.pk),
        {
            "title": "Backwards",
            "kind": "epic",
            "status": "planned",
            "start_date": "2027-02-01",
            "target_date": "2027-01-01",
        },
    )
    assert response.status_code == 422
    assert "The target date cannot be before the start date." in response.content.decode()
    assert not RoadmapItem.objects.filter(title="Backwards").exists()


def test_another_workspaces_team_cannot_own_an_item(world, world_b, member_client, roadmap):
    response = member_client.post(
        url(world, "item_new", roadmap_id=roadmap.pk),
        {"title": "Sneaky", "kind": "epic", "status": "planned", "owner_team": world_b.team.pk},
    )
    assert response.status_code == 422
    assert not RoadmapItem.objects.filter(title="Sneaky").exists()


def test_item_edit_saves_and_a_stale_version_is_refused(world, member_client, item):
    edit = url(world, "item_edit", **item_kwargs(item))
    form = member_client.get(edit).content.decode()
    assert 'value="Self-serve onboarding"' in form
    body = {"title": "Onboarding v2", "kind": "epic", "status": "in_progress"}
    ok = member_client.post(edit, {**body, "version": item.version})
    assert ok.status_code == 303
    stale = member_client.post(edit, {**body, "title": "Lost", "version": item.version})
    assert stale.status_code == 409
    item.refresh_from_db()
    assert (item.title, item.status) == ("Onboarding v2", "in_progress")


def test_item_delete_keeps_its_tasks_as_unaligned_work(world, member_client, item):
    task = TaskFactory(team=world.team, roadmap_item=item)
    response = member_client.post(url(world, "item_delete", **item_kwargs(item)))
    assert response.status_code == 303
    assert not RoadmapItem.objects.filter(pk=item.pk).exists()
    task.refresh_from_db()
    assert task.roadmap_item_id is None


def test_item_page_shows_links_work_and_dependencies(world, viewer_client, item, key_result):
    KeyResultLinkFactory(item=item, key_result=key_result, weight=Decimal("2"))
    done = state_of(world.team, "done")
    TaskFactory(team=world.team, roadmap_item=item, title="Write the wizard", estimate=3)
    TaskFactory(team=world.team, roadmap_item=item, state=done, estimate=5, title="Spec it")
    blocker = RoadmapItemFactory(roadmap=item.roadmap, title="Identity service")
    RoadmapItemDependencyFactory(blocking=blocker, blocked=item)
    page = viewer_client.get(url(world, "item", **item_kwargs(item))).content.decode()
    assert "Grow activation" in page
    assert "Activation from 30% to 45%" in page
    assert "2.00" in page
    assert "1 of 2 tasks done" in page
    assert "5 of 8" in page
    assert page.index("Write the wizard") < page.index("Spec it")  # open work first
    assert "Waits for:" in page
    assert "Identity service" in page
    assert "Link key result" not in page  # viewers read, they do not link


def test_timeline_links_each_bar_to_its_item_page(world, member_client, item):
    page = member_client.get(url(world, "timeline", roadmap_id=item.roadmap_id)).content.decode()
    assert url(world, "item", **item_kwargs(item)) in page
    assert url(world, "item_new", roadmap_id=item.roadmap_id) in page


def test_item_page_queries_do_not_grow_with_links_and_tasks(world, member_client, item):
    KeyResultLinkFactory(item=item)
    TaskFactory(team=world.team, roadmap_item=item)

    def grow() -> None:
        for _ in range(4):
            KeyResultLinkFactory(item=item)
            TaskFactory(team=world.team, roadmap_item=item, assignee=world.member.user)

    assert_flat_queries(member_client, url(world, "item", **item_kwargs(item)), grow=grow)


# ---- key result links ---------------------------------------------------------------------


def test_linking_a_key_result_then_changing_its_weight(world, member_client, item, key_result):
    link = url(world, "item_link", **item_kwargs(item))
    first = member_client.post(link, {"key_result": key_result.pk, "weight": "1.5"})
    assert first.status_code == 303
    member_client.post(link, {"key_result": key_result.pk, "weight": "3"})
    [only] = KeyResultLink.objects.filter(item=item)
    assert (only.key_result, only.weight) == (key_result, Decimal("3.00"))
    assert AuditEvent.objects.filter(verb="roadmap_item.kr_link_weighted").exists()


@pytest.mark.parametrize(
    ("weight", "message"),
    [("0", "greater than or equal to 0.01"), ("abc", "Enter a number"), ("10000", "less than")],
)
def test_bad_weights_are_explained(world, member_client, item, key_result, weight, message):
    response = member_client.post(
        url(world, "item_link", **item_kwargs(item)),
        {"key_result": key_result.pk, "weight": weight},
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not KeyResultLink.objects.filter(item=item).exists()


def test_key_results_of_closed_periods_and_other_workspaces_cannot_be_linked(
    world, world_b, member_client, item
):
    closed = PeriodFactory(workspace=world.workspace, closed_at=timezone.now())
    old = KeyResultFactory(objective=ObjectiveFactory(period=closed))
    theirs = KeyResultFactory(
        objective=ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    )
    for key_result in (old, theirs):
        response = member_client.post(
            url(world, "item_link", **item_kwargs(item)),
            {"key_result": key_result.pk, "weight": "1"},
        )
        assert response.status_code == 422
        assert "Choose a key result of an open period." in response.content.decode()
    assert not KeyResultLink.objects.filter(item=item).exists()


def test_unlink_removes_only_that_link(world, member_client, item, key_result):
    keep = KeyResultLinkFactory(item=item)
    gone = KeyResultLinkFactory(item=item, key_result=key_result)
    response = member_client.post(url(world, "item_unlink", **item_kwargs(item), link_id=gone.pk))
    assert response.status_code == 303
    assert list(KeyResultLink.objects.filter(item=item)) == [keep]


def test_unlinking_a_link_of_another_item_is_404(world, member_client, item, roadmap):
    other_item = RoadmapItemFactory(
        roadmap=roadmap, owner_team=TeamFactory(workspace=world.workspace)
    )
    other_link = KeyResultLinkFactory(item=other_item)
    response = member_client.post(
        url(world, "item_unlink", **item_kwargs(item), link_id=other_link.pk)
    )
    assert response.status_code == 404
    assert KeyResultLink.objects.filter(pk=other_link.pk).exists()


@pytest.mark.parametrize("page", ["roadmap_edit", "item_edit"])
def test_an_edit_without_its_version_is_refused_not_saved_blindly(world, member_client, item, page):
    kwargs = {"roadmap_id": item.roadmap_id} if page == "roadmap_edit" else item_kwargs(item)
    body = {"name": "Blind", "title": "Blind", "kind": "epic", "status": "planned"}
    response = member_client.post(url(world, page, **kwargs), body)
    assert response.status_code == 422
    assert "missing the version you loaded" in response.content.decode()
    item.refresh_from_db()
    item.roadmap.refresh_from_db()
    assert "Blind" not in (item.title, item.roadmap.name)


def test_an_empty_timeline_offers_the_first_item(world, member_client, roadmap):
    page = member_client.get(url(world, "timeline", roadmap_id=roadmap.pk)).content.decode()
    assert "Add the first item" in page
    assert "through the API" not in page
