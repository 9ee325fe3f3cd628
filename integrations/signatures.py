"""Request signatures: verifying GitHub, GitLab and Slack; signing our outbound webhooks.

Every comparison is constant-time (`hmac.compare_digest`), so a forger learns nothing from
how long a refusal takes.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from alignment.parsing import is_digits

SLACK_TOLERANCE_SECONDS = 5 * 60


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def github_signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for this body."""
    return "sha256=" + hmac_sha256_hex(secret, body)


def github_verify(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(github_signature(secret, body).encode(), header.strip().encode())


def gitlab_verify(secret: str, header: str | None) -> bool:
    """GitLab sends the configured token verbatim in `X-Gitlab-Token` (no HMAC)."""
    if not secret or header is None:
        return False
    return hmac.compare_digest(secret.encode(), header.encode())


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac_sha256_hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def slack_verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    header: str | None,
    *,
    now: float | None = None,
    tolerance: int = SLACK_TOLERANCE_SECONDS,
) -> bool:
    """Slack's v0 scheme; a timestamp more than `tolerance` seconds away is a replay."""
    if not secret or not timestamp or not header:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    expected = slack_signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def alignment_signature(secrets: list[str], timestamp: int, body: bytes) -> str:
    """`X-Alignment-Signature: t=<unix>,v1=<hex>[,v1=<hex of the previous secret>]`."""
    message = str(timestamp).encode() + b"." + body
    parts = [f"t={timestamp}"] + [f"v1={hmac_sha256_hex(s, message)}" for s in secrets]
    return ",".join(parts)


def alignment_verify(
    secret: str, body: bytes, header: str, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """What a receiver does (docs/webhooks.md): any v1 matching, timestamp within tolerance."""
    fields = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in fields if k.strip() == "t"]
    if len(stamps) != 1 or not is_digits(stamps[0]):
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac_sha256_hex(secret, f"{t}.".encode() + body)
    return any(
        hmac.compare_digest(expected.encode(), v.strip().encode())
        for k, v in fields
        if k.strip() == "v1"
    )
