"""Slack's Events API: one registered handler for `event_callback`, by the inner event's type.

Events are queued like every delivery (Slack wants its 200 within 3 s and retries with the
same `event_id`, which makes a retry the same delivery). Subscribed in the app manifest
(docs/integrations.md): `link_shared` and `app_home_opened`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations import slack_home, slack_unfurls
from integrations.models import InboundDelivery, Provider
from integrations.registry import DeliveryIgnored, handles

EVENTS: dict[str, Callable[[InboundDelivery, dict[str, Any]], None]] = {
    "link_shared": slack_unfurls.link_shared,
    "app_home_opened": slack_home.app_home_opened,
}


@handles(Provider.SLACK, "event_callback")
def slack_event(delivery: InboundDelivery, payload: Any) -> None:
    event = payload.get("event") if isinstance(payload, dict) else None
    kind = str(event.get("type") or "") if isinstance(event, dict) else ""
    handler = EVENTS.get(kind)
    if handler is None:
        raise DeliveryIgnored(f"No handler for the {kind!r} Slack event.")
    handler(delivery, payload)
