"""Outbound webhooks: event types, and publishing an event to every subscribed URL."""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alignment.models import Workspace
from integrations.models import Channel, OutboxMessage, WebhookSubscription
from integrations.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

# The catalogue (docs/webhooks.md shows one example body per type). Keys are stable: a
# receiver's switch statement and saved subscriptions depend on them.
EVENT_TYPES: dict[str, str] = {
    "task.created": "A task was created",
    "task.updated": "A task changed (state, assignee, sprint, estimate, …)",
    "task.merged": "A duplicate task was merged into another",
    "task.deleted": "A task was deleted (reserved: tasks are merged or closed, not deleted)",
    "comment.created": "A comment was posted on a task",
    "sprint.started": "A sprint started",
    "sprint.closed": "A sprint closed",
    "objective.created": "An objective was created",
    "objective.updated": "An objective was edited or moved in the tree",
    "objective.archived": "An objective was archived",
    "objective.progress_changed": "An objective's progress or status changed",
    "key_result.created": "A key result was added",
    "key_result.updated": "A key result was edited",
    "key_result.deleted": "A key result was deleted",
    "key_result.progress_changed": "A key result's progress or status changed",
    "checkin.created": "A check-in was posted on a key result",
    "roadmap_item.updated": "A roadmap item was created, edited or deleted",
    "ping": "A test event sent from the subscription page",
}

# How the subscription form groups the types (every type but ping, once).
EVENT_GROUPS: dict[str, tuple[str, ...]] = {
    "Work": (
        "task.created",
        "task.updated",
        "task.merged",
        "task.deleted",
        "comment.created",
        "sprint.started",
        "sprint.closed",
    ),
    "OKRs": (
        "objective.created",
        "objective.updated",
        "objective.archived",
        "objective.progress_changed",
        "key_result.created",
        "key_result.updated",
        "key_result.deleted",
        "key_result.progress_changed",
        "checkin.created",
    ),
    "Roadmaps": ("roadmap_item.updated",),
}


def event_type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped (value, label) choices for the subscription form."""
    return [
        (group, [(key, f"{key} — {EVENT_TYPES[key]}") for key in keys])
        for group, keys in EVENT_GROUPS.items()
    ]


# ---- who listens: a per-workspace cache, so a change nobody subscribed to costs no query ---

LISTENING_TTL_SECONDS = 300  # a safety net; saves and deletes invalidate at once


def _listening_key(workspace_id: int) -> str:
    return f"webhooks:listening:v1:{workspace_id}"


def listening_event_types(workspace_id: int) -> frozenset[str]:
    """The event types some active subscription of the workspace wants.

    Read from the cache; on a miss, one query. A cache outage (Redis down) falls back to
    the query: a webhook is never lost, and the change that publishes it never fails, for it.
    """
    key = _listening_key(workspace_id)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure: read the database instead
        logger.warning("Webhook listener cache unavailable; reading subscriptions")
        cached = None
    if cached is not None:
        return frozenset(cached)
    wanted: set[str] = set()
    for types in WebhookSubscription.objects.filter(
        workspace_id=workspace_id, active=True
    ).values_list("event_types", flat=True):
        wanted.update(t for t in types or () if isinstance(t, str))
    try:
        cache.set(key, sorted(wanted), timeout=LISTENING_TTL_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Webhook listener cache unavailable; not caching")
    return frozenset(wanted)


def forget_listening(workspace_id: int) -> None:
    """Drop the cached answer now and again after commit: a reader between our write and
    our commit may have cached the old subscriptions."""
    key = _listening_key(workspace_id)

    def drop() -> None:
        try:
            cache.delete(key)
        except Exception:  # noqa: BLE001
            logger.warning("Webhook listener cache unavailable; the entry expires on its own")

    drop()
    transaction.on_commit(drop)


def on_subscription_saved_or_deleted(sender: type, instance: WebhookSubscription, **_: Any) -> None:
    """post_save / post_delete of a subscription (connected in IntegrationsConfig.ready)."""
    forget_listening(instance.workspace_id)


SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_publish(
    *,
    workspace: Workspace,
    event_type: str,
    data: dict[str, Any],
    actor: dict[str, Any] | None = None,
) -> list[OutboxMessage]:
    """Fan one event out to the active subscriptions that want it, in the caller's transaction.

    Every subscriber gets the same body and event id (`X-Alignment-Delivery`), so receivers
    can dedupe on it; each subscription gets its own outbox row and retries. `actor` is the
    person who made the change (None for the system), as `webhook_bodies.user_body` shapes it.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    event_id = f"evt_{uuid.uuid4().hex}"
    body = {
        "id": event_id,
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "workspace": workspace.slug,
        "actor": actor,
        "data": data,
    }
    messages = []
    subscriptions = WebhookSubscription.objects.for_workspace(workspace).filter(active=True)
    for subscription in subscriptions:
        if event_type not in subscription.event_types:
            continue
        messages.append(
            outbox_enqueue(
                workspace=workspace,
                channel=Channel.WEBHOOK,
                destination=subscription.url,
                payload=body,
                dedupe_key=f"webhook:{event_id}:{subscription.pk}",
                event_type=event_type,
                subscription_id=subscription.pk,
            )
        )
    return messages


def webhook_ping(*, subscription: WebhookSubscription) -> OutboxMessage:
    """A test event to one subscription only."""
    event_id = f"evt_{uuid.uuid4().hex}"
    return outbox_enqueue(
        workspace=subscription.workspace,
        channel=Channel.WEBHOOK,
        destination=subscription.url,
        payload={
            "id": event_id,
            "type": "ping",
            "created_at": timezone.now().isoformat(),
            "workspace": subscription.workspace.slug,
            "actor": None,
            "data": {"subscription": subscription.pk},
        },
        dedupe_key=f"webhook:{event_id}:{subscription.pk}",
        event_type="ping",
        subscription_id=subscription.pk,
    )
