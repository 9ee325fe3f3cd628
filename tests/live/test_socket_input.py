"""Bad input closes the socket with a clear code and changes nothing; a viewer cannot write."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from live import errors
from tasks.models import Task
from tests.conftest import World
from tests.live.conftest import (
    closed_with,
    next_of,
    opened,
    run,
    send,
    session_headers,
    socket,
    stage_board,
    subscribed,
)


def _rows(world: World) -> list[tuple[int, int, int, str]]:
    return list(
        Task.all_objects.filter(workspace=world.workspace)
        .order_by("pk")
        .values_list("pk", "version", "state_id", "rank")
    )


BAD_FRAMES = {
    "malformed JSON": ("{not json", errors.BAD_FRAME),
    "a JSON list": ("[1, 2]", errors.BAD_FRAME),
    "no op": ('{"topic": "board:1"}', errors.BAD_FRAME),
    "unknown op before subscribing": ('{"op": "move", "topic": "board:1"}', errors.BAD_FRAME),
    "malformed topic": ('{"op": "subscribe", "topic": "board:../../x"}', errors.BAD_FRAME),
    "topic not a string": ('{"op": "subscribe", "topic": 12}', errors.BAD_FRAME),
    "unknown topic kind": ('{"op": "subscribe", "topic": "payroll:1"}', errors.NOT_FOUND),
    "unknown board id": ('{"op": "subscribe", "topic": "board:999999"}', errors.NOT_FOUND),
    "non-numeric board id": ('{"op": "subscribe", "topic": "board:abc"}', errors.NOT_FOUND),
    "unknown task key": ('{"op": "subscribe", "topic": "task:ENG-99999"}', errors.NOT_FOUND),
    "oversized frame": (json.dumps({"op": "ping", "pad": "x" * 20000}), errors.TOO_BIG),
}


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_bad_input_closes_the_socket_with_a_clear_code(name: str, world: World) -> None:
    stage_board(world)
    frame, code = BAD_FRAMES[name]
    headers = session_headers(world.owner)
    before = _rows(world)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await communicator.send_to(text_data=frame)
        closing = await closed_with(communicator)
        assert closing["code"] == code
        assert closing["reason"]  # a person reading a log learns why

    run(body)
    assert _rows(world) == before


def test_a_binary_frame_is_refused(world: World) -> None:
    headers = session_headers(world.member)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await communicator.send_to(bytes_data=b"\x00\x01")
        assert (await closed_with(communicator))["code"] == errors.BAD_FRAME

    run(body)


@override_settings(LIVE_MAX_TOPICS=2)
def test_following_too_many_topics_is_refused(world: World) -> None:
    headers = session_headers(world.member)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await subscribed(communicator, "notifications")
        await subscribed(communicator, "dashboards")
        await send(communicator, op="subscribe", topic=f"board:{world.team.pk}")
        assert (await closed_with(communicator))["code"] == errors.BAD_FRAME

    run(body)


def test_a_viewers_socket_cannot_move_a_card(world: World) -> None:
    staged = stage_board(world)
    task = staged["tasks"][0]
    headers = session_headers(world.viewer)
    before = _rows(world)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await subscribed(communicator, f"board:{world.team.pk}")
        await send(
            communicator,
            op="move",
            topic=f"board:{world.team.pk}",
            key=task.key,
            version=task.version,
            state=staged["doing"].pk,
        )
        closing = await closed_with(communicator)
        assert closing["code"] == errors.FORBIDDEN

    run(body)
    assert _rows(world) == before


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"version": "1"}, errors.BAD_FRAME),
        ({"version": True}, errors.BAD_FRAME),
        ({"state": "31"}, errors.BAD_FRAME),
        ({"key": "ENG-424242"}, errors.NOT_FOUND),
        ({"after": "ENG-424242"}, errors.NOT_FOUND),
        ({"key": "x" * 40}, errors.BAD_FRAME),
        ({"op": "delete"}, errors.BAD_FRAME),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else str(value),
)
def test_a_malformed_move_closes_and_changes_nothing(change: dict, code: int, world: World):
    staged = stage_board(world)
    task = staged["tasks"][0]
    headers = session_headers(world.member)
    before = _rows(world)
    frame = {
        "op": "move",
        "topic": f"board:{world.team.pk}",
        "key": task.key,
        "version": task.version,
        "state": staged["doing"].pk,
        **change,
    }

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await subscribed(communicator, f"board:{world.team.pk}")
        await send(communicator, **frame)
        assert (await closed_with(communicator))["code"] == code

    run(body)
    assert _rows(world) == before


def test_a_members_move_is_saved_and_a_stale_one_is_refused_without_closing(world: World):
    staged = stage_board(world)
    task = staged["tasks"][0]
    headers = session_headers(world.member)
    topic = f"board:{world.team.pk}"

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await subscribed(communicator, topic)
        move = {"op": "move", "topic": topic, "key": task.key, "state": staged["doing"].pk}
        await send(communicator, **move, version=task.version)
        moved = await next_of(communicator, "moved")
        assert moved == {
            "topic": topic,
            "type": "moved",
            "key": task.key,
            "version": task.version + 1,
        }
        back = {**move, "state": staged["todo"].pk}
        await send(communicator, **back, version=task.version)  # the version it had before
        refused = await next_of(communicator, "error")
        assert refused["code"] == "stale_version"
        await send(communicator, op="ping")
        assert await next_of(communicator, "pong") == {"type": "pong"}
        await communicator.disconnect()

    run(body)
    saved = Task.objects.get(pk=task.pk)
    assert (saved.state_id, saved.version) == (staged["doing"].pk, task.version + 1)
