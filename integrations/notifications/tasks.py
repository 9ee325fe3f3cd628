"""Celery tasks of notifications (imported by IntegrationsConfig.ready, so workers know them)."""

from __future__ import annotations

from celery import shared_task

from integrations.notifications import checkins


@shared_task(name="integrations.checkin_reminders_send")
def checkin_reminders_send() -> int:
    """Beat, daily: remind owners of key results whose check-in is overdue (idempotent)."""
    return checkins.checkin_reminders_send()
