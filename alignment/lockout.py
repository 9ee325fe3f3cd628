"""Login brute-force protection.

Failures are counted per (e-mail, address) pair and per address across all e-mails. Reaching
the limit locks that pair (or the address) for LOGIN_LOCKOUT_SECONDS. Counting per pair, not
per account alone, means an attacker cannot lock a victim out from elsewhere.
Stored in the database so it holds across web replicas.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


def client_ip(meta: dict[str, str]) -> str:
    # Behind the proxy in docker-compose the address is in X-Forwarded-For; the proxy is ours.
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "") if settings.USE_X_FORWARDED_FOR else ""
    return (forwarded.split(",")[0].strip() if forwarded else "") or meta.get(
        "REMOTE_ADDR", "0.0.0.0"
    )
