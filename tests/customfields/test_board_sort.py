"""A `sort:` on the board: each column in the field's order (one tasks query still), drag
reordering within a column off with a visible note. SQLite and (DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from customfields.selectors import sort_key
from tasks import board_selectors
from tasks.models import StateCategory
from tests.factories.customfields import set_values
from tests.factories.work import SprintFactory, TaskFactory, state_of
from tests.querycount import count_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


def card_keys(html: str) -> list[str]:
    return re.findall(r'id="task-([A-Z0-9]+-\d+)"', html)


@pytest.fixture
def sprint(world):
    return SprintFactory(team=world.team, name="Sprint 7", status="active")


@pytest.fixture
def cards(world, sprint, deal_size):
    """Four cards in rank order A, B, C, D; deal sizes 500, 2500, none, 1500."""
    todo = state_of(world.team, StateCategory.UNSTARTED)
    made = {}
    for title, size in (("A", 500), ("B", 2500), ("C", None), ("D", 1500)):
        task = TaskFactory(team=world.team, sprint=sprint, state=todo, title=f"{title} card")
        set_values(world.member, task, deal_size=size)
        made[title] = task
    return made


def board_url(world) -> str:
    return reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk})


def keys_of(cards, titles: str) -> list[str]:
    return [cards[t].key for t in titles]


def test_without_a_sort_columns_keep_rank_order(member_client, world, cards):
    html = member_client.get(board_url(world), **HTMX).content.decode()

    assert card_keys(html) == keys_of(cards, "ABCD")
    assert "data-sorted" not in html


@pytest.mark.parametrize(
    ("q", "order"), [('sort:"Deal size"', "ADBC"), ('sort:"-Deal size"', "BDAC")]
)
def test_a_sort_orders_each_column_with_empty_values_last(member_client, world, cards, q, order):
    response = member_client.get(board_url(world), {"q": q}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert card_keys(html) == keys_of(cards, order)
    assert "data-sorted" in html
    assert "cannot be reordered within a column" in html


def test_an_unknown_sort_field_is_a_400(member_client, world, cards):
    response = member_client.get(board_url(world), {"q": "sort:Colour"})

    assert response.status_code == 400
    assert "No custom field “Colour” to sort by." in response.content.decode()


def test_a_sorted_column_has_no_rank_cursor(world, cards, sprint, deal_size):
    board = board_selectors.sprint_board(
        world.workspace,
        world.team,
        sprint,
        per_column=2,
        order=[sort_key(deal_size, descending=True)],
    )

    [column] = [c for c in board.columns if c.tasks]
    assert [t.title for t in column.tasks] == ["B card", "D card"]
    assert (column.total, column.remaining, column.more) == (4, 2, None)
    assert board.is_sorted


def test_a_sorted_board_costs_the_same_queries_for_many_cards(member_client, world, cards, sprint):
    todo = state_of(world.team, StateCategory.UNSTARTED)
    url = board_url(world)
    sorted_url = url + "?" + urlencode({"q": 'sort:"-Deal size"'})
    count_queries(member_client, sorted_url, **HTMX)  # warm caches
    few, _ = count_queries(member_client, sorted_url, **HTMX)
    plain, _ = count_queries(member_client, url, **HTMX)
    for i in range(12):
        task = TaskFactory(team=world.team, sprint=sprint, state=todo, title=f"More {i}")
        set_values(world.member, task, deal_size=i)
    many, _ = count_queries(member_client, sorted_url, **HTMX)

    assert many == few
    # The field and its options, read once to build the sort (as a `cf:` filter does).
    assert few <= plain + 2
