"""A bearer token's authentication is cached between requests (alignment.api_auth_cache), and
every change to the token, its user, workspace or membership is seen by the next request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alignment import api_auth_cache
from alignment.models import ApiToken, Membership, Role
from alignment.services import api_token_create, api_token_revoke, membership_remove
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(world: World) -> tuple[Client, ApiToken]:
    token, raw = api_token_create(actor=world.member, name="CI", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), token


def me(client: Client) -> int:
    return client.get("/api/v1/me/").status_code


def teams_url(world: World) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/teams/"


def warm(client: Client, world: World) -> None:
    """The process learns the token's ids, then caches it (api_auth_cache.Lookup.remember)."""
    for _ in range(2):
        assert client.get(teams_url(world)).status_code == 200


def queries(client: Client, url: str) -> tuple[int, list[str], int]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return len(captured), [q["sql"] for q in captured.captured_queries], status


def test_a_cached_token_costs_no_query(bearer, world):
    client, token = bearer
    cold, cold_sql, _ = queries(client, teams_url(world))
    warm(client, world)

    count, sql, status = queries(client, teams_url(world))

    assert status == 200
    assert any("alignment_apitoken" in q for q in cold_sql)
    assert not any("alignment_apitoken" in q for q in sql)
    assert count == len([q for q in cold_sql if "alignment_apitoken" not in q])


def test_the_cached_token_is_the_same_token(bearer, world):
    client, token = bearer
    warm(client, world)
    found = api_auth_cache.Lookup(token.token_hash).cached()

    assert found is not None
    assert (found.pk, found.scope, found.workspace.slug, found.user.email) == (
        token.pk,
        token.scope,
        world.workspace.slug,
        world.member.user.email,
    )
    assert found.membership.role == world.member.role  # type: ignore[attr-defined]
    body = client.get("/api/v1/me/").json()
    assert body["token"]["name"] == "CI"


def change_revoke(world: World, token: ApiToken) -> None:
    api_token_revoke(actor=world.member, token=token)


def change_delete(world: World, token: ApiToken) -> None:
    ApiToken.objects.get(pk=token.pk).delete()


def change_deactivate(world: World, token: ApiToken) -> None:
    user = world.member.user
    user.is_active = False
    user.save(update_fields=["is_active"])


def change_remove_member(world: World, token: ApiToken) -> None:
    # Revokes the tokens with a bulk update (no signal): the membership's deletion counts.
    membership_remove(actor=world.owner, membership=world.member)


def change_delete_membership(world: World, token: ApiToken) -> None:
    Membership.objects.get(pk=world.member.pk).delete()  # the token itself stays active


def change_rename_workspace(world: World, token: ApiToken) -> None:
    world.workspace.slug = "renamed"
    world.workspace.save(update_fields=["slug"])


@pytest.mark.parametrize(
    "change",
    [
        change_revoke,
        change_delete,
        change_deactivate,
        change_remove_member,
        change_delete_membership,
        change_rename_workspace,
    ],
)
def test_the_next_request_sees_the_change(
    bearer, world, change: Callable[[World, ApiToken], None]
) -> None:
    client, token = bearer
    old_url = teams_url(world)
    warm(client, world)

    change(world, ApiToken.objects.get(pk=token.pk))

    assert client.get(old_url).status_code in (401, 404)


def test_a_role_change_counts_from_the_next_request(bearer, world):
    client, token = bearer
    warm(client, world)
    membership = Membership.objects.get(pk=world.member.pk)
    membership.role = Role.VIEWER
    membership.save(update_fields=["role"])

    assert api_auth_cache.Lookup(token.token_hash).cached() is None
    warm(client, world)
    found = api_auth_cache.Lookup(token.token_hash).cached()
    assert found is not None
    assert found.membership.role == Role.VIEWER  # type: ignore[attr-defined]


def test_stale_rows_read_during_a_change_are_never_used(bearer, world):
    """A request that read the database before a change committed stored its rows under the
    counters it read first; the change bumped them since, so nobody uses that entry."""
    client, token = bearer
    warm(client, world)
    lookup = api_auth_cache.Lookup(token.token_hash)  # counters read before the change
    old = ApiToken.objects.select_related("user", "workspace").get(pk=token.pk)
    old.membership = world.member  # type: ignore[attr-defined]

    api_token_revoke(actor=world.member, token=ApiToken.objects.get(pk=token.pk))
    lookup.remember(old)  # the slow request writes what it read before the revocation

    assert api_auth_cache.Lookup(token.token_hash).cached() is None
    assert me(client) == 401


def test_an_expired_token_is_refused_from_the_cache(bearer, world):
    client, token = bearer
    warm(client, world)
    assert token.expires_at is not None

    with time_machine.travel(token.expires_at + timedelta(seconds=1)):
        assert client.get(teams_url(world)).status_code == 401
