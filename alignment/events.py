"""Domain events: services publish after commit, apps subscribe in `AppConfig.ready`.

    events.subscribe(KeyResultCheckedIn, refresh_rollups)   # dashboards/apps.py
    events.publish_on_commit(KeyResultCheckedIn(key_result_id=kr.pk, workspace_id=ws.pk))

Handlers run only once the surrounding transaction commits (never for a rolled-back write),
so the publisher never imports its subscribers and a failed write announces nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

Handler = Callable[[Any], None]
_handlers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type, handler: Handler) -> None:
    """Call `handler(event)` after commit for every published event of this type."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def dispatch(event: object) -> None:
    """Run the handlers of `event` now (publish_on_commit calls this after commit)."""
    for handler in list(_handlers[type(event)]):
        handler(event)


def publish_on_commit(event: object) -> None:
    transaction.on_commit(lambda: dispatch(event))
