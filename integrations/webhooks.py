"""Outbound webhooks: event types, and publishing an event to every subscribed URL."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.utils import timezone

from alignment.models import Workspace
from integrations.models import Channel, OutboxMessage, WebhookSubscription
from integrations.outbox import outbox_enqueue

EVENT_TYPES: dict[str, str] = {
    "task.created": "A task was created",
    "task.updated": "A task changed (state, assignee, sprint, estimate, …)",
    "task.deleted": "A task was deleted",
    "objective.created": "An objective was created",
    "objective.progress_changed": "An objective's progress or status changed",
    "key_result.progress_changed": "A key result's progress changed",
    "checkin.created": "A check-in was posted on a key result",
    "sprint.started": "A sprint started",
    "sprint.closed": "A sprint closed",
    "ping": "A test event sent from the subscription page",
}

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_publish(
    *, workspace: Workspace, event_type: str, data: dict[str, Any]
) -> list[OutboxMessage]:
    """Fan one event out to the active subscriptions that want it, in the caller's transaction.

    Every subscriber gets the same body and event id (`X-Alignment-Delivery`), so receivers
    can dedupe on it; each subscription gets its own outbox row and retries.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    event_id = f"evt_{uuid.uuid4().hex}"
    body = {
        "id": event_id,
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "workspace": workspace.slug,
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
            "data": {"subscription": subscription.pk},
        },
        dedupe_key=f"webhook:{event_id}:{subscription.pk}",
        event_type="ping",
        subscription_id=subscription.pk,
    )
