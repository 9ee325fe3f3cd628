"""From domain events to stored `AutomationEvent` rows, and the loop-protection marker.

Every subscriber runs in the publisher's transaction (`in_transaction=True`): the row commits
with the change or not at all, and it records which rules' actions are running right now
(`current_chain`), so an event caused by automation carries that marker wherever it is
processed. Workspaces without an enabled rule for the trigger write nothing (a cached set).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import cache
from django.db import transaction

from alignment import events
from automation.models import AutomationEvent, Rule, Trigger
from dashboards.events import RollupChanged
from integrations.events import CheckRunFailed, PullRequestChanged
from okrs.events import KeyResultCheckedIn
from tasks.events import SprintClosed, SprintStarted, TaskChanged, TaskCreated

# The ids of the rules whose actions are being applied in this context (outermost first).
_chain: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "automation_chain", default=()
)
CACHE_SECONDS = 300


def current_chain() -> tuple[int, ...]:
    return _chain.get()


@contextmanager
def acting_as_rule(chain: tuple[int, ...]) -> Iterator[None]:
    """Mark every event published inside (and committed inside) as caused by `chain`."""
    token = _chain.set(chain)
    try:
        yield
    finally:
        _chain.reset(token)


def _cache_key(workspace_id: int) -> str:
    return f"automation:triggers:{workspace_id}"


def active_triggers(workspace_id: int) -> set[str]:
    """The triggers a workspace's enabled rules listen to (cached: asked on every event).

    This runs inside the writing transaction of every change, so a cache that fails (any
    backend, not only the fail-open Redis one) costs the query, never the change."""
    try:
        found = cache.get(_cache_key(workspace_id))
    except Exception:  # noqa: BLE001 - the cache is a hint here
        found = None
    if found is None:
        found = set(
            Rule.objects.for_workspace(workspace_id)
            .enabled()
            .values_list("trigger", flat=True)
            .distinct()
        )
        with contextlib.suppress(Exception):  # the cache is a hint here
            cache.set(_cache_key(workspace_id), found, CACHE_SECONDS)
    return set(found)


def forget_active_triggers(workspace_id: int) -> None:
    transaction.on_commit(lambda: cache.delete(_cache_key(workspace_id)))
    cache.delete(_cache_key(workspace_id))


def translate(event: Any) -> list[tuple[str, dict[str, Any]]]:
    """The triggers (and their data) one domain event stands for."""
    actor: dict[str, Any] = {"actor_id": getattr(event, "actor_id", None)}
    data: dict[str, Any]
    if isinstance(event, TaskCreated):
        return [(Trigger.TASK_CREATED, {"task_ids": [event.task_id], **actor})]
    if isinstance(event, TaskChanged):
        found: list[tuple[str, dict[str, Any]]] = []
        if "state" in event.fields:
            found.append((Trigger.TASK_MOVED, {"task_ids": [event.task_id], **actor}))
        if "assignee" in event.fields:
            found.append((Trigger.TASK_ASSIGNED, {"task_ids": [event.task_id], **actor}))
        return found
    if isinstance(event, PullRequestChanged):
        trigger = {
            "opened": Trigger.PR_OPENED,
            "review_requested": Trigger.PR_REVIEW_REQUESTED,
            "merged": Trigger.PR_MERGED,
        }.get(event.action)
        data = {"task_ids": list(event.task_ids), "title": event.title, "url": event.url}
        return [(trigger, {**data, **actor})] if trigger else []
    if isinstance(event, CheckRunFailed):
        data = {"task_ids": list(event.task_ids), "check": event.name, "url": event.url}
        return [(Trigger.CHECK_FAILED, {**data, **actor})]
    if isinstance(event, KeyResultCheckedIn):
        data = {
            "key_result_id": event.key_result_id,
            "check_in_id": event.check_in_id,
        }
        return [(Trigger.CHECKIN_ADDED, {**data, **actor})]
    if isinstance(event, RollupChanged):
        if event.kind != "key_result" or event.status_before == event.status_after:
            return []
        data = {
            "key_result_id": event.node_id,
            "status_before": event.status_before,
            "status_after": event.status_after,
        }
        return [(Trigger.KR_STATUS_CHANGED, data)]
    if isinstance(event, SprintStarted):
        return [(Trigger.SPRINT_STARTED, {"sprint_id": event.sprint_id, **actor})]
    if isinstance(event, SprintClosed):
        data = {"sprint_id": event.sprint_id, "task_ids": list(event.carried_task_ids)}
        return [(Trigger.SPRINT_CLOSED, {**data, **actor})]
    return []


def store(event: Any) -> None:
    """In-transaction subscriber: one row per trigger some enabled rule listens to."""
    wanted = active_triggers(event.workspace_id)
    if not wanted:
        return
    for trigger, data in translate(event):
        if trigger not in wanted:
            continue
        row = AutomationEvent.objects.create(
            workspace_id=event.workspace_id,
            trigger=trigger,
            data=data,
            chain=list(current_chain()),
        )
        transaction.on_commit(_processor(row.pk))


def _processor(event_pk: int) -> Callable[[], None]:
    def run() -> None:
        from automation.tasks import process_event

        process_event.delay(event_pk)

    return run


EVENT_TYPES = (
    TaskCreated,
    TaskChanged,
    PullRequestChanged,
    CheckRunFailed,
    KeyResultCheckedIn,
    RollupChanged,
    SprintStarted,
    SprintClosed,
)


def connect() -> None:
    for event_type in EVENT_TYPES:
        events.subscribe(event_type, store, in_transaction=True)
