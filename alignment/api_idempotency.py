"""Idempotency-Key on POST: a retried request gets the first response; the view runs once.

A client that sends `Idempotency-Key: <any unique string>` with a POST under /api/v1/ may
repeat that request (a timeout, a dropped connection) without creating a second object:

- the first request claims the key by inserting an in-progress `IdempotencyRecord` (unique on
  owner + key), runs the view, and stores the status, body and the Location/ETag headers;
- a replay with the same method, path and body (compared by SHA-256) gets the stored response
  plus `Idempotent-Replayed: true`, and the view does not run again;
- the same key with a different request is refused with 422 `idempotency_key_reused`;
- a replay that arrives while the first is still running waits for it and gets its answer
  (the unique constraint decides which of two concurrent requests runs, on every database); a
  record left in progress by an earlier version of this code answers 409
  `idempotency_in_progress` for five minutes, then is taken over;
- keys are scoped to the token (or the signed-in user), so clients never see each other's
  replays, and records live 24 hours (`alignment.idempotency_records_prune` deletes them).

**Exactly once.** Every unsafe API request (POST, PUT, PATCH, DELETE) runs in one database
transaction: the claim of its key, the write, the re-read for the answer and the stored
answer commit together, or none of them does. So a retry after any failure — a dropped
connection, a killed worker, a timeout — finds either the committed answer (and replays it) or
nothing (and performs the write, once). There is no window in which a committed write has no
stored answer, and no in-progress record another request could see: a concurrent retry's
claim waits on the unique index until the first request commits, then replays its answer. An
error answer (4xx, 5xx) rolls the whole request back, so no write is ever reported as failed
after it committed; a validation refusal (400, 422) is then stored on its own, since replaying
it changes nothing. A 409 conflict that may clear, a 403 or a 5xx is not stored: the retry
runs again.

Why a DRF mixin (`IdempotencyMixin`, a base of `alignment.api_base.WorkspaceAPIMixin`) rather
than a Django middleware: the key is scoped to the caller, and the caller is only known after
DRF authenticates the request (bearer token or session). DRF's `initial()` runs after
authentication, permission and throttling, so unauthenticated, forbidden and rate-limited
requests never touch the table, and a revoked token cannot replay a stored response. A
middleware would have to authenticate a second time, outside DRF's error handling. Every
workspace viewset and API view already subclasses `WorkspaceAPIMixin`, so they all get this
without opting in; tests/api/test_idempotency.py fails when a POST route under /api/v1/ is
served by a view that lacks the mixin.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.errors import DomainError
from alignment.models import ApiToken, IdempotencyRecord

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
# A request still "in progress" after this is taken as dead (its worker was killed): the key is
# freed, so the client is not locked out for a day.
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255
STORED_HEADERS = ("Location", "ETag", "Content-Location")


class IdempotencyKeyInvalid(DomainError):
    status, code = 400, "idempotency_key_invalid"
    message = "Idempotency-Key must be 1 to 255 characters long."


class IdempotencyKeyReused(DomainError):
    status, code = 422, "idempotency_key_reused"
    message = (
        "This Idempotency-Key was already used for a different request; send a new key "
        "with each new request."
    )


class IdempotencyInProgress(DomainError):
    status, code = 409, "idempotency_in_progress"
    message = (
        "A request with this Idempotency-Key is still being processed; retry in a moment "
        "to get its response."
    )


class _Replay(Exception):  # noqa: N818 - control flow, not an error: carries the stored answer
    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


def request_owner(request: Request) -> str | None:
    """Whose keys these are: the token, else the signed-in user; None when anonymous."""
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def body_hash(request: Request) -> str:
    try:
        raw = request._request.body
    except (RawPostDataException, RequestDataTooBig):
        # Something (multipart parsing) consumed the stream, or it is an upload too big to
        # hold in memory: hash what it parses to instead (a file as its name, size and type).
        raw = json.dumps(request.data, sort_keys=True, default=_describe_file).encode()
    return hashlib.sha256(raw).hexdigest()


def _describe_file(value: Any) -> str:
    if hasattr(value, "size") and hasattr(value, "name"):
        return f"{value.name}:{value.size}:{getattr(value, 'content_type', '')}"
    return str(value)


def is_storable(status_code: int) -> bool:
    """2xx answers and validation refusals; nothing that a retry might change."""
    return 200 <= status_code < 300 or status_code in (400, 422)


def claim(
    *, owner: str, key: str, method: str, path: str, body_hash: str
) -> tuple[IdempotencyRecord, bool]:
    """Claim the key for this request: (new in-progress record, True) or (stored answer, False).

    Raises IdempotencyKeyReused for a different request under the key and IdempotencyInProgress
    while the first request under it is still running.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner, key=key, method=method, path=path, body_hash=body_hash
                )
            return record, True
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:
            continue  # pruned between our insert and this read: claim it again
        now = timezone.now()
        expired = existing.created_at <= now - TTL
        abandoned = not existing.is_complete and existing.created_at <= now - ABANDONED_AFTER
        if expired or abandoned:
            IdempotencyRecord.objects.filter(pk=existing.pk).delete()
            continue
        if (existing.method, existing.path, existing.body_hash) != (method, path, body_hash):
            raise IdempotencyKeyReused()
        if not existing.is_complete:
            raise IdempotencyInProgress()
        return existing, False
    raise IdempotencyInProgress()


def _answer(response: Response) -> dict[str, Any]:
    body = None
    if response.data is not None:
        # Normalised through the renderer, so Decimals and dates replay exactly as first sent.
        body = json.loads(JSONRenderer().render(response.data) or b"null")
    headers = {name: response[name] for name in STORED_HEADERS if name in response}
    return {
        "status_code": response.status_code,
        "response_body": body,
        "response_headers": headers,
    }


def store(record: IdempotencyRecord, response: Response) -> None:
    """Write the answer into the claimed record: inside the request's transaction."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(**_answer(response))


def store_refusal(record: IdempotencyRecord, response: Response) -> None:
    """Keep a validation refusal after its request was rolled back (nothing else committed).

    A concurrent request that claimed the key meanwhile wins; the refusal is not needed then.
    """
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                owner=record.owner,
                key=record.key,
                method=record.method,
                path=record.path,
                body_hash=record.body_hash,
                **_answer(response),
            )
    except IntegrityError:
        pass


def replay(record: IdempotencyRecord) -> Response:
    assert record.status_code is not None
    headers = {**record.response_headers, REPLAYED_HEADER: "true"}
    return Response(record.response_body, status=record.status_code, headers=headers)


def prune() -> int:
    """Delete records older than the 24-hour replay window; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - TTL).delete()
    return deleted


class IdempotencyMixin(_ViewBase):
    """Runs each unsafe request in one transaction and honours Idempotency-Key on POST."""

    _idempotency_record: IdempotencyRecord | None = None
    _idempotency_refusal: tuple[IdempotencyRecord, Response] | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        self._idempotency_refusal = None
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                # An error answer means nothing happened: no write outlives it.
                transaction.set_rollback(True)
        refusal, self._idempotency_refusal = self._idempotency_refusal, None
        if refusal is not None:
            store_refusal(*refusal)
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        owner = request_owner(request)
        if owner is None:
            return
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise IdempotencyKeyInvalid()
        record, created = claim(
            owner=owner,
            key=key,
            method=request.method,
            path=request.get_full_path()[:2000],
            body_hash=body_hash(request),
        )
        if not created:
            raise _Replay(record)
        self._idempotency_record = record

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return replay(exc.record)
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency_record = self._idempotency_record, None
        if record is None or not isinstance(response, Response):
            return response
        if 200 <= response.status_code < 300:
            store(record, response)  # commits with the write, or not at all
        elif is_storable(response.status_code):
            # The request rolls back (the transaction may be aborted by now): store after.
            self._idempotency_refusal = (record, response)
        return response


__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "IdempotencyInProgress",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyReused",
    "IdempotencyMixin",
    "claim",
    "prune",
]
