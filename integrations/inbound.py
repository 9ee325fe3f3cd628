"""One pipeline for every provider's webhooks: verify → store → answer fast → process later.

    receive()  runs in the request: finds the integration by its uuid, checks the signature,
               parses just enough to name the event, stores the delivery under the provider's
               unique id and enqueues `integrations.process_delivery` on commit. No handler
               runs here, so the endpoint answers in milliseconds -- except the few registered
               `inline` (Slack's modals: a trigger_id lives 3 s), processed right after the
               delivery is stored, whose handler's return value is the answer.
    process()  runs in a Celery task: locks the row, runs the registered handler once, and
               records the outcome (processed / ignored / failed with the error).

Bodies that fail the signature check are never stored (anyone can send them); they are only
counted on the integration, for its health. Neither are bodies over `HOOK_MAX_BODY_BYTES`
(25 MB, GitHub's own cap): they get a JSON 413 and are counted too. The hook endpoints read
the body themselves, so Django's global DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, for forms) does not
apply to them. Secrets and signature headers are never logged.

Embedded setup (eager Celery, no worker or beat): processing runs right after the commit, with
a bounded retry when the database is busy; a delivery still "received" after that is caught up
by the next delivery to the integration or the next load of its pages (`catch_up`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from integrations import signatures
from integrations.models import DeliveryStatus, InboundDelivery, Integration, Provider
from integrations.registry import DeliveryIgnored, guard_for, handler_for, runs_inline

logger = logging.getLogger(__name__)

# Headers worth keeping for the delivery log. Signatures and tokens are deliberately absent.
KEPT_HEADERS: dict[str, list[str]] = {
    Provider.GITHUB: [
        "X-GitHub-Event",
        "X-GitHub-Delivery",
        "X-GitHub-Hook-ID",
        "X-GitHub-Hook-Installation-Target-Type",
        "User-Agent",
        "Content-Type",
    ],
    Provider.GITLAB: [
        "X-Gitlab-Event",
        "X-Gitlab-Event-UUID",
        "X-Gitlab-Webhook-UUID",
        "Idempotency-Key",
        "X-Gitlab-Instance",
        "User-Agent",
        "Content-Type",
    ],
    Provider.SLACK: [
        "X-Slack-Request-Timestamp",
        "X-Slack-Retry-Num",
        "X-Slack-Retry-Reason",
        "User-Agent",
        "Content-Type",
    ],
}


class MalformedDelivery(Exception):
    """The body or a required header cannot be read: 400."""


class BodyTooLarge(Exception):
    """The body is over the hook endpoints' limit: 413."""


DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
IMMEDIATE_RETRIES = 3  # eager processing attempts when the database is busy
CATCH_UP_AFTER = timedelta(seconds=30)


def max_body_bytes() -> int:
    return int(getattr(settings, "HOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def hook_body(request: HttpRequest) -> bytes:
    """The raw body, up to the hook limit, read without Django's global form-size check."""
    limit = max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLarge
    cached = getattr(request, "_body", None)
    if cached is not None:
        body = bytes(cached)
    else:
        # read() goes to the stream directly; request.body would refuse anything over
        # DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400.
        body = request.read(limit + 1)
        request._body = body  # later readers see the same bytes
    if len(body) > limit:
        raise BodyTooLarge
    return body


@dataclass(frozen=True)
class Parsed:
    delivery_id: str
    event: str
    action: str
    payload: Any


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(f"The body is not valid JSON: {exc}") from exc


def _parse_github(request: HttpRequest, body: bytes) -> Parsed:
    event = request.headers.get("X-GitHub-Event", "").strip()
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    if not event or not delivery_id:
        raise MalformedDelivery("X-GitHub-Event and X-GitHub-Delivery headers are required.")
    payload = _json(body)
    action = payload.get("action", "") if isinstance(payload, dict) else ""
    return Parsed(delivery_id[:200], event[:100], str(action or "")[:100], payload)


def _parse_gitlab(request: HttpRequest, body: bytes) -> Parsed:
    event = request.headers.get("X-Gitlab-Event", "").strip()
    if not event:
        raise MalformedDelivery("The X-Gitlab-Event header is required.")
    # Idempotency-Key is per delivery and reused on retries (GitLab 17.4+); older GitLab sends
    # only the event UUID; without either, the body's hash stands in.
    delivery_id = (
        request.headers.get("Idempotency-Key", "").strip()
        or request.headers.get("X-Gitlab-Event-UUID", "").strip()
        or "sha256:" + hashlib.sha256(body).hexdigest()
    )
    payload = _json(body)
    action = ""
    if isinstance(payload, dict) and isinstance(payload.get("object_attributes"), dict):
        action = str(payload["object_attributes"].get("action") or "")
    return Parsed(delivery_id[:200], event[:100], action[:100], payload)


def _slack_delivery_id(timestamp: str, body: bytes, payload: Any) -> str:
    """Slack's own id of the request: `event_id` (Events API; a retry reuses it with a new
    timestamp) or `trigger_id` (commands, shortcuts, buttons, modal submissions: one per user
    action). Without either, timestamp + body, unique per request within the signature window.
    """
    if isinstance(payload, dict):
        if payload.get("event_id"):
            return f"event:{payload['event_id']}"[:200]
        if payload.get("trigger_id"):
            return f"trigger:{payload['trigger_id']}"[:200]
    return "sha256:" + hashlib.sha256(timestamp.encode() + b":" + body).hexdigest()


def _parse_slack(request: HttpRequest, body: bytes) -> Parsed:
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json"):
        payload = _json(body)
        if not isinstance(payload, dict):
            raise MalformedDelivery("The body must be a JSON object.")
        delivery_id = _slack_delivery_id(timestamp, body, payload)
        event = str(payload.get("type") or "")
        if event == "event_callback" and isinstance(payload.get("event"), dict):
            return Parsed(delivery_id, event, str(payload["event"].get("type") or ""), payload)
        return Parsed(delivery_id, event[:100], "", payload)
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError as exc:
        raise MalformedDelivery("The form body is not UTF-8.") from exc
    if "payload" in form:
        interaction = _json(form["payload"].encode())
        if not isinstance(interaction, dict):
            raise MalformedDelivery("The interaction payload must be a JSON object.")
        delivery_id = _slack_delivery_id(timestamp, body, interaction)
        return Parsed(delivery_id, str(interaction.get("type") or "")[:100], "", interaction)
    if "command" in form:
        delivery_id = _slack_delivery_id(timestamp, body, form)
        return Parsed(delivery_id, "slash_command", form["command"][:100], form)
    raise MalformedDelivery("A Slack request carries a command, a payload or a JSON event.")


PARSERS = {
    Provider.GITHUB: _parse_github,
    Provider.GITLAB: _parse_gitlab,
    Provider.SLACK: _parse_slack,
}


def _verified(integration: Integration, request: HttpRequest, body: bytes) -> bool:
    headers = request.headers
    if integration.provider == Provider.GITHUB:
        return signatures.github_verify(
            integration.secret, body, headers.get("X-Hub-Signature-256")
        )
    if integration.provider == Provider.GITLAB:
        return signatures.gitlab_verify(integration.secret, headers.get("X-Gitlab-Token"))
    if integration.provider == Provider.SLACK:
        return signatures.slack_verify(
            integration.secret,
            body,
            headers.get("X-Slack-Request-Timestamp"),
            headers.get("X-Slack-Signature"),
        )
    return False


def _kept_headers(provider: str, request: HttpRequest) -> dict[str, str]:
    return {
        name: request.headers[name][:300]
        for name in KEPT_HEADERS.get(provider, [])
        if name in request.headers
    }


def _answer(status: int, message: str, **extra: object) -> JsonResponse:
    return JsonResponse({"status": message, **extra}, status=status)


def receive(request: HttpRequest, provider: str, integration_uuid: uuid.UUID) -> HttpResponse:
    """Verify, store and enqueue one delivery; the HTTP answer the provider gets."""
    integration = (
        Integration.objects.filter(uuid=integration_uuid, provider=provider, active=True)
        .only("pk", "workspace_id", "provider", "secret")
        .first()
    )
    if integration is None:
        return _answer(404, "unknown integration")
    body = _verified_body(integration, request, provider)
    if isinstance(body, HttpResponse):
        return body
    try:
        parsed = PARSERS[Provider(provider)](request, body)
    except MalformedDelivery as exc:
        return _answer(400, "malformed", error=str(exc))

    if provider == Provider.SLACK and parsed.event == "url_verification":
        # Slack's one-time handshake when the Events URL is saved: echo the challenge.
        return JsonResponse({"challenge": str(parsed.payload.get("challenge", ""))})

    known = handler_for(provider, parsed.event) is not None
    inline = known and runs_inline(provider, parsed.event, parsed.payload)
    delivery = _store(integration, request, parsed, body, known=known, inline=inline)
    if isinstance(delivery, HttpResponse):
        return delivery
    reply = process_inline(delivery.pk) if inline else None
    if eager():
        catch_up(integration.pk, exclude=delivery.pk)
    if provider == Provider.SLACK:
        # Slack wants a 200 within 3 s; an empty body acknowledges without posting anything.
        # Commands answer later through their response_url; an inline handler (a modal's
        # submission) may answer with JSON (field errors, the next view).
        return JsonResponse(reply) if reply else HttpResponse(status=200)
    return _answer(202, "accepted" if known else "ignored", delivery=delivery.pk)


def _verified_body(
    integration: Integration, request: HttpRequest, provider: str
) -> bytes | HttpResponse:
    """The body, or the refusal of a body too large or badly signed (counted for health)."""
    try:
        body = hook_body(request)
    except BodyTooLarge:
        Integration.objects.filter(pk=integration.pk).update(
            oversize_count=F("oversize_count") + 1, last_oversize_at=timezone.now()
        )
        logger.warning("Refused a %s delivery over %s bytes", provider, max_body_bytes())
        return _answer(
            413,
            "payload too large",
            error=f"Webhook bodies are limited to {max_body_bytes() // (1024 * 1024)} MB.",
            limit_bytes=max_body_bytes(),
        )
    if not _verified(integration, request, body):
        Integration.objects.filter(pk=integration.pk).update(
            bad_signature_count=F("bad_signature_count") + 1,
            last_bad_signature_at=timezone.now(),
        )
        logger.warning("Refused a %s delivery with a bad signature", provider)
        return _answer(401, "invalid signature")
    return body


def _store(
    integration: Integration,
    request: HttpRequest,
    parsed: Parsed,
    body: bytes,
    *,
    known: bool,
    inline: bool,
) -> InboundDelivery | HttpResponse:
    """The stored delivery (a redelivery counted; a failed one run again), queued unless it
    runs inline; or the answer to a redelivery of one already done."""
    provider = integration.provider
    with transaction.atomic():
        delivery, created = InboundDelivery.objects.get_or_create(
            provider=provider,
            integration_id=integration.pk,
            delivery_id=parsed.delivery_id,
            defaults={
                "workspace_id": integration.workspace_id,
                "event": parsed.event,
                "action": parsed.action,
                "headers": _kept_headers(provider, request),
                "body": body.decode("utf-8", errors="replace"),
                "status": DeliveryStatus.RECEIVED if known else DeliveryStatus.IGNORED,
                "error": "" if known else f"No handler for the {parsed.event!r} event.",
            },
        )
        if not created:
            InboundDelivery.objects.filter(pk=delivery.pk).update(
                redeliveries=F("redeliveries") + 1
            )
            if delivery.status in (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED):
                if provider == Provider.SLACK:
                    return HttpResponse(status=200)  # Slack reads any JSON as a view answer
                return _answer(200, "already processed", delivery=delivery.pk)
            if delivery.status == DeliveryStatus.FAILED:
                # The provider retries a delivery we failed: run it again.
                InboundDelivery.objects.filter(pk=delivery.pk).update(
                    status=DeliveryStatus.RECEIVED
                )
        if delivery.status != DeliveryStatus.IGNORED and not inline:
            pk = delivery.pk
            transaction.on_commit(lambda: enqueue_processing(pk))
    return delivery


def process_inline(delivery_pk: int) -> dict[str, Any] | None:
    """Process a stored delivery inside the provider's request; the handler's answer. A busy
    database leaves it "received" for the sweep (too late for a modal, never lost)."""
    try:
        delivery = process(delivery_pk)
    except OperationalError:
        logger.warning("Delivery %s: database busy; left for the sweep", delivery_pk)
        return None
    return delivery.reply if delivery is not None else None


def eager() -> bool:
    """The embedded setup: Celery runs tasks inline, so no beat sweeps for us."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def enqueue_processing(delivery_pk: int) -> None:
    """Queue the processing task; with the broker down, the deliveries sweep catches up.
    Eager: process here, retrying a few times while the database is busy."""
    from integrations.tasks import process_delivery

    if eager():
        process_with_retry(delivery_pk)
        return
    try:
        process_delivery.delay(delivery_pk)
    except Exception:  # noqa: BLE001 - any broker failure: the row is safe, the sweep retries
        logger.warning("Could not enqueue delivery %s; the sweep will process it", delivery_pk)


TRANSIENT_WORDS = ("locked", "busy", "deadlock", "could not serialize")


def transient(exc: OperationalError) -> bool:
    """SQLite's "database is locked", PostgreSQL's deadlocks and serialization failures."""
    text = str(exc).lower()
    return any(word in text for word in TRANSIENT_WORDS)


def process_with_retry(delivery_pk: int, attempts: int = IMMEDIATE_RETRIES) -> bool:
    """Process inline; a busy database (OperationalError) is retried with a short backoff.
    False when it still failed: the row stays "received" for `catch_up`."""
    for attempt in range(attempts):
        try:
            process(delivery_pk)
            return True
        except OperationalError:
            logger.warning("Delivery %s: database busy (attempt %s)", delivery_pk, attempt + 1)
            time.sleep(0.05 * 2**attempt)
        except Exception:  # noqa: BLE001 - never fail the provider's request after commit
            logger.exception("Delivery %s could not be processed inline", delivery_pk)
            return False
    return False


def catch_up(
    integration_id: int | None = None,
    *,
    workspace_id: int | None = None,
    exclude: int | None = None,
    older_than: timedelta = CATCH_UP_AFTER,
    limit: int = 20,
) -> int:
    """Embedded setup: process the deliveries of one integration (or of all a workspace's)
    left "received" (a crash or a busy database after their commit). Called on each delivery
    and page load; one query when nothing is stuck, at most `limit` processed."""
    cutoff = timezone.now() - older_than
    stuck = InboundDelivery.objects.filter(status=DeliveryStatus.RECEIVED, received_at__lt=cutoff)
    if integration_id is not None:
        stuck = stuck.filter(integration_id=integration_id)
    if workspace_id is not None:
        stuck = stuck.filter(workspace_id=workspace_id)
    if exclude is not None:
        stuck = stuck.exclude(pk=exclude)
    try:
        ids = list(stuck.order_by("received_at", "pk").values_list("pk", flat=True)[:limit])
    except OperationalError:
        return 0
    return sum(1 for pk in ids if process_with_retry(pk, attempts=1))


def process(delivery_pk: int) -> InboundDelivery | None:
    """Run the delivery's handler once; a finished delivery is left alone (idempotent)."""
    with transaction.atomic():
        delivery = (
            InboundDelivery.objects.select_for_update()
            .select_related("integration", "workspace")
            .filter(pk=delivery_pk)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.RECEIVED:
            return delivery
        handler = handler_for(delivery.provider, delivery.event)
        delivery.attempts += 1
        delivery.processed_at = timezone.now()
        if handler is None:
            delivery.status = DeliveryStatus.IGNORED
            delivery.error = f"No handler for the {delivery.event!r} event."
        else:
            try:
                with transaction.atomic():
                    payload = delivery_payload(delivery)
                    guard = guard_for(delivery.provider)
                    if guard is not None:
                        guard(delivery, payload)
                    reply = handler(delivery, payload)
            except DeliveryIgnored as exc:
                delivery.status = DeliveryStatus.IGNORED
                delivery.error = str(exc)[:2000]
                delivery.reply = exc.reply
            except OperationalError as exc:
                if transient(exc):
                    # A busy database is not the delivery's fault: roll back, stay
                    # "received", and let the retry (or the sweep) run it again.
                    raise
                logger.exception("Processing delivery %s failed", delivery.pk)
                delivery.status = DeliveryStatus.FAILED
                delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
            except Exception as exc:  # noqa: BLE001 - recorded on the row, shown on the log page
                logger.exception("Processing delivery %s failed", delivery.pk)
                delivery.status = DeliveryStatus.FAILED
                delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
            else:
                delivery.status = DeliveryStatus.PROCESSED
                delivery.error = ""
                delivery.reply = reply
        delivery.save(update_fields=["status", "attempts", "processed_at", "error"])
    return delivery


def delivery_payload(delivery: InboundDelivery) -> Any:
    """The stored body as the handler sees it: JSON, or Slack's form (its `payload` decoded)."""
    if delivery.provider != Provider.SLACK or delivery.body.lstrip().startswith("{"):
        return json.loads(delivery.body)
    form = {k: v[0] for k, v in parse_qs(delivery.body, keep_blank_values=True).items()}
    return json.loads(form["payload"]) if "payload" in form else form


def sweep_received(*, older_than: timedelta = timedelta(minutes=2), limit: int = 200) -> int:
    """Process deliveries still "received" after a while (their enqueue was lost)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundDelivery.objects.filter(status=DeliveryStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        process(pk)
    return len(ids)
