"""Sending to the sockets of a group from synchronous code (event handlers, services).

Delivery is best effort: the change is committed before anything is sent, and a page that
missed a message is still right after a reload (or when its socket reconnects, which
reloads what it shows). So a channel layer that is down costs live updates, never a write.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

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
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("live: sending to %s failed; pages catch up on reload", group, exc_info=True)
