"""Saved views: services (rules of sharing and changing), the tasks a view shows, the pages
(board, list, table: sorted and paged) and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.errors import FieldErrors, NotFound, RoleRequired, StaleVersion
from alignment.models import Team
from tasks.models import Priority, TaskLabel
from tasks.saved_views import selectors, services
from tasks.saved_views.models import SavedView, ViewLayout, ViewScope
from tests.conftest import World, build_guest
from tests.factories.core import TeamFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    LabelFactory,
    RoadmapItemFactory,
    TaskFactory,
    key_result_in,
    state_of,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def view_url(world: World, view: SavedView, **query: str) -> str:
    url = reverse(
        "tasks:saved_view", kwargs={"slug": world.workspace.slug, "saved_view_id": view.pk}
    )
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def list_url(world: World) -> str:
    return reverse("tasks:saved_views", kwargs={"slug": world.workspace.slug})


# ---- services ---------------------------------------------------------------------------


def test_a_view_stores_a_query_search_accepts(world: World):
    view = services.saved_view_create(
        actor=world.member, name=" My  bugs ", query="assignee:me  priority:high"
    )
    assert (view.name, view.query, view.scope, view.owner_id) == (
        "My bugs",
        "assignee:me priority:high",
        ViewScope.PERSONAL,
        world.member.user_id,
    )


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("colour:red", "Unknown qualifier"),
        ("label:nosuchlabel", "No label"),
        ("due:someday", "No due"),
        ("", "Give the view a filter"),
    ],
)
def test_a_query_search_refuses_is_refused_with_its_message(world: World, query, fragment):
    with pytest.raises(FieldErrors) as caught:
        services.saved_view_create(actor=world.member, name="Bad", query=query)
    assert fragment in caught.value.fields["query"][0]
    assert not SavedView.objects.exists()


def test_names_are_unique_per_owner_case_insensitively(world: World):
    services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    with pytest.raises(FieldErrors):
        services.saved_view_create(actor=world.member, name="MINE", query="assignee:me")
    services.saved_view_create(actor=world.admin, name="Mine", query="assignee:me")  # another owner


def test_a_viewer_keeps_personal_views_but_cannot_share(world: World):
    services.saved_view_create(actor=world.viewer, name="Read", query="priority:urgent")
    with pytest.raises(RoleRequired):
        services.saved_view_create(
            actor=world.viewer, name="Shared", query="priority:urgent", scope=ViewScope.WORKSPACE
        )


def test_team_sharing_needs_a_team_and_a_visible_one(world: World):
    with pytest.raises(FieldErrors):
        services.saved_view_create(
            actor=world.member, name="T", query="priority:high", scope=ViewScope.TEAM
        )
    secret = TeamFactory(workspace=world.workspace, is_private=True)
    with pytest.raises(NotFound):
        services.saved_view_create(
            actor=world.member, name="T", query="priority:high", scope=ViewScope.TEAM, team=secret
        )


def test_who_sees_which_view(world: World):
    guest = build_guest(world)
    mine = services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    shared = services.saved_view_create(
        actor=world.member, name="All", query="priority:high", scope=ViewScope.WORKSPACE
    )
    team_view = services.saved_view_create(
        actor=world.member,
        name="Team",
        query="priority:high",
        scope=ViewScope.TEAM,
        team=world.team,
    )
    assert set(SavedView.objects.visible_to(world.member)) == {mine, shared, team_view}
    # An admin does not read someone's personal view: it is theirs.
    assert set(SavedView.objects.visible_to(world.admin)) == {shared, team_view}
    # A guest on no team: neither the workspace's views (a query may name private work) nor
    # a team's they are not on.
    assert set(SavedView.objects.visible_to(guest)) == set()


def test_owner_changes_and_admin_changes_only_shared_views(world: World):
    personal = services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    shared = services.saved_view_create(
        actor=world.member, name="All", query="priority:high", scope=ViewScope.WORKSPACE
    )
    renamed = services.saved_view_update(actor=world.admin, view=shared, name="Everyone's")
    assert (renamed.name, renamed.version) == ("Everyone's", 2)
    with pytest.raises(RoleRequired):
        services.saved_view_update(actor=world.admin, view=personal, name="Taken")
    with pytest.raises(RoleRequired):
        services.saved_view_delete(actor=world.viewer, view=shared)
    with pytest.raises(FieldErrors):  # an admin cannot hide someone's shared view
        services.saved_view_update(actor=world.admin, view=shared, scope=ViewScope.PERSONAL)
    services.saved_view_delete(actor=world.admin, view=shared)
    services.saved_view_delete(actor=world.member, view=personal)
    assert not SavedView.objects.exists()


def test_a_stale_version_is_refused(world: World):
    view = services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    services.saved_view_update(actor=world.member, view=view, name="One")
    stale = SavedView.objects.get(pk=view.pk)
    stale.version = 1
    with pytest.raises(StaleVersion):
        services.saved_view_update(actor=world.member, view=stale, expected_version=1, name="Two")
    assert SavedView.objects.get(pk=view.pk).name == "One"


# ---- the tasks of a view ----------------------------------------------------------------


def test_view_tasks_follow_every_qualifier_and_the_words(world: World, team: Team):
    bug = LabelFactory(workspace=world.workspace, name="bug")
    kr = key_result_in(world.workspace, "Cut churn")
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    KeyResultLinkFactory(item=item, key_result=kr)
    today = timezone.localdate()
    wanted = TaskFactory(
        team=team,
        title="Fix login crash",
        assignee=world.member.user,
        priority=Priority.HIGH,
        due_date=today - timedelta(days=1),
        roadmap_item=item,
    )
    TaskLabel.objects.create(workspace=world.workspace, task=wanted, label=bug)
    TaskFactory(team=team, title="Fix login crash", assignee=world.member.user)  # no label
    TaskFactory(team=team, title="Other", priority=Priority.HIGH)

    def found(query: str) -> list[int]:
        return list(selectors.view_tasks(query, viewer=world.member).values_list("pk", flat=True))

    assert found("label:bug") == [wanted.pk]
    assert found('kr:"Cut churn"') == [wanted.pk]
    assert found(f"objective:#{kr.objective_id}") == [wanted.pk]
    assert found("due:overdue assignee:me") == [wanted.pk]
    assert found("crash priority:high") == [wanted.pk]
    assert sorted(found("login")) == sorted(
        found("assignee:me")
    )  # both login tasks are the member's


def test_archived_and_hidden_tasks_never_show(world: World, team: Team):
    secret = TeamFactory(workspace=world.workspace, is_private=True, key="SEC")
    TaskFactory(team=secret, priority=Priority.URGENT)
    shown = TaskFactory(team=team, priority=Priority.URGENT)
    gone = TaskFactory(team=team, priority=Priority.URGENT)
    gone.archived_at = timezone.now()
    gone.save()
    tasks = selectors.view_tasks("priority:urgent", viewer=world.member)
    assert list(tasks) == [shown]


def test_table_sorts_by_a_column_with_nulls_last_and_pages(world: World, team: Team):
    today = timezone.localdate()
    late = TaskFactory(team=team, title="b", due_date=today + timedelta(days=5))
    soon = TaskFactory(team=team, title="a", due_date=today)
    never = TaskFactory(team=team, title="c")
    tasks = selectors.view_tasks(f"team:{team.key}", viewer=world.member)
    assert list(selectors.sorted_tasks(tasks, "due", False)) == [soon, late, never]
    assert list(selectors.sorted_tasks(tasks, "due", True)) == [late, soon, never]
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    first = selectors.table_page(tasks, view=view, sort="title", descending=False, size=2)
    page = selectors.table_page(
        tasks, view=view, sort="title", descending=False, size=2, cursor=first.next_cursor
    )
    assert (page.tasks, page.total, page.first_row, page.has_previous) == ([never], 3, 3, True)
    assert selectors.parse_sort("-nonsense") == ("key", False)
    big = selectors.table_page(tasks, view=view, sort="key", descending=False, size=10_000)
    assert big.size == selectors.MAX_PAGE_SIZE


def test_board_columns_are_state_categories(world: World, team: Team):
    TaskFactory(team=team, state=state_of(team, "started"), state_category="started")
    TaskFactory(team=team)
    columns = selectors.board_columns(selectors.view_tasks(f"team:{team.key}", viewer=world.member))
    assert [(c.category, c.total, len(c.tasks)) for c in columns if c.total] == [
        ("backlog", 1, 1),
        ("started", 1, 1),
    ]


# ---- pages ------------------------------------------------------------------------------


def test_save_a_view_from_the_form_and_open_it_in_each_layout(member_client, world, team):
    TaskFactory(team=team, title="Crash on save", assignee=world.member.user)
    response = member_client.post(
        list_url(world),
        {"name": "My work", "query": "assignee:me", "layout": "table", "scope": "personal"},
    )
    assert response.status_code == 303
    view = SavedView.objects.get()
    assert response["Location"] == view_url(world, view)
    for layout in ViewLayout.values:
        page = member_client.get(view_url(world, view, **{"as": layout}))
        assert page.status_code == 200
        assert "Crash on save" in page.content.decode()
    table = member_client.get(view_url(world, view, sort="-title"))
    assert 'aria-sort="descending"' in table.content.decode()
    listing = member_client.get(list_url(world))
    assert "My work" in listing.content.decode()
    palette = member_client.get(list_url(world) + "?part=palette", **HTMX)
    assert 'data-kind="View"' in palette.content.decode()


def test_an_invalid_query_comes_back_with_the_message_and_nothing_saved(member_client, world):
    response = member_client.post(
        list_url(world),
        {"name": "Bad", "query": "colour:red", "layout": "list", "scope": "personal"},
    )
    assert response.status_code == 422
    assert "Unknown qualifier" in response.content.decode()
    assert not SavedView.objects.exists()


def test_rename_share_and_delete_from_the_pages(member_client, world):
    view = services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    edit = reverse(
        "tasks:saved_view_edit", kwargs={"slug": world.workspace.slug, "saved_view_id": view.pk}
    )
    response = member_client.post(
        edit,
        {
            "name": "Ours",
            "query": "assignee:me",
            "layout": "board",
            "scope": "team",
            "team": world.team.pk,
            "version": view.version,
        },
    )
    assert response.status_code == 303
    view.refresh_from_db()
    assert (view.name, view.scope, view.team_id, view.layout) == (
        "Ours",
        "team",
        world.team.pk,
        "board",
    )
    delete = reverse(
        "tasks:saved_view_delete", kwargs={"slug": world.workspace.slug, "saved_view_id": view.pk}
    )
    assert member_client.post(delete).status_code == 303
    assert not SavedView.objects.exists()


def test_someone_elses_personal_view_is_404(admin_client, world):
    view = services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    assert admin_client.get(view_url(world, view)).status_code == 404


def test_a_view_whose_label_was_deleted_says_so(member_client, world):
    label = LabelFactory(workspace=world.workspace, name="flaky")
    view = services.saved_view_create(actor=world.member, name="Flaky", query="label:flaky")
    label.delete()
    response = member_client.get(view_url(world, view))
    assert response.status_code == 200
    assert "no longer works" in response.content.decode()


def test_view_page_queries_do_not_grow_with_tasks(
    member_client, world, team, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    view = services.saved_view_create(
        actor=world.member, name="Team", query=f"team:{team.key}", layout="list"
    )
    TaskFactory(team=team)
    for layout in ("list", "table", "board"):
        url = view_url(world, view, **{"as": layout})
        member_client.get(url)
        with CaptureQueriesContext(connection) as one:
            member_client.get(url)
        for _ in range(5):
            TaskFactory(team=team, assignee=world.member.user)
        with CaptureQueriesContext(connection) as many:
            member_client.get(url)
        assert len(many) == len(one), layout


# ---- API --------------------------------------------------------------------------------


def api_url(world: World, *parts: object) -> str:
    base = f"/api/v1/workspaces/{world.workspace.slug}/saved-views/"
    return base + "".join(f"{p}/" for p in parts)


def test_api_create_read_tasks_update_delete(member_api, world, team):
    TaskFactory(team=team, title="Mine", assignee=world.member.user)
    TaskFactory(team=team, title="Theirs")
    created = member_api.post(
        api_url(world),
        {"name": "Mine", "query": "assignee:me", "layout": "table"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    view_id = created.json()["id"]
    assert created.json()["can_change"] is True
    listed = member_api.get(api_url(world)).json()
    assert [v["name"] for v in listed] == ["Mine"]
    tasks = member_api.get(api_url(world, view_id, "tasks") + "?sort=-title").json()
    assert [t["title"] for t in tasks["results"]] == ["Mine"]
    assert (tasks["count"], tasks["next"], tasks["previous"]) == (1, None, None)
    stale = member_api.patch(
        api_url(world, view_id), {"name": "X", "version": 9}, content_type="application/json"
    )
    assert stale.status_code == 409
    patched = member_api.patch(
        api_url(world, view_id), {"name": "Renamed"}, content_type="application/json"
    )
    assert patched.json()["name"] == "Renamed"
    assert member_api.delete(api_url(world, view_id)).status_code == 204


def test_api_bad_input_is_a_clear_4xx(member_api, world):
    bad = member_api.post(
        api_url(world), {"name": "Bad", "query": "colour:red"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert "Unknown qualifier" in bad.content.decode()
    view = services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")
    paging = member_api.get(api_url(world, view.pk, "tasks") + "?page=abc")
    assert paging.status_code == 400


def test_api_viewer_cannot_share(viewer_api, world):
    response = viewer_api.post(
        api_url(world),
        {"name": "All", "query": "priority:high", "scope": "workspace"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_schema_describes_saved_views(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert any(p.endswith("/saved-views/{id}/tasks/") for p in paths)
