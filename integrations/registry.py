"""The registry of delivery handlers: (provider, event) → a function that processes it.

A delivery whose event has no handler is stored as "ignored"; once a handler is registered,
"reprocess" on the delivery log runs it. Handlers must be idempotent (upserts by external id):
reprocessing and redeliveries run them again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.models import InboundDelivery

# A handler returns None, or (inline handlers) the JSON the provider is answered with.
Handler = Callable[[InboundDelivery, Any], dict[str, Any] | None]
# Which deliveries of an inline event run inside the provider's request (given the payload).
InlineWhen = Callable[[Any], bool]

# A check every delivery of a provider passes before its handler runs; it raises
# DeliveryIgnored to refuse the delivery (e.g. Slack: a request from another Slack team).
Guard = Callable[[InboundDelivery, Any], None]

_HANDLERS: dict[tuple[str, str], Handler] = {}
_INLINE: dict[tuple[str, str], InlineWhen] = {}
_GUARDS: dict[str, Guard] = {}


class DeliveryIgnored(Exception):
    """Raised by a handler that has nothing to do with a delivery it understood (a staging
    deployment, no team to credit): the delivery is stored as "ignored" with this message as
    the reason on the delivery log, and the handler's writes roll back. `reply` is what an
    inline handler answers the provider with (a Slack modal's field errors)."""

    def __init__(self, message: str, *, reply: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reply = reply


def handles(
    provider: str, *events: str, inline: bool | InlineWhen = False
) -> Callable[[Handler], Handler]:
    """Register the decorated function for these events of `provider`.

    `inline` (True, or a test of the payload): the delivery is still stored first, but it is
    processed inside the provider's request instead of a queued task, and the handler's
    return value is the answer. Only for what cannot wait for a worker: Slack's trigger_id
    lives 3 s (views.open) and a modal submission waits for its errors or next view.
    """

    def register(func: Handler) -> Handler:
        for event in events:
            _HANDLERS[(provider, event)] = func
            if inline:
                _INLINE[(provider, event)] = inline if callable(inline) else (lambda _: True)
        return func

    return register


def guards(provider: str) -> Callable[[Guard], Guard]:
    """Register the decorated function as the check of every delivery of `provider`."""

    def register(func: Guard) -> Guard:
        _GUARDS[provider] = func
        return func

    return register


def guard_for(provider: str) -> Guard | None:
    return _GUARDS.get(provider)


def runs_inline(provider: str, event: str, payload: Any) -> bool:
    """Is this delivery processed inside the request (see `handles(inline=)`)?"""
    when = _INLINE.get((provider, event))
    return bool(when is not None and when(payload))


def handler_for(provider: str, event: str) -> Handler | None:
    return _HANDLERS.get((provider, event))
