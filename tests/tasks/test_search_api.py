"""The search API: hits of every kind with their task, qualifiers refused with 400, keyset
pages through `next` and `previous`, and bad cursors and page sizes named in the 400.
The corpus is tests/tasks/search_corpus.py, shared with test_search.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tasks.search_query import QUALIFIERS
from tests.conftest import World
from tests.factories.work import TaskCommentFactory, TaskFactory
from tests.tasks.search_corpus import Corpus, build_corpus


@pytest.fixture
def corpus(world: World) -> Corpus:
    return build_corpus(world)


def api_url(world: World) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/search/"


def test_api_returns_comment_hits_with_their_task(member_api, world, corpus):
    response = member_api.get(api_url(world), {"q": "flaky checkout"})
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "kind": "comment",
            "id": corpus.comment.pk,
            "key": corpus.cleanup.key,
            "title": "Quarterly cleanup",
            "snippet": "The flaky checkout test fails on Mondays.",
            "custom_fields": {},
        }
    ]
    assert response.json()["next"] is None
    assert response["X-Has-More"] == "false"


def test_api_says_when_there_are_more_results(member_api, world, corpus):
    response = member_api.get(api_url(world), {"q": "ledger", "limit": "1"})
    assert [r["id"] for r in response.json()["results"]] == [corpus.ledger.pk]
    assert response["X-Has-More"] == "true"
    assert response.json()["next"] is not None


@pytest.mark.parametrize(
    ("q", "code"),
    [("owner:me", "invalid_query"), ("label:nope", "invalid_query"), ("team:SEC", "invalid_query")],
)
def test_api_refuses_unknown_qualifiers_and_values_with_400(member_api, world, corpus, q, code):
    response = member_api.get(api_url(world), {"q": q})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == code
    assert q.split(":")[0] in body["message"]
    assert body["fields"]["q"] == [body["message"]]


def test_api_never_returns_a_private_task_to_a_non_member(member_api, world, corpus):
    response = member_api.get(api_url(world), {"q": "audit acquisition"})
    assert response.json()["results"] == []


def test_api_schema_describes_the_qualifiers(admin_client):
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    assert schema is not None or "assignee:" in text
    for name in QUALIFIERS:
        assert f"`{name}:`" in text
    assert "X-Has-More" in text


# ---- API pages --------------------------------------------------------------------------------


def test_api_pages_follow_next_links_without_repeats_or_gaps(member_api, world):
    made = [TaskFactory(team=world.team, title=f"Ledger page {n}") for n in range(7)]
    for task in made[:3]:
        TaskCommentFactory(task=TaskFactory(team=world.team, title="Other"), body="ledger note")
        TaskCommentFactory(task=task, body="ledger again")  # the task itself matches: no hit
    seen: list[tuple[str, int]] = []
    url, params = api_url(world), {"q": "ledger", "page_size": "3"}
    pages = 0
    while url:
        body = member_api.get(url, params).json()
        seen += [(r["kind"], r["id"]) for r in body["results"]]
        url, params, pages = body["next"], {}, pages + 1
    everything = member_api.get(api_url(world), {"q": "ledger", "page_size": "50"}).json()
    assert seen == [(r["kind"], r["id"]) for r in everything["results"]]
    assert len(seen) == len(set(seen)) == 10  # 7 tasks and 3 comment hits
    assert pages == 4


def test_api_previous_link_returns_to_the_page_before(member_api, world):
    for n in range(5):
        TaskFactory(team=world.team, title=f"Ledger page {n}")
    first = member_api.get(api_url(world), {"q": "ledger", "page_size": "2"}).json()
    assert first["previous"] is None
    second = member_api.get(first["next"]).json()
    assert member_api.get(second["previous"]).json()["results"] == first["results"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "ledger", "cursor": "forged"}, "cursor"),
        ({"q": "ledger", "page_size": "0"}, "page_size"),
        ({"q": "ledger", "page_size": "51"}, "page_size"),
        ({"q": "ledger", "limit": "x"}, "limit"),
        ({"q": "ledger", "page_size": ""}, "page_size"),
        ({"q": "ledger", "cursor": "c" * 8193}, "cursor"),
        ({"q": "   "}, "q"),
        ({}, "q"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_api_refuses_bad_cursors_and_page_sizes_with_400(member_api, world, params, field):
    response = member_api.get(api_url(world), params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_api_page_size_refusal_says_what_is_allowed(member_api, world):
    response = member_api.get(api_url(world), {"q": "ledger", "page_size": "51"})
    assert response.json()["error"]["fields"] == {"page_size": ["Use a whole number from 1 to 50."]}


def test_api_accepts_limit_as_the_old_name_of_page_size(member_api, world):
    for n in range(3):
        TaskFactory(team=world.team, title=f"Ledger page {n}")
    by_limit = member_api.get(api_url(world), {"q": "ledger", "limit": "2"}).json()
    by_page_size = member_api.get(api_url(world), {"q": "ledger", "page_size": "2"}).json()
    assert len(by_limit["results"]) == 2
    assert by_limit["results"] == by_page_size["results"]
    assert "limit=2" in by_limit["next"]  # the next page keeps the name the client used


def test_the_longest_querys_cursor_fits_the_cursor_cap():
    from django.core import signing

    from tasks.api.search import CURSOR_MAX_LENGTH, CURSOR_SALT
    from tasks.search import MAX_DEPTH
    from tasks.search_query import MAX_QUERY_LENGTH

    # An emoji is escaped in 12 characters of JSON: the worst a valid `next` link carries.
    longest = signing.dumps({"q": "😀" * MAX_QUERY_LENGTH, "o": MAX_DEPTH}, salt=CURSOR_SALT)
    assert 3000 < len(longest) <= CURSOR_MAX_LENGTH


def test_api_refuses_a_cursor_issued_for_another_query(member_api, world):
    for n in range(3):
        TaskFactory(team=world.team, title=f"Ledger page {n}")
    first = member_api.get(api_url(world), {"q": "ledger", "page_size": "1"}).json()
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    response = member_api.get(api_url(world), {"q": "page", "cursor": cursor})
    assert response.status_code == 400
    assert "another query" in response.json()["error"]["fields"]["cursor"][0]
