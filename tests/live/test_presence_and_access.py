"""Presence scales with the sockets, not their square (#18); a task moved to another team
leaves the old board; a socket whose person lost access is closed."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer

from alignment.models import Membership, Role
from live import presence
from tasks import services
from tests.conftest import World
from tests.factories import TeamFactory
from tests.live.conftest import (
    closed_with,
    drain,
    next_of,
    opened,
    run,
    session_headers,
    socket,
    stage_board,
    subscribed,
)


def _count_layer_sends(layer: Any) -> dict[str, int]:
    """Wrap the real layer's sends to count presence messages (the layer still delivers).
    "direct" counts sends to one socket's channel made by anything but the layer's own
    group fan-out (the old design's replies to a newcomer)."""
    counts = {"group": 0, "direct": 0}
    group_send, send = layer.group_send, layer.send
    fanning_out = False

    async def counted_group_send(group: str, message: dict) -> None:
        nonlocal fanning_out
        if message["type"].startswith("presence."):
            counts["group"] += 1
        fanning_out = True
        try:
            await group_send(group, message)
        finally:
            fanning_out = False

    async def counted_send(channel: str, message: dict) -> None:
        if message["type"].startswith("presence.") and not fanning_out:
            counts["direct"] += 1
        await send(channel, message)

    layer.group_send, layer.send = counted_group_send, counted_send
    return counts


def test_k_joiners_cost_at_most_one_roster_message_each_and_no_replies(
    world: World, settings
) -> None:
    # The in-memory layer even where REDIS_URL is set: with Redis, the shared presence hash
    # of this board may still hold viewers of an earlier test (same ids after the flush)
    # for its 75 s lifetime. The Redis roster is measured by `make bench-live`.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    k = 8
    headers = [session_headers(world.member if i % 2 else world.viewer) for i in range(k)]
    topic = f"board:{world.team.pk}"

    async def body() -> None:
        counts = _count_layer_sends(get_channel_layer())
        sockets = []
        for h in headers:
            sockets.append(await opened(socket(world.workspace.slug, h)))
            await subscribed(sockets[-1], topic)
        await asyncio.sleep(0.3)  # past the coalescing window
        # The old design sent i hellos plus i-1 direct replies for the i-th joiner (~k²);
        # now a join schedules at most one roster group message and nobody replies.
        assert counts["direct"] == 0
        assert 1 <= counts["group"] <= k
        for i, s in enumerate(sockets):
            frames = [m for m in await drain(s) if m["type"] == "presence"]
            assert len(frames) <= counts["group"]
            other = world.viewer if i % 2 else world.member
            assert frames[-1]["viewers"] == [{"id": other.user_id, "name": other.user.display_name}]
        for s in sockets:
            await s.disconnect()

    run(body)


def test_joins_inside_the_window_are_coalesced_into_one_broadcast(settings) -> None:
    # The in-memory layer even where REDIS_URL is set: the test reads its queues.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    settings.LIVE_PRESENCE_COALESCE_SECONDS = 0.1
    k = 50

    async def body() -> None:
        layer = get_channel_layer()
        counts = _count_layer_sends(layer)
        group = "live.w1.presence.board.1"
        channels = [await layer.new_channel() for _ in range(k)]
        for i, channel in enumerate(channels):
            await layer.group_add(group, channel)
            presence.aggregator.join(layer, group, channel, {"id": i, "name": f"p{i}"})
        await asyncio.sleep(0.3)
        assert counts == {"group": 1, "direct": 0}
        for channel in channels:  # every socket got exactly one message: the full roster
            message = await layer.receive(channel)
            assert message["type"] == presence.ROSTER
            assert len(message["viewers"]) == k
            assert layer.channels.get(channel) is None or layer.channels[channel].empty()
        for channel in channels:
            presence.aggregator.leave(layer, group, channel)
        await asyncio.sleep(0.3)
        assert counts["group"] == 2
        assert presence.aggregator.members == {}

    run(body)


def test_a_task_moved_to_another_team_leaves_the_old_board(world: World) -> None:
    staged = stage_board(world)
    task = staged["tasks"][0]
    old_key = task.key
    other = TeamFactory(workspace=world.workspace, name="Design", key="DES")
    headers = session_headers(world.viewer)

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, headers))
        await subscribed(viewer, f"board:{world.team.pk}")
        await drain(viewer)
        await database_sync_to_async(services.task_move_to_team)(
            actor=world.member, task=task, team=other
        )
        removed = await next_of(viewer, "card.removed")
        assert removed == {
            "type": "card.removed",
            "topic": f"board:{world.team.pk}",
            "key": old_key,
        }
        await viewer.disconnect()

    run(body)


def _demote(membership: Membership) -> None:
    Membership.objects.filter(pk=membership.pk).update(role=Role.VIEWER)


def _remove(membership: Membership) -> None:
    Membership.objects.filter(pk=membership.pk).delete()


def test_a_socket_is_closed_when_its_person_is_removed_or_demoted(world: World, settings) -> None:
    settings.LIVE_ACCESS_RECHECK_SECONDS = 0.1
    member_headers, admin_headers = session_headers(world.member), session_headers(world.admin)
    topic = f"board:{world.team.pk}"

    async def body() -> None:
        member = await opened(socket(world.workspace.slug, member_headers))
        admin = await opened(socket(world.workspace.slug, admin_headers))
        assert (await subscribed(member, topic))["can_write"] is True
        await subscribed(admin, topic)
        await asyncio.sleep(0.3)
        await database_sync_to_async(_demote)(world.member)
        closed = await closed_with(member)
        assert closed["code"] == 4403
        await database_sync_to_async(_remove)(world.admin)
        assert (await closed_with(admin))["code"] == 4403

    run(body)


def test_a_socket_that_still_has_access_stays_open(world: World, settings) -> None:
    settings.LIVE_ACCESS_RECHECK_SECONDS = 0.05
    headers = session_headers(world.viewer)

    async def body() -> None:
        viewer = await opened(socket(world.workspace.slug, headers))
        await subscribed(viewer, f"board:{world.team.pk}")
        await asyncio.sleep(0.4)  # several re-checks
        await drain(viewer)
        assert await viewer.receive_nothing(timeout=0.2)
        await viewer.disconnect()

    run(body)
