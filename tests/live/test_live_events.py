"""Committed changes reach the sockets that follow them: cards, tasks, the bell, dashboards,
presence; with the in-memory layer and with Redis (as production runs)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from integrations.notifications.services import forget_unread_count
from tasks import services
from tests.conftest import World
from tests.factories.work import SprintFactory
from tests.live.conftest import (
    drain,
    next_of,
    opened,
    run,
    session_headers,
    socket,
    stage_board,
    subscribed,
)
from tests.services import require_redis


def test_a_card_moved_by_one_person_reaches_another_on_the_board(world: World) -> None:
    staged = stage_board(world)
    first, _, third = staged["tasks"]
    version = first.version
    headers = session_headers(world.viewer)

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, headers))
        await subscribed(viewer, f"board:{world.team.pk}")
        await drain(viewer)
        await database_sync_to_async(services.task_move)(
            actor=world.member, task=first, expected_version=first.version, after=third
        )
        card = await next_of(viewer, "card")
        assert card == {
            "type": "card",
            "topic": f"board:{world.team.pk}",
            "key": first.key,
            "version": version + 1,
            "state": staged["todo"].pk,
            "sprint": staged["sprint"].pk,
            "after": third.key,
            "before": None,
            "fields": ["rank"],
        }
        await viewer.disconnect()

    run(body)


def test_a_new_task_and_a_comment_reach_their_pages(world: World) -> None:
    staged = stage_board(world)
    task = staged["tasks"][1]
    headers = session_headers(world.viewer)

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, headers))
        await subscribed(viewer, f"board:{world.team.pk}")
        await subscribed(viewer, f"backlog:{world.team.pk}")
        await subscribed(viewer, f"task:{task.key}")
        await drain(viewer)
        created = await database_sync_to_async(services.task_create)(
            actor=world.member, team=world.team, title="Fresh", state=staged["todo"]
        )
        card = await next_of(viewer, "card")
        assert (card["key"], card["fields"], card["sprint"]) == (created.key, ["created"], None)
        assert (await next_of(viewer, "backlog"))["key"] == created.key
        await database_sync_to_async(services.task_comment_add)(
            actor=world.member, task=task, body="On it"
        )
        comment = await next_of(viewer, "comment")
        assert comment["task"] == task.pk
        await viewer.disconnect()

    run(body)


def test_the_bell_hears_its_own_unread_count(world: World) -> None:
    headers = session_headers(world.member)

    def inbox_changed() -> None:
        with transaction.atomic():
            forget_unread_count(world.member.user_id, world.workspace.pk)

    async def body() -> None:
        member = await opened(socket(world.workspace.slug, headers))
        await subscribed(member, "notifications")
        await database_sync_to_async(inbox_changed)()
        assert await next_of(member, "notifications") == {
            "type": "notifications",
            "topic": "notifications",
            "unread": 0,
        }
        await member.disconnect()

    run(body)


def test_a_started_sprint_reloads_the_board(world: World) -> None:
    sprint = SprintFactory(team=world.team)
    headers = session_headers(world.viewer)

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, headers))
        await subscribed(viewer, f"board:{world.team.pk}")
        await database_sync_to_async(services.sprint_start)(actor=world.member, sprint=sprint)
        assert (await next_of(viewer, "board"))["sprint"] == sprint.pk
        await viewer.disconnect()

    run(body)


def test_presence_shows_who_else_is_on_the_board_and_who_left(world: World) -> None:
    viewer_headers, member_headers = session_headers(world.viewer), session_headers(world.member)
    topic = f"board:{world.team.pk}"

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, viewer_headers))
        await subscribed(viewer, topic)
        assert (await next_of(viewer, "presence"))["viewers"] == []
        member = await opened(socket(world.workspace.slug, member_headers))
        await subscribed(member, topic)
        seen_by_member = await next_of(member, "presence")
        while not seen_by_member["viewers"]:
            seen_by_member = await next_of(member, "presence")
        assert seen_by_member["viewers"] == [{"id": world.viewer.user_id, "name": "acme viewer"}]
        seen_by_viewer = await next_of(viewer, "presence")
        assert seen_by_viewer["viewers"] == [{"id": world.member.user_id, "name": "acme member"}]
        await member.disconnect()
        assert (await next_of(viewer, "presence"))["viewers"] == []
        await viewer.disconnect()

    run(body)


@pytest.mark.redis
def test_the_redis_channel_layer_delivers_a_move(world: World, settings) -> None:
    url = require_redis()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": f"test-live-{world.workspace.pk}"},
        }
    }
    staged = stage_board(world)
    first = staged["tasks"][0]
    headers = session_headers(world.viewer)

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, headers))
        await subscribed(viewer, f"board:{world.team.pk}")
        await database_sync_to_async(services.task_move)(
            actor=world.member, task=first, expected_version=first.version, state=staged["doing"]
        )
        card = await next_of(viewer, "card")
        assert (card["key"], card["state"]) == (first.key, staged["doing"].pk)
        await viewer.disconnect()

    run(body)


@pytest.mark.redis
def test_sends_from_synchronous_code_share_the_layers_redis_connections(
    world: World, settings, monkeypatch
) -> None:
    # A WSGI worker or a Celery job has no event loop: each send used to run on a new one,
    # where the Redis layer opened a connection per message. One loop per process keeps them.
    from redis.asyncio.connection import ConnectionPool

    from live import broadcast

    url = require_redis()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": f"test-send-{world.workspace.pk}"},
        }
    }
    opened_connections: list[object] = []
    make_connection = ConnectionPool.make_connection

    def counted(pool: ConnectionPool):  # type: ignore[no-untyped-def]
        connection = make_connection(pool)
        opened_connections.append(connection)
        return connection

    monkeypatch.setattr(ConnectionPool, "make_connection", counted)
    broadcast.send(f"board-{world.workspace.pk}-warm", {"n": 0})
    warm = len(opened_connections)

    for n in range(20):
        broadcast.send(f"board-{world.workspace.pk}-{n}", {"n": n})

    assert warm >= 1  # the layer did connect (the sends went through Redis)
    assert len(opened_connections) == warm
