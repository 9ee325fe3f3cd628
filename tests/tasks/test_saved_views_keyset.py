"""The saved view's table and list page by keyset cursors, for every sort either way: the
pages, walked forwards or backwards, are exactly the sorted tasks (ties, empty cells last),
cursors are bound to their view and sort, and a page costs the same queries at any size."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import keyset
from alignment.models import Team
from customfields.models import FieldKind
from tasks.models import Priority
from tasks.saved_views import selectors, services
from tasks.saved_views.models import SavedView
from tests.conftest import World
from tests.factories.core import TeamFactory
from tests.factories.customfields import define, set_values
from tests.factories.work import TaskFactory, state_of
from tests.querycount import assert_flat_queries

SORTS = [(name, down) for name in selectors.SORTS for down in (False, True)]


def corpus(world: World, team: Team) -> SavedView:
    """Tasks with ties and empty cells in every sortable column, in two teams."""
    other = TeamFactory(workspace=world.workspace, key="OPS")
    today = timezone.localdate()
    people = [world.member.user, world.admin.user, None]
    for n in range(11):
        TaskFactory(
            team=team if n % 3 else other,
            title=["Alpha", "beta", "Alpha", "gamma"][n % 4],
            state=state_of(team if n % 3 else other, "started" if n % 2 else "backlog"),
            state_category="started" if n % 2 else "backlog",
            assignee=people[n % 3],
            priority=[Priority.HIGH, Priority.LOW, Priority.NONE][n % 3],
            estimate=[Decimal("3"), None, Decimal("0.5"), Decimal("3")][n % 4],
            due_date=[today, None, today + timedelta(days=2)][n % 3],
        )
    return services.saved_view_create(
        actor=world.member, name="All", query=f"team:{team.key} team:{other.key}"
    )


def walk(view: SavedView, world: World, sort: str, down: bool, size: int) -> list[SavedView]:
    tasks = selectors.view_tasks(view, viewer=world.member)
    page = selectors.table_page(tasks, view=view, sort=sort, descending=down, size=size)
    seen, starts = list(page.tasks), [page.first_row]
    while page.next_cursor:
        page = selectors.table_page(
            tasks, view=view, sort=sort, descending=down, size=size, cursor=page.next_cursor
        )
        seen += page.tasks
        starts.append(page.first_row)
    assert starts == list(range(1, len(seen) + 1, size))
    back = list(page.tasks)
    while page.previous_cursor:
        page = selectors.table_page(
            tasks, view=view, sort=sort, descending=down, size=size, cursor=page.previous_cursor
        )
        back = page.tasks + back
    assert page.start == 0
    assert back == seen, "walking back gives the same rows"
    return seen


@pytest.fixture
def any_priority_view(world: World, team: Team) -> SavedView:
    return corpus(world, team)


@pytest.mark.parametrize(("sort", "down"), SORTS, ids=[f"{'-' if d else ''}{s}" for s, d in SORTS])
def test_pages_walk_the_whole_sorted_table_either_way(world, any_priority_view, sort, down):
    tasks = selectors.view_tasks(any_priority_view, viewer=world.member)
    expected = list(selectors.sorted_tasks(tasks, sort, down))
    assert len(expected) == 11
    for size in (1, 3, 11):
        assert walk(any_priority_view, world, sort, down, size) == expected


def test_empty_cells_come_last_whichever_way_the_table_is_sorted(world, any_priority_view):
    for down in (False, True):
        rows = walk(any_priority_view, world, "due", down, 4)
        dates = [t.due_date for t in rows]
        assert dates[-4:] == [None] * 4
        assert None not in dates[:-4]
        assert dates[:-4] == sorted(dates[:-4], reverse=down)


def test_a_task_added_above_the_page_neither_repeats_nor_skips_a_row(world, team):
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    for n in range(4):
        TaskFactory(team=team, title=f"t{n}")
    tasks = selectors.view_tasks(view, viewer=world.member)
    first = selectors.table_page(tasks, view=view, sort="title", descending=False, size=2)
    TaskFactory(team=team, title="a new one")  # sorts before every row shown
    second = selectors.table_page(
        tasks, view=view, sort="title", descending=False, size=2, cursor=first.next_cursor
    )
    assert [t.title for t in first.tasks + second.tasks] == ["t0", "t1", "t2", "t3"]


def test_a_cursor_of_another_sort_or_view_or_a_forged_one_is_refused(world, team):
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    other = services.saved_view_create(actor=world.member, name="U", query=f"team:{team.key}")
    TaskFactory.create_batch(3, team=team)
    tasks = selectors.view_tasks(view, viewer=world.member)
    cursor = selectors.table_page(tasks, view=view, sort="due", descending=False, size=1)
    assert cursor.next_cursor
    for kwargs in (
        {"view": view, "sort": "due", "descending": True},
        {"view": view, "sort": "title", "descending": False},
        {"view": other, "sort": "due", "descending": False},
    ):
        with pytest.raises(keyset.BadCursor):
            selectors.table_page(tasks, cursor=cursor.next_cursor, size=1, **kwargs)
    with pytest.raises(keyset.BadCursor):
        selectors.table_page(tasks, view=view, sort="due", descending=False, cursor="x:y:z")


# ---- the page and the API -----------------------------------------------------------------


def page_url(world: World, view: SavedView, **query: str) -> str:
    url = reverse(
        "tasks:saved_view", kwargs={"slug": world.workspace.slug, "saved_view_id": view.pk}
    )
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_the_table_links_next_previous_and_first_pages(member_client, world, team):
    view = services.saved_view_create(
        actor=world.member, name="T", query=f"team:{team.key}", layout="table"
    )
    for n in range(selectors.PAGE_SIZE + 3):
        TaskFactory(team=team, title=f"task {n:03}")
    first = member_client.get(page_url(world, view, sort="title")).content.decode()
    assert f"1–{selectors.PAGE_SIZE} of {selectors.PAGE_SIZE + 3} tasks" in first
    assert 'rel="prev"' not in first
    next_href = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = member_client.get(page_url(world, view) + next_href.replace("&amp;", "&")[1:])
    body = second.content.decode()
    assert second.status_code == 200
    assert f"{selectors.PAGE_SIZE + 1}–{selectors.PAGE_SIZE + 3} of" in body
    assert "task 050" in body
    assert "task 049" not in body
    assert 'rel="prev"' in body
    assert ">First</a>" in body
    bad = member_client.get(page_url(world, view, sort="-title", cursor="forged"))
    assert bad.status_code == 400


def test_a_later_table_page_costs_the_same_queries_at_two_sizes(member_client, world, team):
    view = services.saved_view_create(
        actor=world.member, name="T", query=f"team:{team.key}", layout="table"
    )
    for n in range(4):
        TaskFactory(team=team, assignee=world.member.user, title=f"first {n}")
    tasks = selectors.view_tasks(view, viewer=world.member)
    first = selectors.table_page(tasks, view=view, sort="assignee", descending=True, size=50)
    cursor = selectors.table_page(
        tasks, view=view, sort="assignee", descending=True, size=2, cursor=""
    ).next_cursor
    assert first.total == 4
    assert cursor
    for layout in ("table", "list"):
        url = page_url(world, view, **{"as": layout, "sort": "-assignee", "cursor": cursor})
        # The cursor was made with size 2; the page shows PAGE_SIZE rows after its row.
        assert_flat_queries(
            member_client,
            url,
            grow=lambda: [
                TaskFactory(team=team, assignee=world.admin.user, title=f"more {n}")
                for n in range(20)
            ],
        )


def api_url(world: World, view: SavedView) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/saved-views/{view.pk}/tasks/"


def test_api_pages_follow_next_and_previous_links(member_api, world, team):
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    for n in range(5):
        TaskFactory(team=team, title=f"task {n}")
    answer = member_api.get(api_url(world, view) + "?sort=-title&page_size=2").json()
    titles = [t["title"] for t in answer["results"]]
    assert (answer["count"], answer["previous"]) == (5, None)
    while answer["next"]:
        answer = member_api.get(answer["next"]).json()
        titles += [t["title"] for t in answer["results"]]
    assert titles == [f"task {n}" for n in (4, 3, 2, 1, 0)]
    back = member_api.get(answer["previous"]).json()
    assert [t["title"] for t in back["results"]] == ["task 2", "task 1"]


def test_api_paging_refusals_are_clear_json(member_api, world, team):
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    TaskFactory.create_batch(3, team=team)
    answer = member_api.get(api_url(world, view) + "?sort=due&page_size=1").json()
    cursor = parse_qs(urlparse(answer["next"]).query)["cursor"][0]
    for query, field in (
        ({"sort": "-due", "cursor": cursor}, "cursor"),
        ({"cursor": "forged"}, "cursor"),
        ({"page": "2"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"sort": "mood"}, "sort"),
        ({"sort": "--due"}, "sort"),
        ({"cursor": "c" * 8193}, "cursor"),
    ):
        response = member_api.get(api_url(world, view), query)
        assert response.status_code == 400, query
        assert field in response.json()["error"]["fields"]


def test_the_longest_cursor_fits_the_cursor_cap():
    from tasks.saved_views.api import CURSOR_MAX_LENGTH

    # A title of 255 characters outside the BMP (12 characters of JSON each), uncompressible.
    title = "".join(chr(0x1F600 + n) for n in range(255))
    longest = keyset.encode(
        salt=selectors.CURSOR_SALT,
        bound={"view": 2**53, "sort": "-title"},
        position=[title, 2**53],
        forward=False,
        index=10**9,
    )
    assert len(longest) <= CURSOR_MAX_LENGTH


def test_api_query_refusals_say_what_is_allowed(member_api, world, team):
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    size = member_api.get(api_url(world, view), {"page_size": "0"}).json()["error"]["fields"]
    sort = member_api.get(api_url(world, view), {"sort": "mood"}).json()["error"]["fields"]
    assert size == {"page_size": ["Use a whole number from 1 to 200."]}
    assert sort["sort"][0].startswith("Use one of: key, -key, title, -title, ")


def test_api_sorts_by_any_column_either_way(member_api, world, team):
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")
    for title in ("b", "a", "c"):
        TaskFactory(team=team, title=title)
    for sort in selectors.SORTS:
        for value in (sort, f"-{sort}"):
            assert member_api.get(api_url(world, view), {"sort": value}).status_code == 200
    down = member_api.get(api_url(world, view), {"sort": "-title"}).json()["results"]
    assert [t["title"] for t in down] == ["c", "b", "a"]


def test_every_table_sort_has_a_keyset_ordering_ended_by_the_id():
    for sort in selectors.SORTS:
        for down in (False, True):
            columns = selectors.columns_for(sort, down)
            assert columns[-1] == keyset.Column("pk", down)


def test_the_api_page_costs_the_same_queries_with_custom_values_at_two_sizes(
    member_api, world, team
):
    """Each task carries its custom values: read for the page at once, not per task."""
    define(world.admin, "Customer", FieldKind.TEXT)
    view = services.saved_view_create(actor=world.member, name="T", query=f"team:{team.key}")

    def grow() -> None:
        for n in range(6):
            task = TaskFactory(team=team, title=f"valued {n}")
            set_values(world.member, task, Customer=f"acme {n}")

    grow()
    assert_flat_queries(member_api, api_url(world, view), grow=grow)
    results = member_api.get(api_url(world, view)).json()["results"]
    assert {t["custom_fields"]["Customer"] for t in results} >= {"acme 0", "acme 5"}
