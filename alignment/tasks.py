"""Celery tasks of the workspace core."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from alignment import api_idempotency, audit_retention, lockout


@shared_task(name="alignment.login_failures_prune")
def login_failures_prune() -> int:
    return lockout.prune()


@shared_task(name="alignment.ping")
def ping(value: str) -> str:
    """Round trip used by health checks and the real-worker test."""
    return f"pong:{value}"


@shared_task(name="alignment.idempotency_records_prune")
def idempotency_records_prune() -> int:
    return api_idempotency.prune()


@shared_task(name="alignment.audit_log_prune")
def audit_log_prune() -> int:
    """Apply each workspace's audit log retention; safe to repeat (deletes only what is old)."""
    return sum(audit_retention.audit_prune_all(now=timezone.now()).values())
