"""The outbox: transactional enqueue, signed webhook delivery to a real local receiver,
backoff, dead letters, and the sweep that catches up after outages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integrations import outbox
from integrations.models import (
    Channel,
    OutboxMessage,
    OutboxStatus,
    WebhookDeliveryLog,
    WebhookSubscription,
)
from integrations.outbox import backoff_seconds, outbox_enqueue
from integrations.tasks import deliver_outbox
from integrations.webhooks import webhook_publish

SECRET = "whsec_test_secret_for_receiver"


def subscribe(world, url: str, events=("task.created",), secret=SECRET) -> WebhookSubscription:
    subscription = WebhookSubscription(workspace=world.workspace, url=url, event_types=list(events))
    subscription.set_secret(secret)
    subscription.save()
    return subscription


def make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_webhook_is_delivered_signed_to_a_verifying_receiver(
    world, http_peer, django_capture_on_commit_callbacks
):
    receiver = http_peer(verify_secret=SECRET).peer
    subscribe(world, receiver.url + "/hook")
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(
            workspace=world.workspace, event_type="task.created", data={"key": "ENG-1"}
        )
    [request] = receiver.received
    assert request.verified is True
    body = json.loads(request.body)
    assert body["type"] == "task.created"
    assert body["data"] == {"key": "ENG-1"}
    assert request.headers["X-Alignment-Event"] == "task.created"
    assert request.headers["X-Alignment-Delivery"] == body["id"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_status_code) == (
        OutboxStatus.DELIVERED,
        1,
        200,
    )
    log = WebhookDeliveryLog.objects.get()
    assert (log.response_code, log.attempt, log.message_id) == (200, 1, message.pk)


def test_receiver_with_another_secret_refuses_and_the_message_waits(
    world, http_peer, django_capture_on_commit_callbacks
):
    receiver = http_peer(verify_secret="whsec_not_ours").peer
    subscribe(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    message.refresh_from_db()
    assert receiver.received[0].verified is False
    # 401 is a permanent refusal: retrying with the same secret cannot help.
    assert (message.status, message.last_status_code) == (OutboxStatus.DEAD, 401)


def test_enqueue_rolls_back_with_the_callers_transaction(world, http_peer):
    receiver = http_peer().peer

    def change_that_fails() -> None:
        with transaction.atomic():
            outbox_enqueue(
                workspace=world.workspace,
                channel=Channel.WEBHOOK,
                destination=receiver.url,
                payload={"id": "evt_1"},
                dedupe_key="k1",
            )
            raise RuntimeError("the change that caused it failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert OutboxMessage.objects.count() == 0
    assert receiver.received == []


def test_delivery_is_enqueued_only_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox_enqueue(
            workspace=world.workspace,
            channel=Channel.EMAIL,
            destination="a@example.com",
            payload={"subject": "s", "text": "t"},
            dedupe_key="k1",
        )
    assert len(callbacks) == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING


def test_same_dedupe_key_twice_is_one_message(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for _ in range(2):
            outbox_enqueue(
                workspace=world.workspace,
                channel=Channel.EMAIL,
                destination="a@example.com",
                payload={},
                dedupe_key="digest:2026-w48:a@example.com",
            )
    assert OutboxMessage.objects.count() == 1
    assert len(callbacks) == 1


def test_receiver_down_then_up_delivers_on_the_sweep(
    world, http_peer, django_capture_on_commit_callbacks
):
    server = http_peer(start=False, verify_secret=SECRET)
    subscribe(world, server.peer.url)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_status_code) == (
        OutboxStatus.PENDING,
        1,
        None,
    )
    assert "ConnectError" in message.last_error
    assert message.next_attempt_at > before
    assert outbox.sweep() == 0  # not due yet: nothing is sent early
    server.start()
    make_due(message)
    assert outbox.sweep() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)
    assert [r.verified for r in server.peer.received] == [True]
    assert list(WebhookDeliveryLog.objects.order_by("attempt").values_list("response_code")) == [
        (None,),
        (200,),
    ]


def test_message_written_while_the_broker_is_down_is_sent_by_the_sweep(
    world, http_peer, django_capture_on_commit_callbacks, monkeypatch
):
    receiver = http_peer(verify_secret=SECRET).peer
    subscribe(world, receiver.url)

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(deliver_outbox, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    assert receiver.received == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert outbox.sweep() == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    assert len(receiver.received) == 1


def test_failing_receiver_makes_the_message_dead_after_max_attempts(
    world, http_peer, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    receiver = http_peer(responses=[(503, {}, {"error": "busy"})]).peer
    subscribe(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    for _ in range(2):
        make_due(message)
        outbox.sweep()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_status_code) == (
        OutboxStatus.DEAD,
        3,
        503,
    )
    make_due(message)
    assert outbox.sweep() == 0
    assert len(receiver.received) == 3


def test_gone_receiver_is_dead_at_once(world, http_peer, django_capture_on_commit_callbacks):
    receiver = http_peer(responses=[(410, {}, {})]).peer
    subscribe(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, 1)


def test_a_claimed_message_is_not_sent_twice(world, http_peer, django_capture_on_commit_callbacks):
    receiver = http_peer().peer
    subscribe(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    assert outbox.deliver(message.pk) is None  # delivered already: nothing to claim
    assert outbox.sweep() == 0
    assert len(receiver.received) == 1


def test_message_stuck_in_sending_is_swept_again(world, http_peer, settings):
    receiver = http_peer().peer
    subscription = subscribe(world, receiver.url)
    message = OutboxMessage.objects.create(
        workspace=world.workspace,
        channel=Channel.WEBHOOK,
        destination=receiver.url,
        payload={"id": "evt_1"},
        dedupe_key="k",
        subscription=subscription,
        status=OutboxStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS + 1),
    )
    assert outbox.sweep() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)


def test_message_being_sent_now_is_left_to_its_worker(world, http_peer):
    receiver = http_peer().peer
    OutboxMessage.objects.create(
        workspace=world.workspace,
        channel=Channel.WEBHOOK,
        destination=receiver.url,
        payload={},
        dedupe_key="k",
        status=OutboxStatus.SENDING,
        claimed_at=timezone.now(),
    )
    assert outbox.sweep() == 0
    assert receiver.received == []


def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 30
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 600
    for attempts, full in [(1, 30), (2, 60), (3, 120), (6, 600), (20, 600)]:
        delays = [backoff_seconds(attempts) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays), (attempts, delays)
    assert len({backoff_seconds(3) for _ in range(20)}) > 1  # jittered, not lock-step


def test_unknown_channel_is_refused(world):
    with pytest.raises(ValueError, match="carrier-pigeon"):
        outbox_enqueue(
            workspace=world.workspace,
            channel="carrier-pigeon",
            destination="x",
            payload={},
            dedupe_key="k",
        )
    assert OutboxMessage.objects.count() == 0
