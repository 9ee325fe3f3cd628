"""Login brute-force protection.

Failures are counted per (e-mail, address) pair and per address across all e-mails. Reaching
the limit locks that pair (or the address) for LOGIN_LOCKOUT_SECONDS. Counting per pair, not
per account alone, means an attacker cannot lock a victim out from elsewhere.
Stored in the database so it holds across web replicas.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alignment.models import LoginFailure

ANY_EMAIL = "*"
# An address may fail this many times more often than one pair before it is locked itself.
ADDRESS_FACTOR = 4


def _keys(email: str, ip: str) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    return [(email.strip().lower(), limit), (ANY_EMAIL, limit * ADDRESS_FACTOR)]


def locked_until(email: str, ip: str) -> datetime | None:
    now = timezone.now()
    rows = [
        until
        for until in LoginFailure.objects.filter(
            ip_address=ip, email__in=[k for k, _ in _keys(email, ip)], locked_until__gt=now
        ).values_list("locked_until", flat=True)
        if until is not None
    ]
    return max(rows, default=None)


@transaction.atomic
def record_failure(email: str, ip: str) -> datetime | None:
    """Count a failure; returns the lock-out end when this failure triggers one."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    locked: datetime | None = None
    for key, limit in _keys(email, ip):
        row, _ = LoginFailure.objects.select_for_update().get_or_create(
            email=key, ip_address=ip, defaults={"first_failed_at": now}
        )
        if now - row.first_failed_at > window:
            row.failures, row.first_failed_at, row.locked_until = 0, now, None
            row.save()
        LoginFailure.objects.filter(pk=row.pk).update(failures=F("failures") + 1)
        row.refresh_from_db()
        if row.failures >= limit:
            row.locked_until = now + window
            row.save(update_fields=["locked_until"])
            locked = max(locked or row.locked_until, row.locked_until)
    return locked


def record_success(email: str, ip: str) -> None:
    LoginFailure.objects.filter(email=email.strip().lower(), ip_address=ip).delete()


def prune() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    deleted, _ = (
        LoginFailure.objects.filter(first_failed_at__lt=cutoff)
        .exclude(locked_until__gt=timezone.now())
        .delete()
    )
    return deleted


def client_ip(meta: Mapping[str, Any]) -> str:
    """The client's address, for lock-out and rate limits.

    Behind our own proxies (USE_X_FORWARDED_FOR) the address is the entry that the outermost
    trusted proxy appended: the TRUSTED_PROXY_COUNT-th from the right. Entries further left
    are whatever the client sent, so trusting the first one would let anyone pick a fresh
    address per request and never be locked out.
    """
    remote = _valid_ip(meta.get("REMOTE_ADDR")) or "0.0.0.0"
    if not settings.USE_X_FORWARDED_FOR:
        return remote
    hops = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [hop for hop in hops if hop]
    count = max(1, settings.TRUSTED_PROXY_COUNT)
    if len(hops) < count:
        return remote
    return _valid_ip(hops[-count]) or remote


def _valid_ip(value: object) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None
