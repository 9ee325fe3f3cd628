"""Sending one outbox message over its channel. No database writes here except the webhook log.

Each sender returns a `SendResult`; the outbox decides what happens next (delivered, retry
later, dead). Permanent refusals (a 4xx that retrying cannot fix, an unknown Slack channel, a
refused recipient) are marked so the message goes straight to the dead letters.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from alignment.parsing import is_digits
from integrations import slack_api
from integrations.models import (
    Channel,
    Integration,
    OutboxMessage,
    Provider,
    WebhookDeliveryLog,
)
from integrations.signatures import alignment_signature
from integrations.urlguard import BlockedDestination, pin_public_url

# 4xx answers worth retrying: timeout, conflict-ish, too early, rate limited.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str = ""
    permanent: bool = False
    retry_after: int | None = None


def _retry_after(response: httpx.Response) -> int | None:
    raw = response.headers.get("Retry-After", "").strip()
    return int(raw) if is_digits(raw) else None


def _http_result(response: httpx.Response) -> SendResult:
    code = response.status_code
    if 200 <= code < 300:
        return SendResult(ok=True, status_code=code)
    permanent = 400 <= code < 500 and code not in RETRYABLE_4XX
    return SendResult(
        ok=False,
        status_code=code,
        error=f"HTTP {code}: {response.text[:300]}",
        permanent=permanent,
        retry_after=_retry_after(response) if code in (429, 503) else None,
    )


def webhook_body(message: OutboxMessage) -> bytes:
    """The exact bytes we sign and send: compact JSON of the stored payload."""
    return json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()


def send_webhook(message: OutboxMessage) -> SendResult:
    subscription = message.subscription
    if subscription is None:
        return SendResult(ok=False, error="The subscription was deleted.", permanent=True)
    if not subscription.active:
        return SendResult(ok=False, error="The subscription is paused.", permanent=True)
    try:
        # Checked again at send time (DNS may have changed since the URL was saved), and the
        # connection goes to the address checked, not to a second DNS answer.
        target = pin_public_url(message.destination)
    except BlockedDestination as exc:
        return SendResult(ok=False, error=str(exc), permanent=True)
    body = webhook_body(message)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Alignment-Webhooks/1",
        "X-Alignment-Event": message.event_type,
        "X-Alignment-Delivery": str(message.payload.get("id", "")),
        "X-Alignment-Signature": alignment_signature(
            subscription.signing_secrets(), int(time.time()), body
        ),
    }
    if target.host_header:
        headers["Host"] = target.host_header
    started = time.monotonic()
    result: SendResult
    try:
        with httpx.Client(
            timeout=settings.OUTBOX_HTTP_TIMEOUT_SECONDS, follow_redirects=False
        ) as client:
            request = client.build_request(
                "POST",
                target.url,
                content=body,
                headers=headers,
                extensions={"sni_hostname": target.sni_hostname} if target.sni_hostname else None,
            )
            response = client.send(request)
    except httpx.HTTPError as exc:
        result = SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    else:
        result = _http_result(response)
    WebhookDeliveryLog.objects.create(
        workspace_id=message.workspace_id,
        subscription=subscription,
        message=message,
        attempt=message.attempts,
        response_code=result.status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        error=result.error[:500],
        created_at=timezone.now(),
    )
    return result


def slack_bot_token(workspace_id: int) -> str:
    integration = (
        Integration.objects.for_workspace(workspace_id)
        .filter(provider=Provider.SLACK, active=True)
        .exclude(bot_token="")
        .order_by("pk")
        .first()
    )
    return integration.bot_token if integration else ""


def send_response_url(message: OutboxMessage) -> SendResult:
    """A slash command's answer, POSTed to its `response_url`; only to Slack's own hosts
    (SLACK_RESPONSE_URL_PREFIXES): the URL came in a request body."""
    url = message.destination
    if not any(url.startswith(prefix) for prefix in settings.SLACK_RESPONSE_URL_PREFIXES):
        return SendResult(ok=False, error="The response_url is not a Slack URL.", permanent=True)
    body = {k: v for k, v in message.payload.items() if k != slack_api.METHOD_KEY}
    try:
        response = httpx.post(url, json=body, timeout=settings.OUTBOX_HTTP_TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
    return _http_result(response)


def send_slack(message: OutboxMessage) -> SendResult:
    """One Web API call: chat.postMessage unless the payload names another method
    (chat.update, chat.postEphemeral, chat.unfurl, views.publish; see slack_api.METHOD_KEY)."""
    if message.payload.get(slack_api.METHOD_KEY) == slack_api.RESPONSE_URL:
        return send_response_url(message)
    token = slack_bot_token(message.workspace_id)
    if not token:
        return SendResult(
            ok=False, error="No active Slack integration with a bot token.", permanent=True
        )
    method, body = slack_api.outbox_body(message.destination, message.payload)
    answer = slack_api.call(method, token=token, body=body)
    if answer.ok:
        return SendResult(ok=True, status_code=200)
    if answer.status_code is None:
        return SendResult(ok=False, error=answer.error)
    if answer.status_code != 200 and not answer.data:
        permanent = 400 <= answer.status_code < 500 and answer.status_code not in RETRYABLE_4XX
        return SendResult(
            ok=False,
            status_code=answer.status_code,
            error=answer.error,
            permanent=permanent,
            retry_after=answer.retry_after,
        )
    return SendResult(
        ok=False,
        status_code=answer.status_code,
        error=f"Slack error: {answer.error}",
        permanent=not answer.transient,
        retry_after=answer.retry_after,
    )


def send_email(message: OutboxMessage) -> SendResult:
    payload = message.payload
    try:
        send_mail(
            subject=str(payload.get("subject", "")),
            message=str(payload.get("text", "")),
            from_email=None,
            recipient_list=[message.destination],
            html_message=payload.get("html") or None,
            fail_silently=False,
        )
    except smtplib.SMTPRecipientsRefused as exc:
        return SendResult(ok=False, error=f"Recipient refused: {exc}"[:500], permanent=True)
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    return SendResult(ok=True)


SENDERS: dict[str, Callable[[OutboxMessage], SendResult]] = {
    Channel.WEBHOOK: send_webhook,
    Channel.SLACK: send_slack,
    Channel.EMAIL: send_email,
}
