"""Filtering and sorting by custom fields: search qualifiers, the board and backlog filter box,
and card badges read in one query per page. Run on SQLite and (DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from alignment.models import Team
from customfields.models import FieldKind
from customfields.services import custom_field_update
from tasks.models import StateCategory
from tasks.search import workspace_search
from tasks.search_query import SearchQueryInvalid
from tests.factories import TeamFactory
from tests.factories.customfields import define, set_values
from tests.factories.work import SprintFactory, TaskFactory, state_of
from tests.querycount import count_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def corpus(world, customer, deal_size):
    """Four tasks with a customer, a deal size, a renewal date, an owner and regions."""
    define(world.admin, "Renewal", FieldKind.DATE)
    define(world.admin, "Owner", FieldKind.PERSON)
    define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])
    define(world.admin, "Note", FieldKind.TEXT)
    rows = [
        ("Alpha", "Acme", 500, date(2027, 1, 10), world.viewer, ["EU"], "urgent renewal"),
        ("Bravo", "Globex", 1500, date(2027, 2, 10), world.member, ["EU", "US"], ""),
        ("Charlie", "Acme", 2500, None, None, [], "later"),
        ("Delta", None, None, None, None, ["US"], ""),
    ]
    tasks = {}
    for title, who, size, renewal, owner, regions, note in rows:
        task = TaskFactory(team=world.team, title=f"{title} work")
        set_values(
            world.member,
            task,
            Customer=who,
            deal_size=size,
            Renewal=renewal,
            Owner=owner.user.email if owner else None,
            Regions=regions,
            Note=note,
        )
        tasks[title] = task
    return tasks


def titles(world, q):
    outcome = workspace_search(world.workspace, q, viewer=world.member)
    return [r.title.split()[0] for r in outcome.results]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("cf:Customer=Acme", {"Alpha", "Charlie"}),
        ('cf:"Customer=acme"', {"Alpha", "Charlie"}),
        ("cf:Customer!=Acme", {"Bravo", "Delta"}),
        ("cf:Customer=none", {"Delta"}),
        ('cf:"Deal size>=1500"', {"Bravo", "Charlie"}),
        ('cf:"Deal size<1000"', {"Alpha"}),
        ("cf:Renewal<2027-02-01", {"Alpha"}),
        ("cf:Owner=member@acme.example.com", {"Bravo"}),
        ("cf:Regions=US", {"Bravo", "Delta"}),
        ("cf:Note~renew", {"Alpha"}),
        ("cf:Customer=Acme cf:Customer=Globex", {"Alpha", "Bravo", "Charlie"}),
        ("cf:Customer=Acme work", {"Alpha", "Charlie"}),
    ],
)
def test_search_filters_by_custom_fields(world, corpus, q, expected):
    assert set(titles(world, q)) == expected


def test_search_sorts_by_a_number_with_empty_values_last(world, corpus):
    assert titles(world, 'sort:"Deal size"') == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert titles(world, 'sort:"-Deal size"') == ["Charlie", "Bravo", "Alpha", "Delta"]


def test_search_sorts_a_select_by_its_options_order(world, corpus):
    ordered = titles(world, "cf:Customer!=none sort:Customer")
    assert ordered[-1] == "Bravo"
    assert set(ordered[:2]) == {"Alpha", "Charlie"}


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("cf:Colour=red", "No custom field “Colour”."),
        ("cf:Customer", "needs a field, an operator and a value"),
        ("cf:Customer=Umbrella", "“Customer”: “Umbrella” is not an option."),
        ('cf:"Deal size>=lots"', "“Deal size”: “lots” is not a number."),
        ("cf:Customer>Acme", "“Customer”: “>” works on number and date fields."),
        ("sort:Colour", "No custom field “Colour” to sort by."),
    ],
)
def test_a_bad_custom_field_qualifier_is_refused_with_its_message(world, corpus, q, message):
    with pytest.raises(SearchQueryInvalid) as refused:
        workspace_search(world.workspace, q, viewer=world.member)
    assert message in refused.value.text


def test_a_private_teams_field_is_unknown_to_non_members(world, corpus):
    secret = TeamFactory(workspace=world.workspace, key="SEC", is_private=True)
    define(world.admin, "Codename", FieldKind.TEXT, team=secret)

    with pytest.raises(SearchQueryInvalid, match="No custom field “Codename”"):
        workspace_search(world.workspace, "cf:Codename=x", viewer=world.member)


def test_the_search_page_shows_a_bad_qualifiers_message(member_client, world, corpus):
    url = reverse("tasks:search", kwargs={"slug": world.workspace.slug})

    response = member_client.get(url, {"q": "cf:Customer=Umbrella"})

    assert response.status_code == 200
    assert "“Umbrella” is not an option." in response.content.decode()


# --- Board and backlog -----------------------------------------------------------------------


def card_keys(html: str) -> list[str]:
    return re.findall(r'id="task-([A-Z0-9]+-\d+)"', html)


@pytest.fixture
def sprint(world):
    return SprintFactory(team=world.team, name="Sprint 7", status="active")


def board_url(world, team: Team) -> str:
    return reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": team.pk})


def test_the_board_filters_by_a_custom_field(member_client, world, corpus, sprint):
    for task in corpus.values():
        task.sprint = sprint
        task.save(update_fields=["sprint"])

    response = member_client.get(board_url(world, world.team), {"q": "cf:Customer=Acme"}, **HTMX)

    assert response.status_code == 200
    assert set(card_keys(response.content.decode())) == {
        corpus["Alpha"].key,
        corpus["Charlie"].key,
    }


def test_a_bad_board_filter_is_400_with_its_message(member_client, world, corpus, sprint):
    response = member_client.get(board_url(world, world.team), {"q": "cf:Customer=Umbrella"})

    assert response.status_code == 400
    assert "“Umbrella” is not an option." in response.content.decode()


def test_the_backlog_filters_and_sorts_by_a_custom_field(member_client, world, corpus):
    url = reverse("tasks:backlog", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk})

    response = member_client.get(url, {"q": 'cf:"Deal size>0" sort:"-Deal size"'}, **HTMX)

    assert response.status_code == 200
    keys = card_keys(response.content.decode())
    assert keys == [corpus["Charlie"].key, corpus["Bravo"].key, corpus["Alpha"].key]


def test_cards_show_fields_marked_for_cards(member_client, world, corpus, customer, sprint):
    custom_field_update(actor=world.admin, field=customer, show_on_cards=True)
    corpus["Alpha"].sprint = sprint
    corpus["Alpha"].save(update_fields=["sprint"])

    html = member_client.get(board_url(world, world.team), **HTMX).content.decode()

    assert 'class="badge neutral cf-badge" title="Customer: Acme">Acme</span>' in html
    assert "Deal size:" not in html  # not marked for cards


def test_card_badges_cost_the_same_queries_for_many_cards(member_client, world, customer, sprint):
    custom_field_update(actor=world.admin, field=customer, show_on_cards=True)
    todo = state_of(world.team, StateCategory.UNSTARTED)

    def add_cards(n: int) -> None:
        for i in range(n):
            task = TaskFactory(team=world.team, sprint=sprint, state=todo, title=f"Card {i}")
            set_values(world.member, task, Customer="Globex" if i % 2 else "Acme")

    add_cards(2)
    count_queries(member_client, board_url(world, world.team), **HTMX)  # warm caches
    few, _ = count_queries(member_client, board_url(world, world.team), **HTMX)
    add_cards(10)
    many, _ = count_queries(member_client, board_url(world, world.team), **HTMX)

    assert many == few
