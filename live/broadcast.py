"""Sending to the sockets of a group from synchronous code (event handlers, services).

Delivery is best effort: the change is committed before anything is sent, and a page that
missed a message is still right after a reload (or when its socket reconnects, which
reloads what it shows). So a channel layer that is down costs live updates, never a write.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

# Every message a subscriber sends goes to the consumer's `live_event` handler.
EVENT = "live.event"


def send(group: str, data: dict[str, Any], *, handler: str = EVENT) -> None:
    """Send `data` to every socket in `group` (the consumer forwards it to the page)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": handler, "data": data}
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # Synchronous code running on an event loop's own thread (not through sync_to_async)
        # cannot wait for the send; this only happens in scripts and test drivers.
        logger.debug("live: not sent to %s from inside a running event loop", group)
        return
    try:
        if isinstance(layer, InMemoryChannelLayer):
            # Its queues belong to the loop of the server in this process: asgiref sends
            # from there (a view served over ASGI runs in a thread of that loop).
            async_to_sync(layer.group_send)(group, message)
        else:
            _SendLoop.run(layer.group_send(group, message))
    except Exception:
        logger.warning("live: sending to %s failed; pages catch up on reload", group, exc_info=True)


class _SendLoop:
    """One event loop per process, on a thread of its own, for sends to a networked layer.

    `async_to_sync` outside a server's loop (a WSGI worker, a Celery job) ran each send on a
    new event loop, so the Redis layer opened (and dropped) a connection per message: under
    bench-load a sixth of the web workers' time (issue #15). On one long-lived loop the
    layer keeps its connection pool. A forked child (gunicorn, Celery) starts its own loop.
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid = 0
    TIMEOUT_SECONDS = 5.0

    @classmethod
    def run(cls, coroutine: Coroutine[Any, Any, Any]) -> Any:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():
                cls._loop = asyncio.new_event_loop()
                cls._pid = os.getpid()
                threading.Thread(
                    target=cls._loop.run_forever, name="live-send-loop", daemon=True
                ).start()
            loop = cls._loop
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(cls.TIMEOUT_SECONDS)
