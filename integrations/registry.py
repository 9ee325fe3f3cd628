"""The registry of delivery handlers: (provider, event) → a function that processes it.

A delivery whose event has no handler is stored as "ignored"; once a handler is registered,
"reprocess" on the delivery log runs it. Handlers must be idempotent (upserts by external id):
reprocessing and redeliveries run them again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.models import InboundDelivery

Handler = Callable[[InboundDelivery, Any], None]

_HANDLERS: dict[tuple[str, str], Handler] = {}


class DeliveryIgnored(Exception):
    """Raised by a handler that has nothing to do with a delivery it understood (a staging
    deployment, no team to credit): the delivery is stored as "ignored" with this message as
    the reason on the delivery log, and the handler's writes roll back."""


def handles(provider: str, *events: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for these events of `provider`."""

    def register(func: Handler) -> Handler:
        for event in events:
            _HANDLERS[(provider, event)] = func
        return func

    return register


def handler_for(provider: str, event: str) -> Handler | None:
    return _HANDLERS.get((provider, event))


def known_events(provider: str) -> list[str]:
    return sorted(event for p, event in _HANDLERS if p == provider)
