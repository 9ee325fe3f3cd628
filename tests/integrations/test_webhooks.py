"""Publishing events to subscriptions, and rotating a subscription's signing secret."""

from __future__ import annotations

import json

import pytest

from integrations import services
from integrations.models import OutboxMessage
from integrations.signatures import alignment_verify
from integrations.webhooks import webhook_publish
from tests.integrations.test_outbox import subscribe


def test_event_fans_out_to_active_subscriptions_that_want_it(world):
    wants = subscribe(world, "https://a.example.com", events=["task.created", "task.updated"])
    also = subscribe(world, "https://b.example.com", events=["task.created"])
    subscribe(world, "https://c.example.com", events=["checkin.created"])
    paused = subscribe(world, "https://d.example.com", events=["task.created"])
    paused.active = False
    paused.save()
    messages = webhook_publish(
        workspace=world.workspace, event_type="task.created", data={"key": "ENG-1"}
    )
    assert {m.subscription_id for m in messages} == {wants.pk, also.pk}
    assert len({m.payload["id"] for m in messages}) == 1  # one event id for every receiver


def test_other_workspaces_subscriptions_get_nothing(world, world_b):
    subscribe(world_b, "https://b.example.com", events=["task.created"])
    assert webhook_publish(workspace=world.workspace, event_type="task.created", data={}) == []
    assert OutboxMessage.objects.count() == 0


def test_unknown_event_type_is_refused(world):
    with pytest.raises(ValueError, match="task.exploded"):
        webhook_publish(workspace=world.workspace, event_type="task.exploded", data={})


def test_rotated_secret_is_new_and_the_old_one_still_signs_for_a_while(
    world, http_peer, django_capture_on_commit_callbacks
):
    old_secret = "whsec_old_secret_value"
    receiver = http_peer(verify_secret=old_secret).peer
    subscription = subscribe(world, receiver.url, secret=old_secret)
    subscription, new_secret = services.subscription_rotate_secret(
        actor=world.admin, subscription=subscription
    )
    assert new_secret != old_secret
    assert new_secret.startswith("whsec_")
    assert subscription.secret_hint == "…" + new_secret[-4:]
    with django_capture_on_commit_callbacks(execute=True):
        webhook_publish(workspace=world.workspace, event_type="task.created", data={})
    [request] = receiver.received
    assert request.verified is True  # a receiver still on the old secret keeps working
    header = request.headers["X-Alignment-Signature"]
    assert alignment_verify(new_secret, request.body, header)
    assert json.loads(request.body)["type"] == "task.created"


def test_after_the_overlap_only_the_new_secret_signs(world, settings):
    settings.WEBHOOK_SECRET_OVERLAP_SECONDS = 0
    subscription = subscribe(world, "https://a.example.com")
    subscription, new_secret = services.subscription_rotate_secret(
        actor=world.admin, subscription=subscription
    )
    assert subscription.signing_secrets() == [new_secret]


def test_rotation_is_audited_without_the_secret(world):
    from alignment.models import AuditEvent

    subscription = subscribe(world, "https://a.example.com")
    _, raw = services.subscription_rotate_secret(actor=world.admin, subscription=subscription)
    event = AuditEvent.objects.get(verb="webhook.secret_rotated")
    assert raw not in json.dumps([event.before, event.after])
    assert event.after["secret_hint"] == "…" + raw[-4:]
