"""Slack's Web API: the one client every call goes through, from the outbox or directly.

Slack answers most refusals with HTTP 200 and `{"ok": false, "error": "channel_not_found"}`,
rate limits with 429 and `Retry-After`. `call()` turns every answer into a `SlackAnswer` and
never raises, so the outbox can decide between retry and dead letter, and an interactive
caller can record the error on its delivery.

Two kinds of callers (docs/integrations.md, "Slack"):
- notifications and answers to events (chat.postMessage, chat.update, chat.postEphemeral,
  chat.unfurl, views.publish) are outbox rows: retried with backoff, never lost;
- answers that must reach Slack while a `trigger_id` lives (views.open, 3 s) and look-ups
  (users.info) are direct, with `SLACK_INTERACTIVE_TIMEOUT_SECONDS` as the bound.

The base URL is `SLACK_API_BASE`, so tests point it at a local server speaking this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from alignment.parsing import is_digits

# Slack errors that are about Slack, not about our request: worth a retry.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Methods read with GET and query parameters; every other method is a JSON POST.
READ_METHODS = frozenset({"users.info"})
# The outbox keeps the method in the payload under this key (absent: chat.postMessage), and
# the destination goes in this field of the body (absent: "channel").
METHOD_KEY = "api_method"
# Not a Web API method: the outbox POSTs the body to the destination, a command's
# `response_url` (hooks.slack.com), which needs no token.
RESPONSE_URL = "response_url"
DESTINATION_FIELD = {"views.publish": "user_id"}


@dataclass(frozen=True)
class SlackAnswer:
    ok: bool
    status_code: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    retry_after: int | None = None

    @property
    def transient(self) -> bool:
        """Worth trying again later: transport failures, 5xx, 429 and Slack's own troubles."""
        if self.ok:
            return False
        if self.status_code is None or self.status_code >= 500 or self.status_code == 429:
            return True
        return self.error in TRANSIENT_ERRORS


def api_url(method: str) -> str:
    return f"{settings.SLACK_API_BASE.rstrip('/')}/{method}"


def interactive_timeout() -> float:
    return float(settings.SLACK_INTERACTIVE_TIMEOUT_SECONDS)


def call(
    method: str, *, token: str, body: dict[str, Any], timeout: float | None = None
) -> SlackAnswer:
    """Call one Web API method with the bot token; never raises."""
    if not token:
        return SlackAnswer(ok=False, error="no_bot_token")
    headers = {"Authorization": f"Bearer {token}"}
    seconds = settings.OUTBOX_HTTP_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        if method in READ_METHODS:
            response = httpx.get(api_url(method), params=body, headers=headers, timeout=seconds)
        else:
            # Slack reads JSON bodies only with an explicit charset.
            headers["Content-Type"] = "application/json; charset=utf-8"
            response = httpx.post(api_url(method), json=body, headers=headers, timeout=seconds)
    except httpx.HTTPError as exc:
        return SlackAnswer(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    raw_wait = response.headers.get("Retry-After", "").strip()
    retry_after = int(raw_wait) if is_digits(raw_wait) else None
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return SlackAnswer(
            ok=False,
            status_code=response.status_code,
            error=f"HTTP {response.status_code}: no JSON answer",
            retry_after=retry_after,
        )
    if response.status_code == 200 and data.get("ok"):
        return SlackAnswer(ok=True, status_code=200, data=data)
    return SlackAnswer(
        ok=False,
        status_code=response.status_code,
        data=data,
        error=str(data.get("error") or f"HTTP {response.status_code}"),
        retry_after=retry_after,
    )


def outbox_body(destination: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method and body of a stored Slack outbox payload (see METHOD_KEY)."""
    body = {k: v for k, v in payload.items() if k != METHOD_KEY}
    method = str(payload.get(METHOD_KEY) or "chat.postMessage")
    if not destination:  # e.g. an unfurl in the composer, named by its unfurl_id
        return method, body
    return method, {DESTINATION_FIELD.get(method, "channel"): destination, **body}
