"""Presence: who else has a board (or, later, a document) open, in O(1) messages per socket.

The first version had every socket announce itself to the group, every other socket answer
each newcomer and every socket repeat its announcement each heartbeat: n² messages, which at
200 sockets on one board filled the channel queues and crowded out card messages (#18).

Now each web process keeps one roster of its own sockets per presence group (`Aggregator`)
and writes it to one shared place (`store`): the process itself with the in-memory layer,
a Redis hash per group with the Redis layer (one field per process, with an expiry, so a
crashed process's viewers fade out after 2.5 heartbeats). A join or a leave only marks the
group changed; at most once every LIVE_PRESENCE_COALESCE_SECONDS the process reads the
group's roster once and sends it in ONE group message, so k people joining together cost
each socket one `presence` frame, not k². Heartbeats refresh the store without sending
anything unless a dead process's entry was dropped. A roster message is small and the next
one supersedes it, so losing one to a full queue costs nothing; card messages are no longer
crowded out because presence no longer floods the queues.

The mixin needs `channel_layer`, `channel_name` and `send_json` (a Channels JSON consumer)
and a `viewer` dict ({"id", "name"}); `presence_enter(topic, group)` is all a topic needs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings

logger = logging.getLogger(__name__)

ROSTER = "presence.roster"  # the one channel-layer message type presence sends
PROCESS = uuid.uuid4().hex  # this web process's field in a shared (Redis) roster


def _ttl() -> float:
    return 2.5 * settings.LIVE_PRESENCE_HEARTBEAT_SECONDS


def _listed(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unique = {u["id"]: {"id": u["id"], "name": u["name"]} for u in users}
    return sorted(unique.values(), key=lambda u: (u["name"].lower(), u["id"]))


async def _shared_roster(
    layer: Any, group: str, users: list[dict[str, Any]], *, prune_only: bool = False
) -> tuple[list[dict[str, Any]], bool]:
    """Write this process's viewers of `group` and read everyone's (Redis layer): the roster
    and whether an expired process entry was dropped."""
    import redis.asyncio as redis

    host = layer.hosts[0]
    client = redis.Redis.from_url(host["address"]) if "address" in host else redis.Redis(**host)
    # Under the layer's prefix, as its own keys are: two installs (or test runs) sharing one
    # Redis must not read each other's rosters when their group names coincide.
    key = f"{layer.prefix}:presence:{group}"
    now = time.time()
    try:
        if not prune_only:
            if users:
                await client.hset(key, PROCESS, json.dumps({"users": users, "until": now + _ttl()}))
            else:
                await client.hdel(key, PROCESS)
            await client.expire(key, int(_ttl()) + 1)
        everyone: list[dict[str, Any]] = []
        expired = []
        for field, raw in (await client.hgetall(key)).items():
            entry = json.loads(raw)
            if entry["until"] < now:
                expired.append(field)
            else:
                everyone.extend(entry["users"])
        dropped = bool(expired) and bool(await client.hdel(key, *expired))
        return _listed(everyone), dropped
    finally:
        await client.aclose()


class Aggregator:
    """This process's sockets per presence group, and the coalesced roster broadcasts."""

    def __init__(self) -> None:
        # group -> {channel name: viewer}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self.broadcasts = 0  # roster group messages sent (tests and the bench read it)

    def join(self, layer: Any, group: str, channel: str, viewer: dict[str, Any]) -> None:
        self.members.setdefault(group, {})[channel] = viewer
        self._changed(layer, group)
        self._keep_beating(layer)

    def leave(self, layer: Any, group: str, channel: str) -> None:
        here = self.members.get(group)
        if here is None or here.pop(channel, None) is None:
            return
        if not here:
            del self.members[group]
        self._changed(layer, group)

    def _changed(self, layer: Any, group: str) -> None:
        """Schedule one roster broadcast for `group`, unless one is already due."""
        loop = asyncio.get_running_loop()
        pending = self._pending.get(group)
        if pending is not None and not pending.done() and pending.get_loop() is loop:
            return
        self._pending[group] = loop.create_task(self._flush_later(layer, group))

    async def _flush_later(self, layer: Any, group: str) -> None:
        await asyncio.sleep(settings.LIVE_PRESENCE_COALESCE_SECONDS)
        # Changes from here on schedule the next broadcast (this one may miss them).
        self._pending.pop(group, None)
        try:
            await self.broadcast(layer, group)
        except Exception:  # a layer or Redis hiccup: the next change or heartbeat catches up
            logger.warning("live: presence broadcast for %s failed", group, exc_info=True)

    async def roster(self, layer: Any, group: str) -> tuple[list[dict[str, Any]], bool]:
        users = list(self.members.get(group, {}).values())
        if hasattr(layer, "hosts"):  # channels_redis: several processes share the group
            return await _shared_roster(layer, group, users)
        return _listed(users), False

    async def broadcast(self, layer: Any, group: str) -> None:
        viewers, _ = await self.roster(layer, group)
        self.broadcasts += 1
        await layer.group_send(group, {"type": ROSTER, "group": group, "viewers": viewers})

    def _keep_beating(self, layer: Any) -> None:
        beat = self._heartbeat
        loop = asyncio.get_running_loop()
        if beat is None or beat.done() or beat.get_loop() is not loop:
            self._heartbeat = loop.create_task(self._beat(layer))

    async def _beat(self, layer: Any) -> None:
        """Refresh this process's entries; re-broadcast a group only when a dead process's
        viewers were dropped. Ends when the process has no viewers left."""
        while self.members:
            await asyncio.sleep(settings.LIVE_PRESENCE_HEARTBEAT_SECONDS)
            for group in list(self.members):
                try:
                    _, dropped = await self.roster(layer, group)
                    if dropped:
                        self._changed(layer, group)
                except Exception:
                    logger.warning("live: presence heartbeat for %s failed", group, exc_info=True)


aggregator = Aggregator()


class PresenceMixin:
    channel_layer: Any
    channel_name: str
    viewer: dict[str, Any]

    if TYPE_CHECKING:  # provided by the Channels consumer this mixes into

        async def send_json(self, content: Any, close: bool = False) -> None: ...

    def _presence_state(self) -> dict[str, list[Any]]:
        # group -> [topic, the viewers last sent to the page (None before the first)]
        state: dict[str, list[Any]] | None = getattr(self, "_presence", None)
        if state is None:
            state = {}
            self._presence = state
        return state

    async def presence_enter(self, topic: str, group: str) -> None:
        """Start showing this socket in `group`'s roster (the group must be joined already)."""
        self._presence_state()[group] = [topic, None]
        aggregator.join(self.channel_layer, group, self.channel_name, self.viewer)

    async def presence_exit_all(self) -> None:
        for group in list(self._presence_state()):
            await self.presence_exit(group)

    async def presence_exit(self, group: str) -> None:
        if self._presence_state().pop(group, None) is None:
            return
        aggregator.leave(self.channel_layer, group, self.channel_name)

    # --- channel-layer handler ("presence.roster" calls presence_roster) ---

    async def presence_roster(self, message: dict[str, Any]) -> None:
        entry = self._presence_state().get(message["group"])
        if entry is None:
            return
        others = [u for u in message["viewers"] if u["id"] != self.viewer["id"]]
        if others == entry[1]:
            return  # nothing new for this page
        entry[1] = others
        await self.send_json({"type": "presence", "topic": entry[0], "viewers": others})
