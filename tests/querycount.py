"""Page query budgets: a page's query count must not grow with its data.

def test_members_page_queries_do_not_grow(owner_client, world):
    assert_flat_queries(owner_client, url, grow=lambda: MembershipFactory.create_batch(
        20, workspace=world.workspace))
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def count_queries(client: Client, url: str, **extra: object) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(captured), [q["sql"] for q in captured.captured_queries]


def assert_flat_queries(
    client: Client,
    url: str,
    *,
    grow: Callable[[], object],
    budget: int | None = None,
    **extra: object,
) -> int:
    """GET `url` (warm-up), count, call `grow()` to add data, warm up and count again: equal,
    within budget.

    Each size is counted warm: writes in `grow()` may empty a cache the page reads (a
    workspace's time zone, a "follows a standard" flag), which costs the first request after
    them one query that production's warm cache does not. A query per row shows on every
    request, warm or not, so the comparison still catches it."""
    # Warm-up: session, content types, caches. Twice: a process caches a bearer token's
    # authentication from its second request (alignment/api_auth_cache.py).
    client.get(url, **extra)
    client.get(url, **extra)
    small, small_sql = count_queries(client, url, **extra)
    grow()
    client.get(url, **extra)
    large, large_sql = count_queries(client, url, **extra)
    assert large == small, (
        f"{url}: {small} queries with little data, {large} with more. New queries:\n"
        + "\n".join(q for q in large_sql if q not in small_sql)[:4000]
    )
    if budget is not None:
        assert small <= budget, f"{url} runs {small} queries; the budget is {budget}."
    return small
