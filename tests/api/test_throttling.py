"""Rate limits per token, per anonymous address and per address (alignment.api_throttling)."""

from __future__ import annotations

import pytest
from django.test import Client

from alignment.api_throttling import parse_rate
from tests.conftest import api_client_for, forget_cached
from tests.services import require_redis

UNLIMITED = {"token": "", "anon": "", "address": ""}


def teams_url(world) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/teams/"


def test_the_request_over_the_token_limit_gets_429_with_retry_after(settings, world, member_api):
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "2/min"}
    statuses = [member_api.get(teams_url(world)).status_code for _ in range(2)]

    response = member_api.get(teams_url(world))

    assert statuses == [200, 200]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_429_carries_the_standard_error_body_with_code_rate_limited(settings, world, member_api):
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "1/min"}
    member_api.get(teams_url(world))

    body = member_api.get(teams_url(world)).json()

    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"].startswith("Too many requests from this API token")
    assert set(body["error"]) == {"code", "message", "fields", "details"}


def test_each_token_has_its_own_count(settings, world, member_api):
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "1/min"}
    other = api_client_for(world.admin)
    member_api.get(teams_url(world))

    response = other.get(teams_url(world))

    assert response.status_code == 200


def test_anonymous_requests_are_limited_per_address(settings, client):
    settings.API_RATE_LIMITS = {**UNLIMITED, "anon": "1/min"}
    first = client.get("/api/schema/", REMOTE_ADDR="203.0.113.7")

    second = client.get("/api/schema/", REMOTE_ADDR="203.0.113.7")
    elsewhere = client.get("/api/schema/", REMOTE_ADDR="203.0.113.8")

    assert (first.status_code, second.status_code, elsewhere.status_code) == (200, 429, 200)


def test_requests_with_a_bad_token_count_against_the_address(settings, world, world_b):
    settings.API_RATE_LIMITS = {**UNLIMITED, "anon": "2/min"}
    guesser = Client(HTTP_AUTHORIZATION="Bearer aln_guessed")
    statuses = [guesser.get(teams_url(world_b)).status_code for _ in range(2)]

    response = guesser.get(teams_url(world_b))

    assert statuses == [401, 401]
    assert response.status_code == 429


def test_requests_refused_for_permission_still_count(settings, world, world_b, member_api):
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "1/min"}
    member_api.get(teams_url(world_b))  # another workspace: 404

    response = member_api.get(teams_url(world))

    assert response.status_code == 429


def test_the_address_limit_holds_across_tokens(settings, world):
    settings.API_RATE_LIMITS = {**UNLIMITED, "address": "2/min"}
    clients = [api_client_for(world.member), api_client_for(world.admin)]
    clients[0].get(teams_url(world))
    clients[1].get(teams_url(world))

    response = clients[1].get(teams_url(world))

    assert response.status_code == 429


def test_a_new_window_starts_a_new_count(settings, world, member_api, monkeypatch):
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "1/min"}
    now = [1_000_040.0]  # 20 s into a minute window
    monkeypatch.setattr("alignment.api_throttling.time.time", lambda: now[0])
    member_api.get(teams_url(world))
    refused = member_api.get(teams_url(world))

    now[0] += 60
    allowed = member_api.get(teams_url(world))

    assert (refused.status_code, refused["Retry-After"]) == (429, "40")
    assert allowed.status_code == 200


def test_an_empty_limit_means_no_limit(settings, world, member_api):
    settings.API_RATE_LIMITS = UNLIMITED

    statuses = {member_api.get(teams_url(world)).status_code for _ in range(5)}

    assert statuses == {200}


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("600/min", (600, 60)), ("60/m", (60, 60)), ("5/second", (5, 1)), ("100/5min", (100, 300))],
)
def test_rates_parse_to_count_and_seconds(rate, parsed):
    assert parse_rate(rate) == parsed


def test_a_malformed_rate_names_the_expected_shape():
    with pytest.raises(ValueError, match="is not like '600/min'"):
        parse_rate("lots")


def test_the_limits_are_counted_in_a_shared_redis_cache(settings, world, member_api):
    redis_url = require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"throttle-test-{world.workspace.pk}-{id(member_api)}",
        }
    }
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "3/min"}
    try:
        statuses = [member_api.get(teams_url(world)).status_code for _ in range(4)]
    finally:
        forget_cached()

    assert statuses == [200, 200, 200, 429]


def test_every_limit_of_a_request_is_counted_in_one_redis_round_trip(
    settings, world, member_api, monkeypatch
):
    import redis

    redis_url = require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "alignment.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"throttle-trips-{world.workspace.pk}-{id(member_api)}",
        }
    }
    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "3/min", "address": "100/min"}
    trips: list[str] = []
    single, piped = redis.Redis.execute_command, redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda self, *a, **k: trips.append(str(a[0])) or single(self, *a, **k),
    )
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **k: trips.append("pipeline") or piped(self, *a, **k),
    )
    per_request: list[list[str]] = []
    try:
        statuses = []
        for _ in range(4):
            trips.clear()
            statuses.append(member_api.get(teams_url(world)).status_code)
            per_request.append(list(trips))
    finally:
        monkeypatch.undo()
        forget_cached()

    assert statuses == [200, 200, 200, 429]
    # One pipeline a request: the limits, and from the second request on (the process knows
    # the token's ids) the token's cached authentication with them (alignment.api_auth_cache):
    # stored on the second request, then nothing else. A warm request is one round trip.
    assert [trips.count("pipeline") for trips in per_request] == [1, 1, 1, 1]
    assert per_request[1] == ["pipeline", "SET"]
    assert per_request[2:] == [["pipeline"]] * 2


def test_a_refused_token_counts_per_address_not_per_token(settings, world, monkeypatch):
    from django.core.cache import cache

    from alignment.services import api_token_create, api_token_revoke

    settings.API_RATE_LIMITS = {**UNLIMITED, "token": "5/min", "anon": "1/min"}
    monkeypatch.setattr("alignment.api_throttling.time.time", lambda: 1_000_040.0)
    token, raw = api_token_create(actor=world.member, name="CI", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    counter = f"ratelimit:token:t{token.pk}:60:{1_000_040 // 60}"
    assert client.get(teams_url(world)).status_code == 200  # the process learns its ids
    api_token_revoke(actor=world.member, token=token)

    refused = [client.get(teams_url(world)).status_code for _ in range(2)]

    assert refused == [401, 429]  # counted as anonymous, per address
    assert cache.get(counter) == 1  # the token's count taken back on each refusal
