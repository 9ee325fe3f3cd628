"""Notifications leave through the outbox once the change commits: e-mail to Django's locmem
backend and to a real SMTP server (aiosmtpd), Slack to a local server speaking its Web API."""

from __future__ import annotations

import json
from email import message_from_bytes

from integrations.models import OutboxMessage, OutboxStatus
from integrations.notifications.preferences import preferences_update
from tasks import services as tasks
from tests.factories.work import TaskFactory
from tests.integrations.conftest import load_fixture


def assign(world, capture, title: str = "Fix the login page"):
    task = TaskFactory(team=world.team, title=title)
    with capture(execute=True):  # commit: the outbox asks for delivery on commit
        tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)
    return task


def test_the_assignment_email_arrives_with_links_back(
    world, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://alignment.example.com"

    task = assign(world, django_capture_on_commit_callbacks, title="Fix <b>login</b> & SSO")

    [mail] = mailoutbox
    assert mail.to == [world.member.user.email]
    assert (
        mail.subject
        == f"[Acme Inc] acme admin assigned {task.key} “Fix <b>login</b> & SSO” to you."
    )
    task_link = f"https://alignment.example.com/w/{world.workspace.slug}/tasks/{task.key}/"
    prefs_link = (
        f"https://alignment.example.com/w/{world.workspace.slug}/notifications/preferences/"
    )
    assert "“Fix <b>login</b> & SSO”" in mail.body  # plain text: not HTML-escaped
    assert task_link in mail.body
    assert f"Change them or unsubscribe: {prefs_link}" in mail.body
    html, mime = mail.alternatives[0]
    assert mime == "text/html"
    assert "Fix &lt;b&gt;login&lt;/b&gt; &amp; SSO" in html  # HTML: escaped
    assert f'<a href="{task_link}">Open it in Alignment</a>' in html
    assert prefs_link in html
    assert OutboxMessage.objects.get().status == OutboxStatus.DELIVERED


def test_a_mention_email_quotes_the_comment(world, mailoutbox, django_capture_on_commit_callbacks):
    task = TaskFactory(team=world.team)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.task_comment_add(actor=world.admin, task=task, body="@member please review")

    [mail] = mailoutbox
    assert "> @member please review" in mail.body


def test_nothing_is_sent_before_commit(world, mailoutbox):
    task = TaskFactory(team=world.team)

    tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    assert mailoutbox == []
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING


def test_email_turned_off_sends_nothing(world, mailoutbox, django_capture_on_commit_callbacks):
    preferences_update(actor=world.member, choices={"assigned": {"email": False}})

    assign(world, django_capture_on_commit_callbacks)

    assert mailoutbox == []


def test_the_email_reaches_a_real_smtp_server(
    world, smtp_inbox, django_capture_on_commit_callbacks
):
    task = assign(world, django_capture_on_commit_callbacks)

    [envelope] = smtp_inbox.envelopes
    assert envelope.rcpt_tos == [world.member.user.email]
    mail = message_from_bytes(envelope.content)
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in mail.walk()
        if not p.is_multipart()
    }
    assert f"/tasks/{task.key}/" in parts["text/plain"]
    assert "Change them or unsubscribe" in parts["text/html"]


def test_slack_gets_a_direct_message_with_the_bot_token(
    world, slack, http_peer, fixtures_dir, settings, django_capture_on_commit_callbacks
):
    fixture = load_fixture(fixtures_dir, "slack/chat_postMessage__ok_docs_example.json")
    api = http_peer(responses=[(fixture["status"], fixture["headers"], fixture["body"])]).peer
    settings.SLACK_API_BASE = api.url + "/api"
    settings.SITE_URL = "https://alignment.example.com"
    preferences_update(
        actor=world.member, choices={"assigned": {"email": False}}, slack_user_id="U012AB3CD"
    )

    task = assign(world, django_capture_on_commit_callbacks, title="Fix <login> & SSO")

    [request] = api.received
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == "Bearer xoxb-test-bot-token-1234"
    body = json.loads(request.body)
    assert body["channel"] == "U012AB3CD"
    link = f"https://alignment.example.com/w/{world.workspace.slug}/tasks/{task.key}/"
    assert body["text"].startswith(f"acme admin assigned {task.key} “Fix &lt;login&gt; &amp; SSO”")
    assert f"<{link}|Open in Alignment>" in body["text"]
    [message] = OutboxMessage.objects.all()
    assert (message.channel, message.status) == ("slack", OutboxStatus.DELIVERED)


def test_no_slack_message_without_a_slack_id(world, slack, django_capture_on_commit_callbacks):
    assign(world, django_capture_on_commit_callbacks)

    assert list(OutboxMessage.objects.values_list("channel", flat=True)) == ["email"]
