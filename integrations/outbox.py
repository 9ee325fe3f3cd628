"""The outbox: outbound messages are rows first, deliveries second.

outbox_enqueue()  writes the row inside the caller's transaction (it commits or rolls back
                  with the change that caused it) and asks for delivery on commit.
deliver()         claims one due row (a conditional UPDATE: two workers never both win),
                  sends it outside any transaction, then records delivered / retry later
                  with exponential backoff and jitter / dead after OUTBOX_MAX_ATTEMPTS.
sweep()           the beat job: claims due rows with SELECT … FOR UPDATE SKIP LOCKED
                  (PostgreSQL) and delivers them, so rows written while Redis was down, or
                  waiting for a retry, or left "sending" by a crashed worker, go out.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from alignment.models import Workspace
from integrations.channels import SENDERS, SendResult
from integrations.models import Channel, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)


def outbox_enqueue(
    *,
    workspace: Workspace,
    channel: str,
    destination: str,
    payload: dict[str, Any],
    dedupe_key: str,
    event_type: str = "",
    subscription_id: int | None = None,
) -> OutboxMessage:
    """Write a message in the caller's transaction; the same `dedupe_key` twice is one row."""
    if channel not in Channel.values:
        raise ValueError(f"Unknown outbox channel {channel!r}.")
    with transaction.atomic():  # a savepoint: a duplicate key must not break the caller
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key[:200],
            defaults={
                "workspace": workspace,
                "channel": channel,
                "destination": destination[:500],
                "payload": payload,
                "event_type": event_type[:60],
                "subscription_id": subscription_id,
                "next_attempt_at": timezone.now(),
            },
        )
    if created:
        pk = message.pk
        transaction.on_commit(lambda: schedule_delivery(pk))
    return message


def schedule_delivery(message_pk: int) -> None:
    """Queue delivery now; if the broker is down the row is safe and the sweep sends it."""
    from integrations.tasks import deliver_outbox

    try:
        deliver_outbox.delay(message_pk)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep retries
        logger.warning("Could not enqueue outbox message %s; the sweep will send it", message_pk)


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt `attempts + 1`: base·2^(n-1) capped, with ±50 % ("equal") jitter."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    cap = settings.OUTBOX_BACKOFF_MAX_SECONDS
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not crypto


def _due(now: Any) -> Q:
    stale = now - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=stale
    )


def _claim(message_pk: int) -> OutboxMessage | None:
    now = timezone.now()
    won = (
        OutboxMessage.objects.filter(_due(now), pk=message_pk).update(
            status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )
    if not won:
        return None
    return OutboxMessage.objects.select_related("subscription").get(pk=message_pk)


def deliver(message_pk: int) -> OutboxMessage | None:
    """One delivery attempt of one message, if it is due and nobody else holds it."""
    message = _claim(message_pk)
    if message is None:
        return None
    return _send_and_record(message)


def _send_and_record(message: OutboxMessage) -> OutboxMessage:
    try:
        result = SENDERS[message.channel](message)
    except Exception as exc:  # noqa: BLE001 - a sender bug must not leave the row "sending"
        logger.exception("Outbox message %s: sender raised", message.pk)
        result = SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    now = timezone.now()
    message.last_status_code = result.status_code
    message.claimed_at = None
    if result.ok:
        message.status = OutboxStatus.DELIVERED
        message.delivered_at = now
        message.last_error = ""
    elif result.permanent or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.status = OutboxStatus.DEAD
        message.last_error = result.error
    else:
        message.status = OutboxStatus.PENDING
        message.last_error = result.error
        wait = backoff_seconds(message.attempts)
        if result.retry_after is not None:
            # The receiver said when: honour it (never sooner), bounded by our cap.
            wait = min(max(result.retry_after, 1), settings.OUTBOX_BACKOFF_MAX_SECONDS)
        message.next_attempt_at = now + timedelta(seconds=wait)
    message.save(
        update_fields=[
            "status",
            "delivered_at",
            "last_error",
            "last_status_code",
            "next_attempt_at",
            "claimed_at",
        ]
    )
    if message.status == OutboxStatus.DEAD:
        logger.warning("Outbox message %s is dead: %s", message.pk, message.last_error[:200])
    return message


def sweep(*, limit: int | None = None) -> int:
    """Claim and deliver due messages; returns how many were attempted."""
    now = timezone.now()
    batch = limit or settings.OUTBOX_SWEEP_BATCH
    with transaction.atomic():
        due = OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            # Two sweeps (or a sweep and a deliver task) never pick the same rows.
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    for message in OutboxMessage.objects.select_related("subscription").filter(pk__in=ids):
        _send_and_record(message)
    return len(ids)


@transaction.atomic
def outbox_retry(*, message: OutboxMessage) -> OutboxMessage:
    """Give a dead (or waiting) message a fresh set of attempts, due now."""
    OutboxMessage.objects.filter(
        pk=message.pk, status__in=[OutboxStatus.DEAD, OutboxStatus.PENDING]
    ).update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now())
    message.refresh_from_db()
    pk = message.pk
    transaction.on_commit(lambda: schedule_delivery(pk))
    return message
