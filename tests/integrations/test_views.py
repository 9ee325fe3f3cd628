"""Integration pages: admins only, secrets shown once, reprocess, retry, subscriptions."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from alignment.models import AuditEvent
from integrations.models import (
    DeliveryStatus,
    InboundDelivery,
    Integration,
    OutboxMessage,
    OutboxStatus,
    WebhookSubscription,
)
from tests.integrations.conftest import integration_for
from tests.integrations.test_outbox import subscribe
from tests.querycount import assert_flat_queries


def url(world, name: str, **kwargs) -> str:
    return reverse(f"integrations:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def delivery_for(integration: Integration, n: int = 1, **extra) -> InboundDelivery:
    defaults = {
        "workspace": integration.workspace,
        "integration": integration,
        "provider": integration.provider,
        "delivery_id": f"d-{n}",
        "event": "ping",
        "body": "{}",
        "status": DeliveryStatus.FAILED,
    }
    return InboundDelivery.objects.create(**{**defaults, **extra})


def dead_message(world, n: int = 1) -> OutboxMessage:
    return OutboxMessage.objects.create(
        workspace=world.workspace,
        channel="email",
        destination="lead@acme.example.com",
        payload={"subject": "s", "text": "t"},
        dedupe_key=f"m-{n}",
        status=OutboxStatus.DEAD,
        attempts=8,
        last_error="SMTPServerDisconnected",
    )


@pytest.mark.parametrize("page", ["list", "integration_new", "outbox", "subscriptions"])
def test_members_are_refused_the_integration_pages(world, member_client, page):
    assert member_client.get(url(world, page)).status_code == 403


@pytest.mark.parametrize("page", ["list", "integration_new", "outbox", "subscriptions"])
def test_admins_see_the_integration_pages(world, admin_client, page):
    assert admin_client.get(url(world, page)).status_code == 200


def test_creating_a_github_integration_shows_the_secret_once(world, admin_client):
    response = admin_client.post(
        url(world, "integration_new"), {"provider": "github", "name": "acme/api"}
    )
    integration = Integration.objects.get()
    assert response.status_code == 303
    assert response["Location"] == url(world, "integration_secret", integration_id=integration.pk)
    first = admin_client.get(response["Location"])
    assert integration.secret in first.content.decode()
    assert str(integration.uuid) in first.content.decode()
    again = admin_client.get(response["Location"])
    assert again.status_code == 303
    edit = admin_client.get(url(world, "integration_edit", integration_id=integration.pk))
    assert integration.secret not in edit.content.decode()
    assert integration.secret_hint in edit.content.decode()


def test_integration_secret_never_reaches_the_audit_log(world, admin_client):
    admin_client.post(url(world, "integration_new"), {"provider": "github", "name": "acme/api"})
    integration = Integration.objects.get()
    event = AuditEvent.objects.get(verb="integration.created")
    assert integration.secret not in json.dumps([event.before, event.after])


def test_slack_without_a_signing_secret_is_422_and_nothing_is_created(world, admin_client):
    response = admin_client.post(url(world, "integration_new"), {"provider": "slack", "name": "s"})
    assert response.status_code == 422
    assert "signing secret" in response.content.decode()
    assert Integration.objects.count() == 0


def test_rotating_shows_a_new_secret_once(world, admin_client, github):
    old = github.secret
    response = admin_client.post(url(world, "integration_rotate", integration_id=github.pk))
    github.refresh_from_db()
    assert github.secret != old
    page = admin_client.get(response["Location"])
    assert github.secret in page.content.decode()
    assert github.secret_rotated_at is not None


def test_edit_saves_name_pause_and_state_rules(world, admin_client, github):
    response = admin_client.post(
        url(world, "integration_edit", integration_id=github.pk),
        {"name": "renamed", "pr_opened": "", "pr_merged": "done"},
    )
    assert response.status_code == 303
    github.refresh_from_db()
    assert (github.name, github.active) == ("renamed", False)
    assert github.config["state_rules"] == {"pr_opened": "", "pr_merged": "done"}


def test_edit_keeps_per_team_rules_the_form_does_not_show(world, admin_client, github):
    teams = {"ENG": {"pr_opened": ""}}
    github.config = {"state_rules": {"pr_opened": "started", "teams": teams}}
    github.save()

    admin_client.post(
        url(world, "integration_edit", integration_id=github.pk),
        {"name": "renamed", "active": "on", "pr_opened": "started", "pr_merged": "done"},
    )

    github.refresh_from_db()
    assert github.config["state_rules"] == {
        "pr_opened": "started",
        "pr_merged": "done",
        "teams": teams,
    }


def test_another_workspaces_integration_is_404(world, world_b, admin_client):
    theirs = integration_for(world_b, "github", "their-secret-0123456789")
    for name in ["integration_edit", "deliveries", "integration_secret"]:
        assert admin_client.get(url(world, name, integration_id=theirs.pk)).status_code == 404
    response = admin_client.post(url(world, "integration_rotate", integration_id=theirs.pk))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.secret == "their-secret-0123456789"


def test_delivery_log_lists_deliveries_with_their_errors(world, admin_client, github):
    delivery_for(github, error="RuntimeError: database hiccup")
    page = admin_client.get(url(world, "deliveries", integration_id=github.pk))
    assert "RuntimeError: database hiccup" in page.content.decode()


def test_reprocess_runs_the_handler_again(
    world, admin_client, github, django_capture_on_commit_callbacks
):
    delivery = delivery_for(github, error="RuntimeError: database hiccup", attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url(world, "delivery_reprocess", integration_id=github.pk, delivery_id=delivery.pk)
        )
    assert response.status_code == 303
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (
        DeliveryStatus.PROCESSED,
        2,
        "",
    )


def test_reprocessing_another_workspaces_delivery_is_404(world, world_b, admin_client):
    theirs = integration_for(world_b, "github", "their-secret-0123456789")
    delivery = delivery_for(theirs)
    response = admin_client.post(
        url(world, "delivery_reprocess", integration_id=theirs.pk, delivery_id=delivery.pk)
    )
    assert response.status_code == 404
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 0)


def test_delivery_under_another_integration_is_404(world, admin_client, github, gitlab):
    delivery = delivery_for(gitlab)
    response = admin_client.post(
        url(world, "delivery_reprocess", integration_id=github.pk, delivery_id=delivery.pk)
    )
    assert response.status_code == 404


def test_outbox_page_lists_dead_letters(world, admin_client):
    dead_message(world)
    page = admin_client.get(url(world, "outbox") + "?show=dead")
    assert "SMTPServerDisconnected" in page.content.decode()


def test_retrying_a_dead_letter_delivers_it(
    world, admin_client, smtp_inbox, django_capture_on_commit_callbacks
):
    message = dead_message(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(world, "outbox_retry", message_id=message.pk))
    assert response.status_code == 303
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 1)
    assert len(smtp_inbox.envelopes) == 1


def test_member_cannot_retry_a_dead_letter(world, member_client):
    message = dead_message(world)
    response = member_client.post(url(world, "outbox_retry", message_id=message.pk))
    assert response.status_code == 403
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, 8)


def test_retrying_another_workspaces_message_is_404(world, world_b, admin_client):
    message = dead_message(world_b)
    assert admin_client.post(url(world, "outbox_retry", message_id=message.pk)).status_code == 404
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD


def test_subscribing_shows_the_signing_secret_once(world, admin_client):
    response = admin_client.post(
        url(world, "subscriptions"),
        {"url": "https://hooks.example.com/a", "event_types": ["task.created"], "active": "on"},
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["task.created"]
    first = admin_client.get(response["Location"])
    assert subscription.secret in first.content.decode()
    assert admin_client.get(response["Location"]).status_code == 303
    edit = admin_client.get(url(world, "subscription_edit", subscription_id=subscription.pk))
    assert subscription.secret not in edit.content.decode()


def test_subscription_needs_an_event_type(world, admin_client):
    response = admin_client.post(url(world, "subscriptions"), {"url": "https://x.example.com"})
    assert response.status_code == 422
    assert WebhookSubscription.objects.count() == 0


def test_subscription_page_shows_its_delivery_log(
    world, admin_client, http_peer, django_capture_on_commit_callbacks
):
    receiver = http_peer().peer
    subscription = subscribe(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url(world, "subscription_ping", subscription_id=subscription.pk))
    page = admin_client.get(url(world, "subscription_edit", subscription_id=subscription.pk))
    assert len(receiver.received) == 1
    assert 'id="delivery-log"' in page.content.decode()
    assert ">200<" in page.content.decode()


def test_deleting_another_workspaces_subscription_is_404(world, world_b, admin_client):
    theirs = subscribe(world_b, "https://b.example.com")
    response = admin_client.post(url(world, "subscription_delete", subscription_id=theirs.pk))
    assert response.status_code == 404
    assert WebhookSubscription.objects.filter(pk=theirs.pk).exists()


def test_integration_list_queries_do_not_grow(world, admin_client, github):
    def grow():
        for n in range(5):
            extra = integration_for(world, "gitlab", f"token-{n}-0123456789abcdef")
            Integration.objects.filter(pk=extra.pk).update(name=f"gitlab {n}")
            delivery_for(extra, n)

    assert_flat_queries(admin_client, url(world, "list"), grow=grow)


def test_delivery_log_queries_do_not_grow(world, admin_client, github):
    delivery_for(github, 0)
    assert_flat_queries(
        admin_client,
        url(world, "deliveries", integration_id=github.pk),
        grow=lambda: [delivery_for(github, n) for n in range(1, 20)],
    )


def test_outbox_queries_do_not_grow(world, admin_client):
    dead_message(world, 0)
    assert_flat_queries(
        admin_client,
        url(world, "outbox"),
        grow=lambda: [dead_message(world, n) for n in range(1, 20)],
    )


def test_subscription_list_queries_do_not_grow(world, admin_client):
    subscribe(world, "https://a0.example.com")
    assert_flat_queries(
        admin_client,
        url(world, "subscriptions"),
        grow=lambda: [subscribe(world, f"https://a{n}.example.com") for n in range(1, 10)],
    )
