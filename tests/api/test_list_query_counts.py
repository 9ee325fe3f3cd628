"""Every API list endpoint runs as many queries for a workspace with one row of each kind as
for one with two (tests/querycount.py): a query per row shows as a difference.

The endpoints come from the URL resolver (tests/matrix.py), so a new list endpoint is
counted here the day it is added; its URL kwargs are filled the way the tenancy matrix fills
them (tests/matrix_world.py)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from alignment.models import Role
from tests.conftest import World, api_client_for, build_world
from tests.factories import ApiTokenFactory, MembershipFactory
from tests.matrix import Route, workspace_routes
from tests.matrix_world import MODEL_SAMPLES, WorldObjects
from tests.querycount import assert_flat_queries


def list_routes() -> list[Route]:
    """The API routes whose GET is a list: a viewset's `list` action."""
    return [
        route
        for route in workspace_routes()
        if route.kind == "api" and route.actions.get("GET") == "list"
    ]


def more_of_everything(world: World, first: WorldObjects) -> None:
    """Another row of every model in `world`'s workspace: one hung off the first sample's own
    parents (so a list nested under the first task grows too) and one of a whole new sample.
    Rows a workspace has once (its assistant settings, one integration a provider) stay one."""
    for model in MODEL_SAMPLES:
        kept = first._objects.pop(model)
        try:
            with transaction.atomic():
                first[model]
        except IntegrityError:
            pass
        first._objects[model] = kept  # the URL's kwargs keep naming the first sample
    second = WorldObjects(world)
    for model in MODEL_SAMPLES:
        built = dict(second._objects)
        try:
            with transaction.atomic():
                second[model]
        except IntegrityError:
            # Forget what this attempt built: its rows were rolled back with it.
            second._objects = built
    # The samples reuse the world's people; these lists count people and the caller's tokens.
    MembershipFactory(workspace=world.workspace)
    ApiTokenFactory(workspace=world.workspace, user=world.owner.user)


def listed(client: Client, url: str) -> int:
    """How many rows the list answers (a page's `results`, or the whole list)."""
    body = client.get(url, HTTP_ACCEPT="application/json").json()
    return len(body["results"] if isinstance(body, dict) else body)


def test_list_endpoints_are_found() -> None:
    assert len(list_routes()) >= 20


@pytest.mark.parametrize("route", list_routes(), ids=str)
def test_a_list_runs_the_same_queries_for_more_rows(db, route: Route) -> None:
    world = build_world("counted")
    objects = WorldObjects.build(world)
    url = route.url(world.workspace.slug, objects)
    # The owner sees every row, private teams included, so every row is serialized.
    client = api_client_for(world.membership(Role.OWNER), scope="read")
    before = listed(client, url)
    # A second sample of every model in the same workspace: two rows of each kind to list.
    assert_flat_queries(
        client, url, grow=lambda: more_of_everything(world, objects), HTTP_ACCEPT="application/json"
    )
    # The comparison means something only if the list did grow.
    assert listed(client, url) > before, f"{url} lists no more rows after more_of_everything"
