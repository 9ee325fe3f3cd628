"""Domain events: services publish, apps subscribe in `AppConfig.ready`.

    events.subscribe(KeyResultCheckedIn, refresh_rollups)   # dashboards/apps.py
    events.subscribe(TaskCreated, write_webhook_rows, in_transaction=True)
    events.publish_on_commit(KeyResultCheckedIn(key_result_id=kr.pk, workspace_id=ws.pk))

Two kinds of subscriber, so the publisher never imports its subscribers:

- after-commit handlers (the default) run once the surrounding transaction commits, never
  for a rolled-back write: enqueueing Celery work, refreshing caches.
- in-transaction handlers run at publish time, inside the publisher's transaction. They are
  for writes that must commit or roll back with the change itself, such as outbox rows
  (nothing is lost if the process dies right after commit; nothing is sent for a rolled-back
  change). They must only write rows; a failure in one aborts the change, as it should.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[[Any], None]
_handlers: defaultdict[type, list[Handler]] = defaultdict(list)
_in_transaction_handlers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type, handler: Handler, *, in_transaction: bool = False) -> None:
    """Call `handler(event)` for every published event of this type (after commit by default)."""
    registry = _in_transaction_handlers if in_transaction else _handlers
    if handler not in registry[event_type]:
        registry[event_type].append(handler)


def unsubscribe(event_type: type, handler: Handler) -> None:
    for registry in (_handlers, _in_transaction_handlers):
        if handler in registry[event_type]:
            registry[event_type].remove(handler)


def dispatch(event: object) -> None:
    """Run the after-commit handlers of `event` now (publish_on_commit calls this on commit).

    The change is committed by then, so a failing handler must not turn it into an error
    answer (the client would retry a write that happened) nor stop the other handlers: each
    failure is logged and the next handler runs. Handlers keep their work durable before
    commit where it matters (the rollup queue's rows, outbox rows), so a sweep finishes what a
    failed handler left. `EVENT_HANDLER_ERRORS = "raise"` (the test suite's setting) raises
    instead, so a broken handler fails its tests.
    """
    raise_errors = getattr(settings, "EVENT_HANDLER_ERRORS", "log") == "raise"
    for handler in list(_handlers[type(event)]):
        if raise_errors:
            handler(event)
            continue
        try:
            handler(event)
        except Exception:
            logger.exception(
                "after-commit handler %s failed for %s", _name(handler), type(event).__name__
            )


def _name(handler: Handler) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"


def publish_on_commit(event: object) -> None:
    """Run in-transaction handlers now, and the after-commit handlers once the change commits."""
    for handler in list(_in_transaction_handlers[type(event)]):
        handler(event)
    transaction.on_commit(lambda: dispatch(event))
