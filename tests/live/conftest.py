"""Socket tests: Channels' WebsocketCommunicator against the real ASGI application.

The consumer reads the database from worker threads (database_sync_to_async), which close
stale connections as they go, so these tests are transactional (committed rows, flushed
after). Each test gets a fresh channel layer: the in-memory layer's queues belong to the
event loop that made them, and every test runs its own loop.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from alignment.models import Membership
from tests.conftest import World, build_world, client_for
from tests.factories import ApiTokenFactory

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def _no_foreign_event_loop() -> Iterator[None]:
    """Hide an event loop another test left marked as running in this thread.

    Playwright's sync API (the session-scoped browser of tests/browser) keeps its loop set as
    this thread's running loop for the rest of the session, although it only runs while a
    browser call is made. On an xdist worker that ran browser tests first, `async_to_sync`
    would refuse to start (and `live.broadcast.send` would skip every send). Nothing runs on
    that loop while a socket test runs, so it is unset for the test and put back after.
    """
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)


@pytest.fixture(autouse=True)
def _fresh_channel_layer(settings) -> Iterator[None]:
    from live import presence

    channel_layers.backends.clear()
    presence.aggregator = presence.Aggregator()  # this process's rosters, per test
    settings.LIVE_PRESENCE_COALESCE_SECONDS = 0.05
    yield
    channel_layers.backends.clear()


@pytest.fixture
def world(transactional_db) -> World:
    return build_world("acme")


@pytest.fixture
def world_b(transactional_db) -> World:
    return build_world("globex")


def session_headers(membership: Membership, *, origin: bytes | None = ORIGIN[1]) -> list:
    client = client_for(membership.user)
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    headers = [(b"cookie", cookie.encode())]
    if origin is not None:
        headers.append((b"origin", origin))
    return headers


def token_headers(membership: Membership, scope: str = "write") -> list:
    raw = f"aln_{uuid.uuid4().hex}"
    ApiTokenFactory(raw=raw, workspace=membership.workspace, user=membership.user, scope=scope)
    return [(b"authorization", f"Bearer {raw}".encode())]


def socket(slug: str, headers: list) -> WebsocketCommunicator:
    from alignment.asgi import application

    return WebsocketCommunicator(application, f"/ws/w/{slug}/", headers=headers)


async def opened(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    """The close frame the server sent (skipping any messages before it); then, as an ASGI
    server does, the consumer is told the socket is gone and runs to its end. Left running,
    it was cancelled when `run`'s event loop shut down, and a cancellation that waited on a
    database call hung a whole CI run."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            await communicator.send_input(
                {"type": "websocket.disconnect", "code": output.get("code", 1000)}
            )
            await communicator.wait(timeout)
            return output


async def send(communicator: WebsocketCommunicator, **frame: Any) -> None:
    await communicator.send_to(text_data=json.dumps(frame))


async def next_of(communicator: WebsocketCommunicator, kind: str, timeout: float = 20) -> dict:
    """The next server message of type `kind`, skipping others (presence, acks)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        message = await communicator.receive_json_from(timeout=max(left, 0.01))
        if message.get("type") == kind:
            return message


async def subscribed(communicator: WebsocketCommunicator, topic: str) -> dict:
    await send(communicator, op="subscribe", topic=topic)
    return await next_of(communicator, "subscribed")


def run(test: Callable[[], Awaitable[None]]) -> None:
    """Run an async test body from a sync test (pytest-asyncio is not used here)."""
    async_to_sync(test)()


def stage_board(world: World) -> dict[str, Any]:
    """An active sprint on the world's team with three tasks in its first open column."""
    from tasks.models import StateCategory
    from tests.factories.work import SprintFactory, TaskFactory, state_of

    sprint = SprintFactory(team=world.team, status="active")
    todo = state_of(world.team, StateCategory.UNSTARTED)
    doing = state_of(world.team, StateCategory.STARTED)
    tasks = [TaskFactory(team=world.team, sprint=sprint, state=todo) for _ in range(3)]
    return {"sprint": sprint, "todo": todo, "doing": doing, "tasks": tasks}


async def drain(communicator: WebsocketCommunicator, quiet: float = 0.2) -> list[dict]:
    """Read what the socket has been sent until it is quiet (acks, the first presence)."""
    seen = []
    while not await communicator.receive_nothing(timeout=quiet):
        seen.append(await communicator.receive_json_from())
    return seen
