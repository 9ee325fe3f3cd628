"""Writes with rules for integrations. Keyword-only, actor first, one transaction each.

Secrets are returned to the caller once (to show once) and never put in the audit log:
audit snapshots carry the hint ("…a1f3") only.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_by, audit_change, audit_created, audited_delete, snapshot
from alignment.errors import Conflict, FieldErrors
from alignment.guards import require_admin
from alignment.models import Membership
from integrations import deployment_settings, outbox, webhooks
from integrations.inbound import enqueue_processing
from integrations.models import (
    DeliveryStatus,
    InboundDelivery,
    Integration,
    OutboxMessage,
    OutboxStatus,
    Provider,
    WebhookSubscription,
)
from integrations.urlguard import BlockedDestination, check_public_url

INTEGRATION_FIELDS = ["name", "provider", "active", "secret_hint", "bot_token_hint"]
SUBSCRIPTION_FIELDS = ["url", "description", "event_types", "active", "secret_hint"]
# Providers people can connect from the pages; "webhook" is for outbound subscriptions.
CONNECTABLE = (Provider.GITHUB, Provider.GITLAB, Provider.SLACK)


def new_integration_secret() -> str:
    return secrets.token_hex(24)


def _save_integration(integration: Integration) -> None:
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "Another integration already has this name."}) from exc


@transaction.atomic
def integration_create(
    *, actor: Membership, provider: str, name: str, secret: str = "", bot_token: str = ""
) -> tuple[Integration, str]:
    """Connect a provider (admin). Returns the integration and its secret, to show once.

    GitHub and GitLab get a generated secret unless one is given; Slack's signing secret
    comes from the Slack app's settings, so it is required.
    """
    require_admin(actor)
    if provider not in CONNECTABLE:
        raise FieldErrors({"provider": "Choose GitHub, GitLab or Slack."})
    name = name.strip()
    if not name:
        raise FieldErrors({"name": "Give the integration a name."})
    secret = secret.strip()
    if provider == Provider.SLACK and not secret:
        raise FieldErrors({"secret": "Paste the signing secret from your Slack app's settings."})
    if secret and len(secret) < 16:
        raise FieldErrors({"secret": "Use at least 16 characters."})
    raw = secret or new_integration_secret()
    integration = Integration(
        workspace=actor.workspace, provider=provider, name=name, created_by=actor.user
    )
    integration.set_secret(raw)
    if bot_token.strip():
        integration.set_bot_token(bot_token.strip())
    _save_integration(integration)
    audit_created(actor, verb="integration.created", obj=integration, fields=INTEGRATION_FIELDS)
    return integration, raw


# A Slack channel ID (C0123ABCD, G…) or a channel name (#leadership, leadership).
SLACK_CHANNEL = re.compile(r"^(?:[CG][A-Z0-9]{6,20}|#?[a-z0-9][a-z0-9._-]{0,79})$")


def _with_digest_channel(integration: Integration, channel: str) -> dict[str, Any]:
    config = {k: v for k, v in integration.config.items() if k != "digest_channel"}
    if not channel:
        return config
    if integration.provider != Provider.SLACK:
        raise FieldErrors({"digest_channel": "Only a Slack connection posts the digest."})
    if not SLACK_CHANNEL.match(channel):
        raise FieldErrors(
            {"digest_channel": "Use the channel ID (C0123ABCD) or its name (#leadership)."}
        )
    return {**config, "digest_channel": channel}


@transaction.atomic
def integration_update(
    *,
    actor: Membership,
    integration: Integration,
    name: str,
    active: bool,
    bot_token: str = "",
    state_rules: dict[str, Any] | None = None,
    digest_channel: str | None = None,
    deployments: dict[str, str] | None = None,
) -> Integration:
    """Rename, pause/resume, or replace the Slack bot token (an empty token keeps the old).
    `digest_channel` (Slack only) is where the weekly digest is posted; '' turns that off."""
    require_admin(actor)
    before = snapshot(integration, INTEGRATION_FIELDS)
    name = name.strip()
    if not name:
        raise FieldErrors({"name": "Give the integration a name."})
    integration.name, integration.active = name, active
    if bot_token.strip():
        integration.set_bot_token(bot_token.strip())
    if state_rules is not None:
        # Merge, so per-team overrides ("teams": {...}) that the form does not show survive.
        current = integration.config.get("state_rules") or {}
        integration.config = {
            **integration.config,
            "state_rules": {**current, **state_rules},
        }
    if digest_channel is not None:
        integration.config = _with_digest_channel(integration, digest_channel.strip())
    if deployments is not None:
        # The page's text fields (deployment_settings.FORM_FIELDS), checked against the teams.
        deploy_config = deployment_settings.config_from_form(integration.workspace_id, deployments)
        integration.config = {**integration.config, deployment_settings.CONFIG_KEY: deploy_config}
    _save_integration(integration)
    audit_change(
        actor, verb="integration.updated", obj=integration, before=before, fields=INTEGRATION_FIELDS
    )
    return integration


@transaction.atomic
def integration_rotate_secret(
    *, actor: Membership, integration: Integration, secret: str = ""
) -> tuple[Integration, str]:
    """Replace the secret; the provider must be given the new one (shown once)."""
    require_admin(actor)
    secret = secret.strip()
    if integration.provider == Provider.SLACK and not secret:
        raise FieldErrors({"secret": "Paste the new signing secret from Slack."})
    if secret and len(secret) < 16:
        raise FieldErrors({"secret": "Use at least 16 characters."})
    before = snapshot(integration, INTEGRATION_FIELDS)
    raw = secret or new_integration_secret()
    integration.set_secret(raw)
    integration.secret_rotated_at = timezone.now()
    integration.save(update_fields=["secret", "secret_hint", "secret_rotated_at"])
    audit_change(
        actor,
        verb="integration.secret_rotated",
        obj=integration,
        before=before,
        fields=INTEGRATION_FIELDS,
    )
    return integration, raw


@transaction.atomic
def integration_delete(*, actor: Membership, integration: Integration) -> None:
    require_admin(actor)
    audited_delete(actor, verb="integration.deleted", obj=integration, fields=INTEGRATION_FIELDS)


@transaction.atomic
def delivery_reprocess(*, actor: Membership, delivery: InboundDelivery) -> InboundDelivery:
    """Run a stored delivery's handler again (admin); handlers upsert, so this is safe."""
    require_admin(actor)
    updated = (
        InboundDelivery.objects.filter(pk=delivery.pk)
        .exclude(status=DeliveryStatus.RECEIVED)
        .update(status=DeliveryStatus.RECEIVED, error="")
    )
    if not updated:
        raise Conflict("This delivery is already waiting to be processed.")
    audit_by(
        actor,
        verb="integration.delivery_reprocessed",
        obj=delivery,
        before={"status": delivery.status},
    )
    pk = delivery.pk
    transaction.on_commit(lambda: enqueue_processing(pk))
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def outbox_message_retry(*, actor: Membership, message: OutboxMessage) -> OutboxMessage:
    """Send a dead or waiting message again now, with a fresh set of attempts (admin)."""
    require_admin(actor)
    if message.status not in (OutboxStatus.DEAD, OutboxStatus.PENDING):
        raise Conflict(f"This message is {message.get_status_display().lower()}; nothing to retry.")
    before = {"status": message.status, "attempts": message.attempts}
    message = outbox.outbox_retry(message=message)
    audit_by(
        actor,
        verb="outbox.retried",
        obj=message,
        before=before,
    )
    return message


def _clean_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(webhooks.EVENT_TYPES))
    if unknown:
        raise FieldErrors({"event_types": f"Unknown event types: {', '.join(unknown)}."})
    if not event_types:
        raise FieldErrors({"event_types": "Choose at least one event type."})
    return [e for e in webhooks.EVENT_TYPES if e in set(event_types)]


def _clean_url(url: str) -> str:
    url = url.strip()
    allowed = ("https://", "http://") if settings.WEBHOOKS_ALLOW_HTTP else ("https://",)
    if not url.startswith(allowed):
        raise FieldErrors({"url": "Use an https:// URL."})
    try:
        check_public_url(url)
    except BlockedDestination as exc:
        raise FieldErrors({"url": str(exc)}) from exc
    return url


@transaction.atomic
def subscription_create(
    *, actor: Membership, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to event types (admin). Returns the signing secret, to show once."""
    require_admin(actor)
    subscription = WebhookSubscription(
        workspace=actor.workspace,
        url=_clean_url(url),
        description=description.strip(),
        event_types=_clean_event_types(event_types),
        created_by=actor.user,
    )
    raw = webhooks.new_webhook_secret()
    subscription.set_secret(raw)
    subscription.save()
    audit_created(actor, verb="webhook.created", obj=subscription, fields=SUBSCRIPTION_FIELDS)
    return subscription, raw


@transaction.atomic
def subscription_update(
    *,
    actor: Membership,
    subscription: WebhookSubscription,
    url: str,
    event_types: list[str],
    description: str = "",
    active: bool = True,
) -> WebhookSubscription:
    require_admin(actor)
    before = snapshot(subscription, SUBSCRIPTION_FIELDS)
    subscription.url = _clean_url(url)
    subscription.event_types = _clean_event_types(event_types)
    subscription.description = description.strip()
    subscription.active = active
    subscription.save()
    audit_change(
        actor, verb="webhook.updated", obj=subscription, before=before, fields=SUBSCRIPTION_FIELDS
    )
    return subscription


@transaction.atomic
def subscription_rotate_secret(
    *, actor: Membership, subscription: WebhookSubscription
) -> tuple[WebhookSubscription, str]:
    """A new signing secret (shown once); the old one also signs for WEBHOOK_SECRET_OVERLAP."""
    require_admin(actor)
    before = snapshot(subscription, SUBSCRIPTION_FIELDS)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + timedelta(
        seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS
    )
    raw = webhooks.new_webhook_secret()
    subscription.set_secret(raw)
    subscription.save()
    audit_change(
        actor,
        verb="webhook.secret_rotated",
        obj=subscription,
        before=before,
        fields=SUBSCRIPTION_FIELDS,
    )
    return subscription, raw


@transaction.atomic
def subscription_delete(*, actor: Membership, subscription: WebhookSubscription) -> None:
    require_admin(actor)
    audited_delete(actor, verb="webhook.deleted", obj=subscription, fields=SUBSCRIPTION_FIELDS)


@transaction.atomic
def subscription_ping(*, actor: Membership, subscription: WebhookSubscription) -> OutboxMessage:
    """Send a test `ping` event to one subscription (admin)."""
    require_admin(actor)
    return webhooks.webhook_ping(subscription=subscription)
