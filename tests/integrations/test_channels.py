"""Slack's Web API (a local server speaking it, with 429 + Retry-After) and real SMTP."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes

from django.utils import timezone

from integrations import outbox
from integrations.models import Channel, OutboxMessage, OutboxStatus
from integrations.outbox import outbox_enqueue
from tests.integrations.conftest import free_port, load_fixture


def _slack_message(world, capture) -> OutboxMessage:
    with capture(execute=True):
        message = outbox_enqueue(
            workspace=world.workspace,
            channel=Channel.SLACK,
            destination="C1H9RESGL",
            payload={"text": "ENG-12 moved to Done"},
            dedupe_key="slack:1",
        )
    message.refresh_from_db()
    return message


def _slack_api(http_peer, fixtures_dir, settings, *responses: str):
    """A local Slack Web API answering with the shared fixtures, in order."""
    answers = []
    for name in responses:
        fixture = load_fixture(fixtures_dir, f"slack/{name}.json")
        answers.append((fixture["status"], fixture["headers"], fixture["body"]))
    peer = http_peer(responses=answers).peer
    settings.SLACK_API_BASE = peer.url + "/api"
    return peer


def test_slack_message_is_posted_with_the_bot_token(
    world, slack, http_peer, fixtures_dir, settings, django_capture_on_commit_callbacks
):
    api = _slack_api(http_peer, fixtures_dir, settings, "chat_postMessage__ok_docs_example")
    message = _slack_message(world, django_capture_on_commit_callbacks)
    [request] = api.received
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == "Bearer xoxb-test-bot-token-1234"
    assert json.loads(request.body) == {"channel": "C1H9RESGL", "text": "ENG-12 moved to Done"}
    assert (message.status, message.last_status_code) == (OutboxStatus.DELIVERED, 200)


def test_slack_rate_limit_waits_for_retry_after_then_succeeds(
    world, slack, http_peer, fixtures_dir, settings, django_capture_on_commit_callbacks
):
    api = _slack_api(
        http_peer,
        fixtures_dir,
        settings,
        "chat_postMessage__rate_limited",
        "chat_postMessage__ok_docs_example",
    )
    before = timezone.now()
    message = _slack_message(world, django_capture_on_commit_callbacks)
    assert (message.status, message.last_status_code) == (OutboxStatus.PENDING, 429)
    wait = (message.next_attempt_at - before).total_seconds()
    assert 30 <= wait < 32  # Retry-After: 30, not our own backoff
    assert outbox.sweep() == 0  # too early
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert outbox.sweep() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)
    assert len(api.received) == 2


def test_slack_permanent_error_is_dead_at_once(
    world, slack, http_peer, settings, django_capture_on_commit_callbacks
):
    api = http_peer(responses=[(200, {}, {"ok": False, "error": "channel_not_found"})]).peer
    settings.SLACK_API_BASE = api.url
    message = _slack_message(world, django_capture_on_commit_callbacks)
    assert (message.status, message.last_error) == (
        OutboxStatus.DEAD,
        "Slack error: channel_not_found",
    )


def test_slack_message_without_a_bot_token_is_dead(world, django_capture_on_commit_callbacks):
    message = _slack_message(world, django_capture_on_commit_callbacks)
    assert message.status == OutboxStatus.DEAD
    assert message.last_error == "No active Slack integration with a bot token."


def test_email_reaches_a_real_smtp_server_as_html_and_text(
    world, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(
            workspace=world.workspace,
            channel=Channel.EMAIL,
            destination="lead@acme.example.com",
            payload={
                "subject": "Weekly digest",
                "text": "2 objectives moved.",
                "html": "<p>2 objectives <b>moved</b>.</p>",
            },
            dedupe_key="email:1",
        )
    [envelope] = smtp_inbox.envelopes
    assert envelope.rcpt_tos == ["lead@acme.example.com"]
    mail = message_from_bytes(envelope.content)
    assert mail["Subject"] == "Weekly digest"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in mail.walk()
        if not p.is_multipart()
    }
    assert parts["text/plain"].strip() == "2 objectives moved."
    assert parts["text/html"].strip() == "<p>2 objectives <b>moved</b>.</p>"
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


def test_email_with_the_smtp_server_down_waits_for_a_retry(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(
            workspace=world.workspace,
            channel=Channel.EMAIL,
            destination="lead@acme.example.com",
            payload={"subject": "s", "text": "t"},
            dedupe_key="email:1",
        )
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "ConnectionRefusedError" in message.last_error
