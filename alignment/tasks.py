"""Celery tasks of the workspace core."""

from __future__ import annotations

from celery import shared_task

from alignment import api_idempotency, lockout


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
